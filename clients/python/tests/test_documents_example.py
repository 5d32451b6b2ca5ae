"""examples/documents end to end from Python: its modules import pipewright.processor (through
the PYTHONPATH examples/processors.yaml sets), the pipeline file is registered by path, and the
report is read back. PW_EXAMPLES_DIR names the checkout's examples/ (PythonClientIT sets it)."""

import os
from pathlib import Path

import pytest

from pipewright import Pipeline, PipewrightError


def examples() -> Path:
    where = os.environ.get("PW_EXAMPLES_DIR")
    if not where:
        pytest.fail("PW_EXAMPLES_DIR is not set: it names the examples/ directory whose registry the workers serve")
    return Path(where)


def test_the_documents_pipeline_runs_with_the_package_helper(api: Pipeline) -> None:
    created = api.create_pipeline(examples() / "documents" / "pipeline.yaml")
    assert created["id"] == "documents"
    job = api.submit_pipeline_job("documents", {"document_id": "D1", "page_num": 1})
    done = api.wait(job["id"], timeout=180)
    assert done["status"] == "SUCCESS", [(t["node"], t["status"], t["error"]) for t in done["tasks"]]
    report = api.get_output_json(job["id"], "report")
    assert report["document_id"] == "D1" and report["page_num"] == 1
    assert report["language"] == "de" and report["summary"].startswith("Von Mainz aus")
    logs = api.get_logs(job["id"], node="report")["report"]
    assert any(entry["line"].startswith("[stdout] report: D1 page 1") for entry in logs), logs

    past_the_end = api.submit_pipeline_job("documents", {"document_id": "D1", "page_num": 9})
    failed = api.wait(past_the_end["id"], timeout=180)
    assert failed["status"] == "FAILED"
    extract = next(t for t in failed["tasks"] if t["node"] == "extract_page")
    assert extract["attempts"] == 1, "exit code 2 (processor.TaskError) is permanent"
    assert "page_num 9 is out of range" in extract["error"], extract

    with pytest.raises(PipewrightError) as e:
        api.submit_pipeline_job("documents", {"page_num": "one"})
    assert {p.path for p in e.value.problems} >= {"parameters.document_id", "parameters.page_num"}, e.value
