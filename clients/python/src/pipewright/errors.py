"""Errors the client raises: an API refusal carries what the server said, problems and all."""

from __future__ import annotations

from typing import Any, List, Mapping, NamedTuple, Optional


class Problem(NamedTuple):
    """One problem of a refused request: where (``config.infra.memory``, ``processNodes.p.input``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class PipewrightError(Exception):
    """The server refused a request, or could not be reached.

    ``status`` is the HTTP status (None when no answer came), ``code`` the API's error code
    (``invalid_request``, ``not_found``, ``forbidden``... or ``unreachable`` / ``timeout`` when no
    answer came), ``problems`` every problem the server listed with its location,
    ``more_problems`` how many it left out, ``body`` the raw answer.
    """

    def __init__(self, message: str, *, status: Optional[int] = None, code: Optional[str] = None,
                 problems: Optional[List[Problem]] = None, more_problems: int = 0,
                 method: Optional[str] = None, url: Optional[str] = None, body: Any = None) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.problems: List[Problem] = list(problems or [])
        self.more_problems = more_problems
        self.method = method
        self.url = url
        self.body = body
        super().__init__(self._text())

    def _text(self) -> str:
        head = self.message
        if self.status is not None:
            head = f"HTTP {self.status} {self.code or ''}".rstrip() + f": {self.message}"
        if self.method and self.url:
            head += f" ({self.method} {self.url})"
        lines = [head] + [f"  - {p}" for p in self.problems]
        if self.more_problems:
            lines.append(f"  ... and {self.more_problems} more problem(s)")
        return "\n".join(lines)

    @classmethod
    def from_answer(cls, status: int, body: Any, method: str, url: str) -> "PipewrightError":
        """Reads the API's error shape ``{"error": {code, message, problems: [{path, message}]}}``."""
        err = body.get("error") if isinstance(body, Mapping) else None
        if not isinstance(err, Mapping):
            text = body if isinstance(body, str) else repr(body)
            return cls(text.strip()[:500] or "no error body", status=status, code=None, method=method, url=url, body=body)
        problems = [Problem(str(p.get("path", "")), str(p.get("message", "")))
                    for p in err.get("problems") or [] if isinstance(p, Mapping)]
        more = err.get("more_problems") or (body.get("more_problems") if isinstance(body, Mapping) else 0) or 0
        return cls(str(err.get("message", "")), status=status, code=err.get("code"), problems=problems,
                   more_problems=int(more), method=method, url=url, body=body)


class WaitTimeout(PipewrightError, TimeoutError):
    """``wait()`` gave up before the job ended; ``job`` is its last state seen."""

    def __init__(self, message: str, job: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(message, code="timeout")
        self.job = dict(job) if job is not None else None


# seed 002's name for a refused call
wrongParamException = PipewrightError
