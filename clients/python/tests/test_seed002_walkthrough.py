"""Seed 002's walkthrough with the package, against a live system: pipelines, runs, jobs with
config infra numbers, listings with paging and filters, waiting, outputs, logs and refusals."""

import pytest

from pipewright import PipewrightError
from pipewright.pipelines import Pipeline

TOY = """
name: {name}
description: Pipeline description
parameters:
  x: integer
  y: integer
  pause: {{type: number, default: 0}}
dataNodes:
  total: {{}}
processNodes:
  add:
    output: [total]
    processor: py_add_numbers
    retries: 0
"""


def test_submit_job_as_written_in_seed_002(api: Pipeline, unique: str) -> None:
    # from polly.pipelines import Pipeline -> from pipewright.pipelines import Pipeline
    demo_pipeline_id = f"toy-{unique}"
    created = api.create_pipeline(TOY.format(name=demo_pipeline_id))
    assert created["id"] == demo_pipeline_id and created["version"] == 1
    assert api.create_pipeline(TOY.format(name=demo_pipeline_id))["version"] == 1, "the same text adds no version"

    pipeline = Pipeline(api.token, api.url)
    run = pipeline.create_run(
        pipeline_id=demo_pipeline_id,
        run_name="TEST_RUN",
        priority="medium",
        tags={},
        domain_context={},
    )
    assert run["name"] == "TEST_RUN" and run["priority"] == "medium"
    assert run["status"] == "PENDING" and run["num_jobs"] == 0
    job = pipeline.submit_job(
        run_id=run["id"],
        parameters={
            "x": 12,
            "y": 13,
        },
        config={
            "infra": {
                "cpu": 1,
                "memory": 2,
                "storage": 120,
            }
        },
    )
    assert job["run_id"] == run["id"]
    done = pipeline.wait(job["id"], timeout=120)
    assert done["status"] == "SUCCESS", done
    assert done["finished"] is True and done["errored"] is False and done["progress"] == "1/1"
    assert done["config"] == {"infra": {"cpu": 1, "memory": "2Gi", "storage": "120Gi"}}, "numbers of GiB, kept as quantities"
    assert done["parameters"] == {"x": 12, "y": 13, "pause": 0}, "with the default"
    assert pipeline.get_output_json(job["id"], "total") == {"x": 12, "y": 13, "sum": 25}
    assert pipeline.get_output_text(job["id"], "total").endswith("\n")
    assert pipeline.get_outputs(job["id"])["total"] == pipeline.get_output(job["id"], "total")
    lines = [entry["line"] for entry in pipeline.get_logs(job["id"])["add"]]
    assert "[stdout] step 1: adding 12 and 13" in lines, lines


def test_pipelines_runs_and_jobs_are_listed_paged_and_filtered(api: Pipeline, unique: str) -> None:
    pid = f"listed-{unique}"
    api.create_pipeline(TOY.format(name=pid))
    got = api.get_pipeline(pid)
    assert got["id"] == pid and got["latest_version"] == 1 and "add" in got["process_nodes"]
    seen = []
    after = None
    while True:
        page = api.get_pipelines(page_size=2, page_after=after)
        assert len(page) <= 2
        seen += [p["id"] for p in page]
        if page.next_page_after is None:
            break
        after = page.next_page_after
    assert pid in seen

    run = api.create_run(pid, run_name=f"paged-{unique}", priority="high", tags={"team": "py"})
    other = api.create_run(pid, run_name=f"other-{unique}")  # priority low, the default
    ids = [api.submit_job(run["id"], {"x": i, "y": 1}, job_name=f"job#{i}")["id"] for i in range(3)]
    for j in ids:
        assert api.wait(j, timeout=120)["status"] == "SUCCESS"

    first = api.get_jobs(run["id"], page_size=2)
    assert len(first) == 2 and first.next_page_after is not None
    second = api.get_jobs(run["id"], page_size=2, page_after=first.next_page_after)
    assert [j["id"] for j in first + second] == list(reversed(ids)), "newest first, no job twice"
    assert second.next_page_after is None
    assert {j["name"] for j in api.iter_jobs(run["id"], page_size=1)} == {"job#0", "job#1", "job#2"}
    assert [j["id"] for j in api.get_jobs(pipeline_id=pid, status="SUCCESS", priority="high", page_size=50)] == list(reversed(ids))
    assert all(j["run_id"] == run["id"] and j["status"] == "SUCCESS" for j in first)

    got_run = api.get_run(run["id"])
    assert (got_run["num_jobs"], got_run["num_successful_jobs"], got_run["num_failed_jobs"]) == (3, 3, 0)
    assert got_run["status"] == "COMPLETED" and got_run["tags"] == {"team": "py"}
    completed = {r["id"] for r in api.iter_runs(pipeline_id=pid, status="COMPLETED", page_size=1)}
    assert completed == {run["id"]}, "the empty run is PENDING"
    assert {r["id"] for r in api.get_runs(pipeline_id=pid, priority="low")} == {other["id"]}
    assert {r["id"] for r in api.get_runs(pipeline_id=pid, tag="team:py")} == {run["id"]}


