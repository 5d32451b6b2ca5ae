"""pipewright.processor without services: a fake exec contract (docs/exec.md), modules run as
the worker runs them (a subprocess with the PW_* environment), and the Task API in process."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest

from pipewright import processor
from pipewright.processor import Task, TaskError

SRC = Path(__file__).resolve().parents[1] / "src"
MODULES = Path(__file__).resolve().parent / "modules"


def contract(tmp: Path, inputs: Dict[str, bytes], outputs, parameters=None, config=None) -> Dict[str, str]:
    """Lays out an attempt's directory as the worker does and answers the environment."""
    ind, outd = tmp / "in", tmp / "out"
    ind.mkdir()
    outd.mkdir()
    for name, data in inputs.items():
        (ind / name).write_bytes(data)
    parameters = parameters or {}
    config = config or {}
    spec = {"job": "job1", "node": "n1", "attempt": 2,
            "inputs": {n: str(ind / n) for n in inputs}, "outputs": {n: str(outd / n) for n in outputs},
            "parameters": parameters, "config": config}
    (tmp / "task.json").write_text(json.dumps(spec))
    (tmp / "params.json").write_text(json.dumps(parameters))
    return {"PW_TASK_FILE": str(tmp / "task.json"), "PW_INPUT_DIR": str(ind), "PW_OUTPUT_DIR": str(outd),
            "PW_INPUTS": ",".join(inputs), "PW_OUTPUTS": ",".join(outputs), "PW_PARAMS_FILE": str(tmp / "params.json"),
            "PW_CONFIG": json.dumps(config), "PW_JOB_ID": "job1", "PW_NODE": "n1", "PW_ATTEMPT": "2"}


def run_module(script: Path, env: Dict[str, str]) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("PW_")}
    full.update(env)
    full["PYTHONPATH"] = str(SRC)  # what a worker's registry sets: the helper needs nothing installed
    return subprocess.run([sys.executable, str(script)], env=full, capture_output=True, text=True, timeout=60)


def test_the_seed_000_module_runs_under_the_exec_contract(tmp_path: Path) -> None:
    env = contract(tmp_path, {"a": b"x y x", "b": "Ünïcode x".encode()}, ["counts", "shout"],
                   parameters={"top": 1}, config={"lower": True})
    r = run_module(MODULES / "word_count.py", env)
    assert r.returncode == 0, r.stderr
    counts = json.loads((tmp_path / "out" / "counts").read_text())
    assert counts["top"] == [["x", 3]] and counts["words"] == 5 and counts["inputs"] == ["a", "b"]
    assert (tmp_path / "out" / "shout").read_text() == "X Y X | ÜNÏCODE X"
    assert "INFO pipewright.word_count - counted 5 words in 2 inputs" in r.stdout
    assert "job job1 node n1 attempt 2" in r.stdout
    assert sorted(os.listdir(tmp_path / "out")) == ["counts", "shout"], "no temporary file is left behind"


def test_bad_input_exits_2_with_the_reason_on_stderr(tmp_path: Path) -> None:
    env = contract(tmp_path, {"a": b"\xff", "b": b"ok"}, ["counts", "shout"])
    r = run_module(MODULES / "word_count.py", env)
    assert r.returncode == processor.BAD_INPUT == 2
    assert r.stderr.strip() == "n1: input 'a' is not utf-8 text: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"


def test_a_missing_parameter_fails_through_main_and_a_crash_is_retryable(tmp_path: Path) -> None:
    env = contract(tmp_path, {}, ["total"], parameters={"x": 1})
    r = run_module(MODULES / "add_numbers.py", env)
    assert r.returncode == 2 and "missing parameter 'y'" in r.stderr, r.stderr
    crash = tmp_path / "crash.py"
    crash.write_text("from pipewright import processor\nprocessor.read_text('nope')\n")
    r = run_module(crash, env)
    assert r.returncode == 1 and "missing input 'nope'" in r.stderr


def test_without_a_task_file_the_module_says_how_to_run_it(tmp_path: Path) -> None:
    r = run_module(MODULES / "add_numbers.py", {})
    assert r.returncode == 2 and "PW_TASK_FILE is not set" in r.stderr


def test_task_api_in_process(tmp_path: Path) -> None:
    env = contract(tmp_path, {"doc": b'{"k": [1, 2]}', "raw": b"\x00\x01"}, ["o1", "o2", "o3"],
                   parameters={"n": "5", "flag": "true", "f": 2.5, "name": "z"}, config={"top": "7", "on": True})
    t = Task(json.loads(Path(env["PW_TASK_FILE"]).read_text()), env)
    assert t.fetch_datanodes_information() == (["doc", "raw"], ["o1", "o2", "o3"])
    assert (t.job, t.node, t.attempt) == ("job1", "n1", 2)
    assert t.read_json("doc") == {"k": [1, 2]} and t.read_bytes("raw") == b"\x00\x01"
    assert t.param("n", kind=int) == 5 and t.param("flag", kind=bool) is True and t.param("f") == 2.5
    assert t.param("absent", 9) == 9 and t.conf("top", kind=int) == 7 and t.conf("missing", "d") == "d"
    with pytest.raises(TaskError, match="parameter 'name' must be an integer, got 'z'"):
        t.param("name", kind=int)
    with pytest.raises(TaskError, match="missing parameter 'absent'"):
        t.param("absent")
    with pytest.raises(TaskError, match="expected exactly one input"):
        t.read_text()
    with pytest.raises(TaskError, match="no output 'nope'"):
        t.write_text("nope", "x")
    t.write_bytes("o1", b"\x02")
    t.write_text("o2", "héllo")
    t.write_json("o3", {"a": [1]}, indent=None)
    out = tmp_path / "out"
    assert (out / "o1").read_bytes() == b"\x02" and (out / "o2").read_text(encoding="utf-8") == "héllo"
    assert (out / "o3").read_text() == '{"a": [1]}\n'


def test_parameters_and_config_fall_back_to_the_files_and_environment(tmp_path: Path) -> None:
    env = contract(tmp_path, {"only": b"v"}, ["out"], parameters={"big": "x" * 10}, config={"c": 1})
    t = Task({}, env)  # an older task file without parameters or config
    assert t.parameters == {"big": "x" * 10} and t.config == {"c": 1}
    assert t.fetch_datanodes_information() == (["only"], ["out"])
    assert t.read_text() == "v" and t.only_output() == "out"
    assert t.input_path("only") == str(tmp_path / "in" / "only")


@pytest.mark.parametrize("value,kind,expected", [("3", int, 3), (3.0, int, 3), ("false", bool, False), ("1.5", float, 1.5)])
def test_conversions(value: object, kind: type, expected: Optional[object], tmp_path: Path) -> None:
    t = Task({"parameters": {"p": value}}, {})
    assert t.param("p", kind=kind) == expected


def test_the_package_imports_with_the_standard_library_only() -> None:
    r = subprocess.run([sys.executable, "-S", "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                        "import pipewright.processor, pipewright.pipelines; print('ok')", str(SRC)],
                       capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "ok", r.stderr
