"""Seed 000's module walkthrough against a live system: a module written with
``pipewright.processor`` (tests/modules/word_count.py, served by the workers as the processor
``py_word_count``) reads its inputs by name, writes its outputs, reads parameters and config,
and what it logs lands in the task's log."""

import json

from pipewright import Pipeline

PIPELINE = """
name: {name}
parameters:
  top: {{type: integer, default: 3}}
dataNodes:
  data_node_1: {{}}
  data_node_2: {{}}
  counts: {{}}
  shout: {{}}
processNodes:
  process_node_1:
    input:
      - data_node_1
      - data_node_2
    output:
      - counts
      - shout
    processor: py_word_count
    config: {{lower: true}}
    retries: 2
"""


def test_a_module_reads_inputs_and_writes_outputs_by_name(api: Pipeline, unique: str) -> None:
    pid = f"words-{unique}"
    api.create_pipeline(PIPELINE.format(name=pid))
    job = api.submit_pipeline_job(pid, {"top": 2}, inputs={"data_node_1": "The cat and the hat", "data_node_2": b"THE end"})
    done = api.wait(job["id"], timeout=120)
    assert done["status"] == "SUCCESS", done
    counts = api.get_output_json(job["id"], "counts")
    assert counts["inputs"] == ["data_node_1", "data_node_2"] and counts["outputs"] == ["counts", "shout"]
    assert counts["words"] == 7 and counts["top"] == [["the", 3], ["and", 1]]
    assert counts["lower"] is True and counts["parameters"] == {"top": 2}
    assert api.get_output_text(job["id"], "shout") == "THE CAT AND THE HAT | THE END"
    lines = [entry["line"] for entry in api.get_logs(job["id"], node="process_node_1")["process_node_1"]]
    assert "[stdout] INFO pipewright.word_count - counted 7 words in 2 inputs" in lines, lines
    assert f"[stdout] job {job['id']} node process_node_1 attempt 1" in lines, lines


def test_bad_input_fails_the_task_for_good_with_its_reason_in_the_log(api: Pipeline, unique: str) -> None:
    pid = f"words-bad-{unique}"
    api.create_pipeline(PIPELINE.format(name=pid))
    job = api.submit_pipeline_job(pid, inputs={"data_node_1": "fine", "data_node_2": b"\xff\xfe not utf-8"})
    done = api.wait(job["id"], timeout=120)
    assert done["status"] == "FAILED", done
    task = done["tasks"][0]
    assert task["attempts"] == 1, "exit code 2 is permanent: no retry despite retries: 2"
    log = json.dumps(api.get_logs(job["id"]))
    assert "input 'data_node_2' is not utf-8 text" in log, log
