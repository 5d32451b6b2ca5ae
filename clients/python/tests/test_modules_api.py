"""Modules over the API from Python (docs/modules.md): upload with a developer token, versions by
content, listing, content, delete; a submit token may not upload. Needs PW_DEVELOPER_TOKEN beside
PW_TOKEN (PythonClientIT sets both)."""

import os
from pathlib import Path

import pytest

from pipewright import Pipeline, PipewrightError


@pytest.fixture(scope="module")
def developer(api: Pipeline) -> Pipeline:
    token = os.environ.get("PW_DEVELOPER_TOKEN")
    if not token:
        pytest.fail("PW_DEVELOPER_TOKEN is not set: a token with the developer role uploads modules")
    return Pipeline(token, api.url)


def test_a_module_is_uploaded_versioned_by_content_listed_read_and_deleted(developer: Pipeline, api: Pipeline,
                                                                          unique: str, tmp_path: Path) -> None:
    name = f"mod_{unique}"
    source = tmp_path / "m.py"
    source.write_text("from pipewright import processor\nprocessor.write_text(None, 'v1')\n")
    first = developer.upload_module(name, source)
    assert (first["name"], first["version"], first["kind"]) == (name, 1, "python")
    assert len(first["digest"]) == 64 and first["size"] == source.stat().st_size

    assert developer.upload_module(name, source)["version"] == 1, "the same content is the same version"
    source.write_text("from pipewright import processor\nprocessor.write_text(None, 'v2')\n")
    assert developer.upload_module(name, source)["version"] == 2

    module = api.get_module(name)
    assert module["latest"]["version"] == 2 and [v["version"] for v in module["versions"]] == [1, 2], module
    assert name in [m["name"] for m in api.iter_modules()]
    assert api.get_module_content(name, 2) == source.read_bytes()

    with pytest.raises(PipewrightError) as refused:
        api.upload_module(name, source)      # PW_TOKEN has the submit role only
    assert refused.value.status == 403

    developer.delete_module(name, 1)
    assert [v["version"] for v in api.get_module(name)["versions"]] == [2]
    developer.delete_module(name)
    with pytest.raises(PipewrightError) as gone:
        api.get_module(name)
    assert gone.value.status == 404


def test_a_module_archive_without_an_entry_point_is_refused_at_its_location(developer: Pipeline, unique: str,
                                                                           tmp_path: Path) -> None:
    import zipfile
    archive = tmp_path / "m.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("lib/util.py", "X = 1\n")
        z.writestr("other.py", "print(1)\n")
    with pytest.raises(PipewrightError) as refused:
        developer.upload_module(f"zip_{unique}", archive)
    assert refused.value.status == 400
    assert any(p.path == "entry" for p in refused.value.problems), refused.value