def test_follow_logs_streams_lines_while_the_job_runs(api: Pipeline, unique: str) -> None:
    pid = f"follow-{unique}"
    api.create_pipeline(TOY.format(name=pid))
    job = api.submit_pipeline_job(pid, {"x": 2, "y": 3, "pause": 1.0})
    seen = []
    statuses = []
    for line in api.follow_logs(job["id"]):
        seen.append(line["line"])
        if len(seen) == 1:
            statuses.append(api.get_job(job["id"], tasks=False)["status"])
        assert line["node"] == "add" and line["attempt"] == 1
    assert seen == [f"[stdout] step {i}: adding 2 and 3" for i in (1, 2, 3)], seen
    assert statuses == ["RUNNING"], "the first line came while the job ran"
    assert api.get_job(job["id"])["status"] == "SUCCESS", "the stream ends once the job has"
    events = [event for event, _ in api.follow_events(job["id"])]
    assert events[-1] == "end" and events.count("log") == 3


def test_an_ended_job_runs_again_by_its_id(api: Pipeline, unique: str) -> None:
    # seed 000: "execute an existing job from code by its UUID"
    pid = f"again-{unique}"
    api.create_pipeline(TOY.format(name=pid))
    first = api.submit_pipeline_job(pid, {"x": 40, "y": 2})
    assert api.wait(first["id"], timeout=120)["status"] == "SUCCESS"
    again = api.run_job(first["id"])
    assert again["id"] != first["id"] and again["rerun_of"] == first["id"] and again["started"] is True
    done = api.wait(again["id"], timeout=120)
    assert done["status"] == "SUCCESS" and done["rerun_of"] == first["id"] and done["parameters"] == {"x": 40, "y": 2, "pause": 0}
    assert api.get_output_json(again["id"], "total")["sum"] == 42

    built = api.submit_pipeline_job(pid, {"x": 1, "y": 1}, start=False)
    assert built["status"] == "READY"
    started = api.run_job(built["id"])
    assert started["id"] == built["id"] and started["started"] is True and "rerun_of" not in started


def test_refusals_raise_with_every_problem_and_its_location(api: Pipeline, unique: str) -> None:
    pid = f"refused-{unique}"
    api.create_pipeline(TOY.format(name=pid))
    run = api.create_run(pid)
    with pytest.raises(PipewrightError) as e:
        api.submit_job(run["id"], {"x": "twelve"}, config={"infra": {"memory": "2GB", "storage": 0}})
    err = e.value
    assert err.status == 400 and err.code == "invalid_request", err
    paths = {p.path for p in err.problems}
    assert {"config.infra.memory", "config.infra.storage"} <= paths, err.problems
    assert "config.infra.memory" in str(err)
    with pytest.raises(PipewrightError) as e:
        api.submit_job(run["id"], {"x": "twelve"})
    assert e.value.status == 400
    assert {p.path for p in e.value.problems} >= {"parameters.x", "parameters.y"}, e.value.problems
    assert api.get_run(run["id"])["num_jobs"] == 0, "nothing was submitted"

    with pytest.raises(PipewrightError) as e:
        api.create_pipeline("name: broken\ndataNodes:\n  a: {}\nprocessNodes:\n  p:\n    input: [missing]\n    output: [a]\n    processor: identity\n")
    assert e.value.status == 400 and any("missing" in p.message for p in e.value.problems), e.value
    with pytest.raises(PipewrightError) as e:
        api.get_job("nosuchjob123")
    assert e.value.status == 404 and e.value.code == "not_found"
    with pytest.raises(PipewrightError) as e:
        Pipeline("pw_" + "A" * 43, api.url).get_runs()
    assert e.value.status == 401
    with pytest.raises(PipewrightError) as e:
        Pipeline(api.token, "http://127.0.0.1:1").get_runs()
    assert e.value.status is None and e.value.code == "unreachable"
