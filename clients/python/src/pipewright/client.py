"""A client of the Pipewright HTTP API (docs/api.md), shaped after seed 002's ``Pipeline`` class.

Standard library only: ``urllib`` for requests, a small reader for the Server-Sent Events of
``GET /jobs/{id}/logs?follow=true``. Every call maps to one documented endpoint (or follows a
listing's cursor); a refusal raises :class:`~pipewright.errors.PipewrightError` with the
server's code, message and problems (each with its location).
"""

from __future__ import annotations

import base64
import json as _json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from .errors import PipewrightError, WaitTimeout

JSON = Dict[str, Any]
PathLike = Union[str, "os.PathLike[str]"]

DEFAULT_URL = "http://127.0.0.1:8080"
ENDED = ("SUCCESS", "FAILED", "CANCELLED")
_MAX_RATE_RETRIES = 5


class Page(list):  # type: ignore[type-arg]
    """One page of a listing: a list of items (seed 002 returns lists) plus the cursor of the next
    page, ``next_page_after`` (None on the last page). Pass it as ``page_after`` to read on."""

    next_page_after: Optional[str]

    def __init__(self, items: Iterable[Any], next_page_after: Optional[str]) -> None:
        super().__init__(items)
        self.next_page_after = next_page_after


class _NoTokenOnRedirect(urllib.request.HTTPRedirectHandler):
    """Follows redirects (a large output may answer with a presigned object-store URL); the token
    is sent as an unredirected header, so it never reaches the redirect's target."""


def _content_type_of(path: str) -> str:
    lower = path.lower()
    if lower.endswith(".py"):
        return "text/x-python"
    if lower.endswith(".zip"):
        return "application/zip"
    if lower.endswith(".tar.gz") or lower.endswith(".tgz"):
        return "application/gzip"
    raise ValueError(f"{path}: a module is a .py file, a .zip or a .tar.gz archive")


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set)):
        return ",".join(_query_value(v) for v in value)
    return str(value)


