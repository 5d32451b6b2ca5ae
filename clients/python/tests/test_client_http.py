"""The client's HTTP handling against small local servers (no Pipewright): a redirect to another
host (a presigned object-store URL) is followed without the token, a 429 is waited out, an error
answer becomes a PipewrightError with its problems, and a dropped log stream is resumed after the
last event seen (Last-Event-ID)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

from pipewright import Pipeline, PipewrightError

Handler = Callable[[BaseHTTPRequestHandler], None]


def serve(handle: Handler) -> Tuple[ThreadingHTTPServer, str]:
    class H(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            handle(self)

        def do_POST(self) -> None:  # noqa: N802
            handle(self)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def servers() -> Iterator[List[ThreadingHTTPServer]]:
    started: List[ThreadingHTTPServer] = []
    yield started
    for s in started:
        s.shutdown()
        s.server_close()


def reply(h: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str = "application/json",
          headers: Dict[str, str] = {}) -> None:  # noqa: B006 - read only
    h.send_response(status)
    h.send_header("Content-Type", content_type)
    h.send_header("Content-Length", str(len(body)))
    for k, v in headers.items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(body)


def test_an_output_redirected_to_the_object_store_is_fetched_without_the_token(servers: List[ThreadingHTTPServer]) -> None:
    seen: Dict[str, Any] = {}

    def store(h: BaseHTTPRequestHandler) -> None:
        seen["store_auth"] = h.headers.get("Authorization")
        seen["store_path"] = h.path
        reply(h, 200, b"\x00big value", "application/octet-stream")

    s, store_url = serve(store)
    servers.append(s)

    def api(h: BaseHTTPRequestHandler) -> None:
        seen["api_auth"] = h.headers.get("Authorization")
        reply(h, 307, b"", headers={"Location": store_url + "/bucket/key?X-Amz-Signature=abc"})

    a, api_url = serve(api)
    servers.append(a)
    data = Pipeline("pw_secret", api_url).get_output("j1", "big")
    assert data == b"\x00big value"
    assert seen["api_auth"] == "Bearer pw_secret"
    assert seen["store_auth"] is None, "the token never leaves for the object store"
    assert seen["store_path"] == "/bucket/key?X-Amz-Signature=abc"


def test_a_refusal_carries_its_problems_and_a_429_is_waited_out(servers: List[ThreadingHTTPServer]) -> None:
    calls: List[str] = []

    def api(h: BaseHTTPRequestHandler) -> None:
        calls.append(h.path)
        if len(calls) == 1:
            reply(h, 429, b'{"error": {"code": "rate_limited", "message": "slow down", "problems": []}}', headers={"Retry-After": "0"})
            return
        body = {"error": {"code": "invalid_request", "message": "the job cannot run: 2 problem(s)",
                          "problems": [{"path": "parameters.x", "message": "expected integer"},
                                       {"path": "config.infra.memory", "message": "expected a quantity"}],
                          "more_problems": 3}}
        reply(h, 400, json.dumps(body).encode())

    s, url = serve(api)
    servers.append(s)
    with pytest.raises(PipewrightError) as e:
        Pipeline("t", url).submit_job("r1", {"x": "a"})
    err = e.value
    assert len(calls) == 2 and calls[1] == "/api/v1/runs/r1/jobs"
    assert (err.status, err.code, err.more_problems) == (400, "invalid_request", 3)
    assert [(p.path, p.message) for p in err.problems] == [("parameters.x", "expected integer"),
                                                          ("config.infra.memory", "expected a quantity")]
    assert "parameters.x: expected integer" in str(err) and "3 more problem(s)" in str(err)


def test_a_dropped_log_stream_resumes_after_the_last_event(servers: List[ThreadingHTTPServer]) -> None:
    asked: List[Any] = []

    def api(h: BaseHTTPRequestHandler) -> None:
        asked.append(h.headers.get("Last-Event-ID"))
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.end_headers()
        if len(asked) == 1:
            h.wfile.write(b': keep-alive\n\nevent: log\nid: 1-0\ndata: {"node":"a","attempt":1,"line":"one"}\n\n'
                          b'event: status\ndata: {"status":"RUNNING"}\n\n')
            h.wfile.flush()
            return  # the connection drops before the job ended
        h.wfile.write(b'event: log\nid: 2-0\ndata: {"node":"a","attempt":1,\ndata: "line":"two"}\n\n'
                      b'event: end\ndata: {"status":"SUCCESS","progress":"1/1"}\n\n')
        h.wfile.flush()

    s, url = serve(api)
    servers.append(s)
    events = list(Pipeline("t", url).follow_events("j1"))
    assert [e for e, _ in events] == ["log", "status", "log", "end"]
    assert [d["line"] for e, d in events if e == "log"] == ["one", "two"]
    assert asked == [None, "1-0"]