def _input_value(value: Any) -> Any:
    """A job input as the API takes it: text as is, bytes as ``{"base64": ..}``, anything else as JSON."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


class Pipeline:
    """The Pipewright API for one token: pipelines, runs, jobs, logs, outputs and modules.

    ``token`` defaults to ``$PW_TOKEN`` (no token: a server with ``PW_AUTH=off``), ``url`` to
    ``$PW_URL`` then ``http://127.0.0.1:8080``; ``timeout`` bounds each request, in seconds.

    Seed 002's usage works as written::

        from pipewright.pipelines import Pipeline
        pipeline = Pipeline(token)
        run = pipeline.create_run(pipeline_id="toy", run_name="TEST_RUN", priority="medium")
        job = pipeline.submit_job(run_id=run["id"], parameters={"x": 12},
                                  config={"infra": {"cpu": 1, "memory": 2, "storage": 120}})
    """

    def __init__(self, token: Optional[str] = None, url: Optional[str] = None, *, timeout: float = 30.0) -> None:
        self.token = token if token is not None else os.environ.get("PW_TOKEN") or None
        self.url = (url or os.environ.get("PW_URL") or DEFAULT_URL).rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoTokenOnRedirect())

    def __repr__(self) -> str:
        return f"Pipeline(url={self.url!r}, token={'set' if self.token else 'none'})"

    # ---- plumbing ------------------------------------------------------------------------------

    def _url(self, path: str, query: Optional[Mapping[str, Any]] = None) -> str:
        url = self.url + path
        if query:
            pairs = [(k, _query_value(v)) for k, v in query.items() if v is not None]
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        return url

    def _open(self, method: str, path: str, query: Optional[Mapping[str, Any]] = None, body: Optional[bytes] = None,
              content_type: Optional[str] = None, headers: Optional[Mapping[str, str]] = None,
              timeout: Optional[float] = None) -> Any:
        """Sends one request; answers the open response (2xx/3xx followed) or raises PipewrightError.
        A 429 is waited out (``Retry-After``) and sent again, a few times."""
        url = self._url(path, query)
        for attempt in range(_MAX_RATE_RETRIES + 1):
            req = urllib.request.Request(url, data=body, method=method)
            if self.token:
                req.add_unredirected_header("Authorization", f"Bearer {self.token}")
            if content_type:
                req.add_header("Content-Type", content_type)
            for k, v in (headers or {}).items():
                req.add_header(k, v)
            try:
                return self._opener.open(req, timeout=timeout if timeout is not None else self.timeout)
            except urllib.error.HTTPError as e:
                raw = e.read()
                if e.code == 429 and attempt < _MAX_RATE_RETRIES:
                    try:
                        wait = float(e.headers.get("Retry-After", "1"))
                    except ValueError:
                        wait = 1.0
                    time.sleep(min(max(wait, 0.1), 10.0))
                    continue
                try:
                    parsed: Any = _json.loads(raw.decode("utf-8")) if raw else None
                except ValueError:
                    parsed = raw.decode("utf-8", "replace")
                raise PipewrightError.from_answer(e.code, parsed, method, url) from None
            except urllib.error.URLError as e:
                raise PipewrightError(f"cannot reach the Pipewright server at {self.url}: {e.reason}",
                                      code="unreachable", method=method, url=url) from None
            except (TimeoutError, OSError) as e:
                raise PipewrightError(f"no answer from {self.url} within {timeout or self.timeout}s: {e}",
                                      code="timeout", method=method, url=url) from None
        raise AssertionError("unreachable")

    def _call(self, method: str, path: str, query: Optional[Mapping[str, Any]] = None, json: Any = None,
              body: Optional[bytes] = None, content_type: Optional[str] = None,
              headers: Optional[Mapping[str, str]] = None) -> Any:  # a JSON object for every endpoint called
        """A request whose answer is JSON."""
        if json is not None:
            body = _json.dumps(json).encode("utf-8")
            content_type = "application/json"
        with self._open(method, path, query, body, content_type, headers) as resp:
            raw = self._read(resp, method, path)
        if not raw:
            return None
        try:
            return _json.loads(raw.decode("utf-8"))
        except ValueError:
            raise PipewrightError(f"the answer is not JSON: {raw[:200]!r}", status=200, method=method,
                                  url=self._url(path, query)) from None

    def _read(self, resp: Any, method: str, path: str) -> bytes:
        """The whole body; a connection lost or stalled while reading is a PipewrightError too."""
        try:
            data: bytes = resp.read()
            return data
        except OSError as e:
            raise PipewrightError(f"the answer from {self.url} broke off: {e}", code="timeout", method=method,
                                  url=self.url + path) from None

    @staticmethod
    def _q(s: str) -> str:
        return urllib.parse.quote(s, safe="")

    def _page(self, path: str, key: str, query: Mapping[str, Any]) -> Page:
        answer = self._call("GET", path, query)
        return Page(answer.get(key) or [], answer.get("next_page_after"))

    def _all(self, path: str, key: str, query: Mapping[str, Any]) -> Iterator[JSON]:
        q = dict(query)
        while True:
            page = self._page(path, key, q)
            yield from page
            if page.next_page_after is None:
                return
            q["page_after"] = page.next_page_after

    # ---- pipelines -----------------------------------------------------------------------------

    def create_pipeline(self, source: Union[str, bytes, "os.PathLike[str]"], name: Optional[str] = None) -> JSON:
        """Registers a pipeline (YAML or JSON text, or a path to a file): ``{id, version, name}``.

        The same text again answers the latest version; a changed one makes a new version.
        """
        text = self._source(source)
        return self._call("POST", "/api/v1/pipelines", {"name": name}, body=text, content_type="application/yaml")

    def validate_pipeline(self, source: Union[str, bytes, "os.PathLike[str]"]) -> JSON:
        """``{valid, problems: [{path, message}]}`` without storing anything."""
        return self._call("POST", "/api/v1/pipelines/validate", body=self._source(source), content_type="application/yaml")

    @staticmethod
    def _source(source: Union[str, bytes, "os.PathLike[str]"]) -> bytes:
        if isinstance(source, bytes):
            return source
        if isinstance(source, os.PathLike) or ("\n" not in source and os.path.isfile(source)):
            with open(source, "rb") as f:
                return f.read()
        return source.encode("utf-8")

    def get_pipeline(self, pipeline_id: str, version: Optional[int] = None) -> JSON:
        """The pipeline (its latest version, or ``version``) with its nodes, parameters and source."""
        return self._call("GET", f"/api/v1/pipelines/{self._q(pipeline_id)}", {"version": version})

    def get_pipelines(self, owner: Optional[str] = None, page_size: Optional[int] = None,
                      page_after: Optional[str] = None) -> Page:
        """A page of pipelines, most recently updated first (``.next_page_after`` reads on)."""
        return self._page("/api/v1/pipelines", "pipelines", {"owner": owner, "page_size": page_size, "page_after": page_after})

    def get_pipeline_versions(self, pipeline_id: str) -> JSON:
        return self._call("GET", f"/api/v1/pipelines/{self._q(pipeline_id)}/versions")

    def delete_pipeline(self, pipeline_id: str) -> JSON:
        return self._call("DELETE", f"/api/v1/pipelines/{self._q(pipeline_id)}")

    # ---- runs ----------------------------------------------------------------------------------

    def create_run(self, pipeline_id: str, run_name: Optional[str] = None, priority: str = "low",
                   tags: Optional[Mapping[str, Any]] = None, domain_context: Optional[Mapping[str, Any]] = None,
                   version: Optional[int] = None) -> JSON:
        """Creates an empty run of the pipeline (its latest version, or ``version``) to submit jobs into."""
        body: JSON = {"pipeline_id": pipeline_id, "priority": priority, "tags": dict(tags or {}),
                      "domain_context": dict(domain_context or {})}
        if run_name is not None:
            body["name"] = run_name
        if version is not None:
            body["version"] = version
        return self._call("POST", "/api/v1/runs", json=body)

    def get_run(self, run_id: str) -> JSON:
        """The run with its counters (``num_jobs``, ``num_successful_jobs``...) and status."""
        return self._call("GET", f"/api/v1/runs/{self._q(run_id)}")

    def get_runs(self, status: Union[str, Sequence[str], None] = None, priority: Union[str, Sequence[str], None] = None,
                 pipeline_id: Optional[str] = None, owner: Optional[str] = None, tag: Optional[str] = None,
                 page_size: Optional[int] = None, page_after: Optional[str] = None, *,
                 user_id: Optional[str] = None) -> Page:
        """A page of runs, newest first, filtered by status, priority, pipeline, owner (seed 002's
        ``user_id``) or ``tag`` (``NAME`` or ``NAME:VALUE``)."""
        return self._page("/api/v1/runs", "runs", {
            "status": status, "priority": priority, "pipeline": pipeline_id, "owner": owner or user_id, "tag": tag,
            "page_size": page_size, "page_after": page_after})

    # ---- jobs ----------------------------------------------------------------------------------

    def submit_job(self, run_id: str, parameters: Optional[Mapping[str, Any]] = None,
                   config: Optional[Mapping[str, Any]] = None, job_name: Optional[str] = None, *,
                   inputs: Optional[Mapping[str, Any]] = None, outputs: Optional[Sequence[str]] = None,
                   start: bool = True, idempotency_key: Optional[str] = None) -> JSON:
        """Submits a job into a run: ``{id, status, run_id}``. ``config={"infra": {"cpu": 1,
        "memory": 2, "storage": 120}}`` (numbers of GiB, or quantities such as ``"512Mi"``) routes it
        to a pool that offers that much; ``config={"nodes": {"train": {"epochs": 5}}}`` overrides a
        process node's config for this job (merged in; checked against its ``configSchema``).
        ``inputs`` values: text, bytes or any JSON value."""
        body = self._job_body(parameters, config, job_name, inputs, outputs, start)
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self._call("POST", f"/api/v1/runs/{self._q(run_id)}/jobs", json=body, headers=headers)

    def submit_pipeline_job(self, pipeline_id: str, parameters: Optional[Mapping[str, Any]] = None,
                            inputs: Optional[Mapping[str, Any]] = None, outputs: Optional[Sequence[str]] = None, *,
                            config: Optional[Mapping[str, Any]] = None, job_name: Optional[str] = None,
                            priority: Optional[str] = None, version: Optional[int] = None, start: bool = True,
                            idempotency_key: Optional[str] = None) -> JSON:
        """Submits a job straight to a pipeline (no run): ``{id, status}``. ``config`` as for
        :meth:`submit_job` (``infra`` and per-node ``nodes`` overrides)."""
        body = self._job_body(parameters, config, job_name, inputs, outputs, start)
        if priority is not None:
            body["priority"] = priority
        if version is not None:
            body["version"] = version
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self._call("POST", f"/api/v1/pipelines/{self._q(pipeline_id)}/jobs", json=body, headers=headers)

    @staticmethod
    def _job_body(parameters: Optional[Mapping[str, Any]], config: Optional[Mapping[str, Any]], job_name: Optional[str],
                  inputs: Optional[Mapping[str, Any]], outputs: Optional[Sequence[str]], start: bool) -> JSON:
        body: JSON = {"parameters": dict(parameters or {})}
        if config:
            body["config"] = dict(config)
        if job_name is not None:
            body["job_name"] = job_name
        if inputs:
            body["inputs"] = {k: _input_value(v) for k, v in inputs.items()}
        if outputs:
            body["outputs"] = list(outputs)
        if not start:
            body["start"] = False
        return body

    def get_job(self, job_id: str, tasks: bool = True) -> JSON:
        """The job: status, ``progress`` ("3/7"), ``finished``, ``errored``, parameters, config and
        (unless ``tasks=False``) every task."""
        return self._call("GET", f"/api/v1/jobs/{self._q(job_id)}", None if tasks else {"tasks": False})

    def get_jobs(self, run_id: Optional[str] = None, status: Union[str, Sequence[str], None] = None,
                 pipeline_id: Optional[str] = None, owner: Optional[str] = None,
                 priority: Union[str, Sequence[str], None] = None, page_size: Optional[int] = None,
                 page_after: Optional[str] = None, *, user_id: Optional[str] = None) -> Page:
        """A page of job summaries, newest first: the jobs of a run (seed 002's ``get_jobs(run_id)``),
        or every job you may see, filtered."""
        who = owner or user_id
        if run_id is not None and pipeline_id is None and priority is None:
            return self._page(f"/api/v1/runs/{self._q(run_id)}/jobs", "jobs",
                              {"status": status, "owner": who, "page_size": page_size, "page_after": page_after})
        return self._page("/api/v1/jobs", "jobs", {
            "run": run_id, "status": status, "pipeline": pipeline_id, "owner": who, "priority": priority,
            "page_size": page_size, "page_after": page_after})

    def iter_jobs(self, run_id: Optional[str] = None, **filters: Any) -> Iterator[JSON]:
        """Every job of a listing, following the cursor page after page."""
        page_size = filters.pop("page_size", None)
        after = None
        while True:
            page = self.get_jobs(run_id, page_size=page_size, page_after=after, **filters)
            yield from page
            if page.next_page_after is None:
                return
            after = page.next_page_after

    def iter_runs(self, **filters: Any) -> Iterator[JSON]:
        """Every run of a listing, following the cursor."""
        after = filters.pop("page_after", None)
        while True:
            page = self.get_runs(page_after=after, **filters)
            yield from page
            if page.next_page_after is None:
                return
            after = page.next_page_after

    def get_tasks(self, job_id: str, status: Union[str, Sequence[str], None] = None, page_size: Optional[int] = None,
                  page_after: Optional[str] = None) -> Page:
        return self._page(f"/api/v1/jobs/{self._q(job_id)}/tasks", "tasks",
                          {"status": status, "page_size": page_size, "page_after": page_after})

    def run_job(self, job_id: str) -> JSON:
        """``POST /jobs/{id}/run`` (seed 000: execute an existing job by its id): starts a built job,
        or runs an ended one again as a new job; ``id`` is the job that runs (``rerun_of`` the old one)."""
        return self._call("POST", f"/api/v1/jobs/{self._q(job_id)}/run")

    def cancel_job(self, job_id: str) -> JSON:
        return self._call("POST", f"/api/v1/jobs/{self._q(job_id)}/cancel")

    def retry_job(self, job_id: str) -> JSON:
        """A re-run from failure: a new job reusing every output that succeeded (``retry_of``)."""
        return self._call("POST", f"/api/v1/jobs/{self._q(job_id)}/retry")

    def delete_job(self, job_id: str) -> JSON:
        return self._call("DELETE", f"/api/v1/jobs/{self._q(job_id)}")

    def wait(self, job_id: str, timeout: Optional[float] = None, poll: float = 0.5) -> JSON:
        """Waits until the job has ended and answers it (tasks included). Raises
        :class:`~pipewright.errors.WaitTimeout` after ``timeout`` seconds (None: no limit)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = min(poll, 0.1)
        while True:
            job = self.get_job(job_id, tasks=False)
            if job.get("status") in ENDED:
                return self.get_job(job_id)
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeout(f"job {job_id} is still {job.get('status')} ({job.get('progress')}) after {timeout}s", job)
            time.sleep(delay if deadline is None else max(0.0, min(delay, deadline - time.monotonic())))
            delay = min(delay * 2, poll)

    wait_for_job = wait

    # ---- logs ----------------------------------------------------------------------------------

    def get_logs(self, job_id: str, node: Optional[str] = None, attempt: Optional[int] = None) -> Dict[str, List[JSON]]:
        """``{node: [{attempt, line, at}, ..]}``: what each task's attempts printed, so far."""
        return self._call("GET", f"/api/v1/jobs/{self._q(job_id)}/logs", {"node": node, "attempt": attempt})["logs"]

    def follow_events(self, job_id: str, node: Optional[str] = None, attempt: Optional[int] = None,
                      reconnects: int = 5) -> Iterator[Tuple[str, JSON]]:
        """The live stream of ``GET /jobs/{id}/logs?follow=true`` as ``(event, data)`` pairs
        (``log``, ``status``, ``end``) until the job has ended. A dropped connection (or an
        ``error`` event) is resumed after the last log line seen (``Last-Event-ID``), up to
        ``reconnects`` times."""
        last_id: Optional[str] = None
        left = reconnects
        path = f"/api/v1/jobs/{self._q(job_id)}/logs"
        query = {"follow": True, "node": node, "attempt": attempt}
        while True:
            headers = {"Accept": "text/event-stream"}
            if last_id:
                headers["Last-Event-ID"] = last_id
            problem: Optional[str] = None
            try:
                # the server sends a keep-alive comment every 15 s: a read waiting far longer means a lost connection
                with self._open("GET", path, query, headers=headers, timeout=max(self.timeout, 60.0)) as resp:
                    event, eid = "message", None
                    data: List[str] = []
                    for raw in resp:
                        line = raw.decode("utf-8").rstrip("\r\n")
                        if line == "":
                            if data:
                                payload = _json.loads("\n".join(data))
                                if eid:
                                    last_id = eid
                                if event == "error":
                                    problem = payload.get("message", "error event")
                                    break
                                yield event, payload
                                if event == "end":
                                    return
                            event, data, eid = "message", [], None
                        elif line.startswith(":"):
                            continue
                        else:
                            field, _, value = line.partition(":")
                            value = value[1:] if value.startswith(" ") else value
                            if field == "event":
                                event = value
                            elif field == "data":
                                data.append(value)
                            elif field == "id":
                                eid = value
                    else:
                        problem = "the stream closed before the job ended"
            except PipewrightError as e:
                if e.status is not None:
                    raise
                problem = str(e)
            except OSError as e:
                problem = str(e)
            if left <= 0:
                raise PipewrightError(f"following the logs of job {job_id} failed: {problem}", code="stream")
            left -= 1
            time.sleep(0.5)

    def follow_logs(self, job_id: str, node: Optional[str] = None, attempt: Optional[int] = None) -> Iterator[JSON]:
        """Each log line as it is written, ``{node, attempt, line, at}``, until the job has ended."""
        for event, data in self.follow_events(job_id, node, attempt):
            if event == "log":
                yield data

    # ---- outputs -------------------------------------------------------------------------------

    def get_output(self, job_id: str, node: str) -> bytes:
        """The value of a data node of the job (an input or an output written so far), as bytes.
        A large value kept in the object store may answer with a redirect: it is followed, and
        the token is not sent there."""
        path = f"/api/v1/jobs/{self._q(job_id)}/consumables/{self._q(node)}"
        with self._open("GET", path, timeout=max(self.timeout, 300.0)) as resp:
            return self._read(resp, "GET", path)

    def get_output_text(self, job_id: str, node: str, encoding: str = "utf-8") -> str:
        return self.get_output(job_id, node).decode(encoding)

    def get_output_json(self, job_id: str, node: str) -> Any:
        return _json.loads(self.get_output(job_id, node).decode("utf-8"))

    def get_consumables(self, job_id: str, page_size: Optional[int] = None, page_after: Optional[str] = None) -> Page:
        """A page of the job's data node values ``{node, content_type, size, value | value_base64}``
        (small values inline)."""
        return self._page(f"/api/v1/jobs/{self._q(job_id)}/consumables", "consumables",
                          {"page_size": page_size, "page_after": page_after})

    def get_outputs(self, job_id: str) -> Dict[str, bytes]:
        """Every value the job has (inputs and outputs), by data node."""
        out: Dict[str, bytes] = {}
        for c in self._all(f"/api/v1/jobs/{self._q(job_id)}/consumables", "consumables", {}):
            if "value_base64" in c:
                out[c["node"]] = base64.b64decode(c["value_base64"])
            elif "value" in c:
                v = c["value"]
                out[c["node"]] = v.encode("utf-8") if isinstance(v, str) else _json.dumps(v).encode("utf-8")
            else:
                out[c["node"]] = self.get_output(job_id, c["node"])
        return out

    # ---- modules -------------------------------------------------------------------------------

    def upload_module(self, name: str, path: PathLike, entry: Optional[str] = None) -> JSON:
        """Uploads a module (a ``.py`` file, or a ``.zip`` / ``.tar.gz`` archive with ``entry`` naming
        its entry point): ``{name, version, digest, size, kind, entry, created_at, created_by}``.
        A process node names it as ``processor: <name>`` (or ``<name>@<version>``)."""
        p = os.fspath(path)
        content_type = _content_type_of(p)
        with open(p, "rb") as f:
            body = f.read()
        return self._call("POST", f"/api/v1/modules/{self._q(name)}", {"entry": entry}, body=body, content_type=content_type)

    def get_modules(self, page_size: Optional[int] = None, page_after: Optional[str] = None) -> Page:
        """A page of modules by name, each its latest version (``.next_page_after`` reads on)."""
        return self._page("/api/v1/modules", "modules", {"page_size": page_size, "page_after": page_after})

    def iter_modules(self) -> Iterator[JSON]:
        """Every module (its latest version), page after page."""
        return self._all("/api/v1/modules", "modules", {})

    def get_module(self, name: str) -> JSON:
        """``{name, owner, latest, versions}``."""
        return self._call("GET", f"/api/v1/modules/{self._q(name)}")

    def get_module_content(self, name: str, version: int) -> bytes:
        """The bytes of one version, as uploaded."""
        path = f"/api/v1/modules/{self._q(name)}/versions/{int(version)}/content"
        with self._open("GET", path) as resp:
            return self._read(resp, "GET", path)

    def delete_module(self, name: str, version: Optional[int] = None) -> JSON:
        """Deletes every version of a module, or one (its owner or an admin)."""
        path = f"/api/v1/modules/{self._q(name)}" + ("" if version is None else f"/versions/{int(version)}")
        return self._call("DELETE", path)

    # ---- the server ----------------------------------------------------------------------------

    def health(self) -> JSON:
        return self._call("GET", "/health")

    def get_workers(self) -> List[JSON]:
        return self._call("GET", "/api/v1/workers")["workers"]


# seed 002's example spells the class both ways
Pipelines = Pipeline
