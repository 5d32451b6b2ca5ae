"""The helper for code that runs as a Pipewright processor (a registered ``exec`` command or an
uploaded module): its data nodes, parameters and config, and its log. Standard library only, so
it imports in any module's environment (``PYTHONPATH=<checkout>/clients/python/src`` is enough).

Seed 000's way::

    from pipewright import processor

    inputs, outputs = processor.fetch_datanodes_information()   # data node names, declared order
    text = processor.read_text(inputs[0])
    processor.log(f"read {len(text)} characters")              # a line of the task's log
    processor.write_json(outputs[0], {"chars": len(text), "lang": processor.config.get("lang")})

The worker runs the module with the exec contract (docs/exec.md): ``PW_TASK_FILE`` (JSON ``{job,
node, attempt, inputs: {name: path}, outputs: {name: path}, parameters, config}``),
``PW_INPUT_DIR`` (one file per input, named after its data node), ``PW_OUTPUT_DIR`` (write one
file per output), ``PW_INPUTS``/``PW_OUTPUTS`` (names in declared order), ``PW_PARAMS_FILE`` and
``PW_CONFIG``. Inputs are always plain files there: a large value kept in the object store is
fetched by the worker before the module starts, and a large output is stored by the worker after
it ends, so module code never sees a reference.

Exit codes: :func:`fail` exits with 2 (:data:`BAD_INPUT`), which the registry lists in
``permanentExitCodes`` so the task fails for good instead of being retried; :func:`retry_later`
exits with 75 (:data:`TRY_AGAIN`); any other crash exits 1 and the task is retried as its
node's ``retries`` say. :func:`main` turns a :class:`TaskError` into :func:`fail`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any, Callable, Dict, List, Mapping, NoReturn, Optional, Tuple

__all__ = [
    "BAD_INPUT", "TRY_AGAIN", "Task", "TaskError", "load", "task", "main", "fail", "retry_later", "log", "logger",
    "fetch_datanodes_information", "read_bytes", "read_text", "read_json", "write_bytes", "write_text", "write_json",
    "input_path", "output_path", "param", "conf", "load_file", "save_file",
]

BAD_INPUT = 2
"""Exit code of :func:`fail`: bad input, parameters or config; list it in ``permanentExitCodes``."""
TRY_AGAIN = 75
"""Exit code of :func:`retry_later` (EX_TEMPFAIL): something outside may get better."""



class TaskError(Exception):
    """A problem with the task's inputs, parameters or config: :func:`main` exits with :data:`BAD_INPUT`."""


_KIND = {int: "an integer", float: "a number", str: "text", bool: "true or false"}


def _kind_name(kind: type) -> str:
    return _KIND.get(kind, kind.__name__)


def _convert(what: str, value: Any, kind: Optional[type]) -> Any:
    if kind is None or value is None:
        return value
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise ValueError(value)
        if kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(value)
        if kind is float and isinstance(value, bool):
            raise ValueError(value)
        return kind(value)
    except (TypeError, ValueError):
        raise TaskError(f"{what} must be {_kind_name(kind)}, got {value!r}") from None


_MISSING: Any = object()


class Task:
    """One attempt of one process node: where its inputs are, where its outputs go, its
    parameters and config. :func:`load` reads it from the environment the worker sets."""

    def __init__(self, spec: Mapping[str, Any], env: Optional[Mapping[str, str]] = None) -> None:
        env = os.environ if env is None else env
        self.spec = dict(spec)
        self.job: Optional[str] = spec.get("job") or env.get("PW_JOB_ID")
        self.node: Optional[str] = spec.get("node") or env.get("PW_NODE")
        attempt = spec.get("attempt") or env.get("PW_ATTEMPT")
        self.attempt: Optional[int] = int(attempt) if attempt is not None else None
        input_dir = env.get("PW_INPUT_DIR", "")
        output_dir = env.get("PW_OUTPUT_DIR", "")
        self._output_dir = output_dir
        # PW_INPUTS / PW_OUTPUTS carry the declared order; the task file's maps the paths
        files_in: Dict[str, str] = dict(spec.get("inputs") or {})
        files_out: Dict[str, str] = dict(spec.get("outputs") or {})
        order_in = [n for n in env.get("PW_INPUTS", "").split(",") if n] or list(files_in)
        order_out = [n for n in env.get("PW_OUTPUTS", "").split(",") if n] or list(files_out)
        self.inputs: Dict[str, str] = {n: files_in.get(n) or os.path.join(input_dir, n) for n in order_in}
        self.outputs: Dict[str, str] = {n: files_out.get(n) or os.path.join(output_dir, n) for n in order_out}
        self.parameters: Dict[str, Any] = self._parameters(spec, env)
        self.config: Dict[str, Any] = self._config(spec, env)

    @staticmethod
    def _parameters(spec: Mapping[str, Any], env: Mapping[str, str]) -> Dict[str, Any]:
        if isinstance(spec.get("parameters"), Mapping):
            return dict(spec["parameters"])
        path = env.get("PW_PARAMS_FILE")
        if path:
            try:
                with open(path, encoding="utf-8") as f:
                    return dict(json.load(f) or {})
            except (OSError, ValueError) as e:
                raise TaskError(f"cannot read the parameters file {path}: {e}") from None
        raw = env.get("PW_PARAMS")
        return dict(json.loads(raw)) if raw else {}

    @staticmethod
    def _config(spec: Mapping[str, Any], env: Mapping[str, str]) -> Dict[str, Any]:
        if isinstance(spec.get("config"), Mapping):
            return dict(spec["config"])
        raw = env.get("PW_CONFIG")
        if raw:
            try:
                return dict(json.loads(raw) or {})
            except ValueError as e:
                raise TaskError(f"PW_CONFIG is not JSON: {e}") from None
        return {}

    # ---- names ---------------------------------------------------------------------------------

    def fetch_datanodes_information(self) -> Tuple[List[str], List[str]]:
        """(input data node names, output data node names), each in declared order (seed 000)."""
        return list(self.inputs), list(self.outputs)

    def only_input(self) -> str:
        """The name of the node's one input (a TaskError when it has none or several)."""
        if len(self.inputs) != 1:
            raise TaskError(f"expected exactly one input, got {list(self.inputs) or 'none'}")
        return next(iter(self.inputs))

    def only_output(self) -> str:
        """The name of the node's one output (a TaskError when it has none or several)."""
        if len(self.outputs) != 1:
            raise TaskError(f"expected exactly one output, got {list(self.outputs) or 'none'}")
        return next(iter(self.outputs))

    # ---- parameters and config -----------------------------------------------------------------

    def param(self, name: str, default: Any = _MISSING, kind: Optional[type] = None) -> Any:
        """A job parameter (as submitted: numbers stay numbers), converted to ``kind`` when given;
        a missing one without a default is a TaskError."""
        if name in self.parameters and self.parameters[name] is not None:
            return _convert(f"parameter '{name}'", self.parameters[name], kind)
        if default is _MISSING:
            raise TaskError(f"missing parameter '{name}' (the job has {sorted(self.parameters) or 'none'})")
        return default

    def conf(self, key: str, default: Any = None, kind: Optional[type] = None) -> Any:
        """A value of the node's ``config``, converted to ``kind`` when given."""
        return _convert(f"config.{key}", self.config.get(key, default), kind)

    # ---- inputs --------------------------------------------------------------------------------

    def input_path(self, name: Optional[str] = None) -> str:
        """The file holding input ``name`` (None: the only input)."""
        name = self.only_input() if name is None else name
        if name not in self.inputs:
            raise TaskError(f"missing input '{name}' (this node reads {list(self.inputs) or 'nothing'})")
        return self.inputs[name]

    def read_bytes(self, name: Optional[str] = None) -> bytes:
        with open(self.input_path(name), "rb") as f:
            return f.read()

    def read_text(self, name: Optional[str] = None, encoding: str = "utf-8") -> str:
        data = self.read_bytes(name)
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as e:
            raise TaskError(f"input '{name or self.only_input()}' is not {encoding} text: {e}") from None

    def read_json(self, name: Optional[str] = None) -> Any:
        text = self.read_text(name)
        try:
            return json.loads(text)
        except ValueError as e:
            raise TaskError(f"input '{name or self.only_input()}' is not JSON: {e}") from None

    # ---- outputs -------------------------------------------------------------------------------

    def output_path(self, name: Optional[str] = None) -> str:
        """Where output ``name`` (None: the only output) is written; write it whole, or use write_*."""
        name = self.only_output() if name is None else name
        if name not in self.outputs:
            raise TaskError(f"no output '{name}' (this node writes {list(self.outputs) or 'nothing'})")
        return self.outputs[name]

    def write_bytes(self, name: Optional[str], data: bytes) -> str:
        """Writes output ``name`` (None: the only output) through a temporary file renamed into
        place, so the worker never reads half an output. Answers its path."""
        path = self.output_path(name)
        tmp = os.path.join(os.path.dirname(path) or ".", f".{os.path.basename(path)}.part-{os.getpid()}")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path

    def write_text(self, name: Optional[str], text: str, encoding: str = "utf-8") -> str:
        return self.write_bytes(name, text.encode(encoding))

    def write_json(self, name: Optional[str], value: Any, indent: Optional[int] = 2) -> str:
        """JSON (UTF-8, indented unless ``indent=None``) with a final newline."""
        return self.write_text(name, json.dumps(value, ensure_ascii=False, indent=indent) + "\n")


# ---- the process's own task: module-level calls --------------------------------------------------

_task: Optional[Task] = None


def load(path: Optional[str] = None) -> Task:
    """The task this process runs (read once from ``PW_TASK_FILE``, or ``path``). Without a task
    file it fails with exit code 2: run the module through a worker (docs/exec.md)."""
    global _task
    if _task is not None and path is None:
        return _task
    path = path or os.environ.get("PW_TASK_FILE")
    if not path:
        fail("PW_TASK_FILE is not set: this module runs as a Pipewright processor (see docs/exec.md)")
    try:
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"cannot read the task file {path}: {e}")
    try:
        loaded = Task(spec)
    except TaskError as e:
        fail(str(e))
    _task = loaded
    return loaded


def task() -> Task:
    """Same as :func:`load`."""
    return load()


def __getattr__(name: str) -> Any:
    # processor.parameters, processor.config, processor.job, ... read the task on first use
    if name in ("parameters", "config", "job", "node", "attempt", "inputs", "outputs"):
        return getattr(load(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def fetch_datanodes_information() -> Tuple[List[str], List[str]]:
    """(input data node names, output data node names) of this task, in declared order (seed 000)."""
    return load().fetch_datanodes_information()


def read_bytes(name: Optional[str] = None) -> bytes:
    return load().read_bytes(name)


def read_text(name: Optional[str] = None, encoding: str = "utf-8") -> str:
    return load().read_text(name, encoding)


def read_json(name: Optional[str] = None) -> Any:
    return load().read_json(name)


def write_bytes(name: Optional[str], data: bytes) -> str:
    return load().write_bytes(name, data)


def write_text(name: Optional[str], text: str, encoding: str = "utf-8") -> str:
    return load().write_text(name, text, encoding)


def write_json(name: Optional[str], value: Any, indent: Optional[int] = 2) -> str:
    return load().write_json(name, value, indent)


def input_path(name: Optional[str] = None) -> str:
    return load().input_path(name)


def output_path(name: Optional[str] = None) -> str:
    return load().output_path(name)


def param(name: str, default: Any = _MISSING, kind: Optional[type] = None) -> Any:
    return load().param(name, default, kind)


def conf(key: str, default: Any = None, kind: Optional[type] = None) -> Any:
    return load().conf(key, default, kind)


# seed 000 reads a data set with ``s3.load_file(name)``: here the worker has fetched it already
load_file = read_bytes


def save_file(name: Optional[str], data: bytes) -> str:
    return write_bytes(name, data)


def log(*parts: Any) -> None:
    """One line of the task's log (stdout is captured per attempt: ``GET /jobs/{id}/logs``)."""
    print(*parts, flush=True)


_logger: Optional[logging.Logger] = None


def logger(name: str = "module") -> logging.Logger:
    """A :mod:`logging` logger whose records land in the task's log as ``LEVEL name - message``."""
    global _logger
    lg = logging.getLogger(f"pipewright.{name}")
    if not any(getattr(h, "_pipewright", False) for h in lg.handlers):
        h = logging.StreamHandler(sys.stdout)
        h.setFormatter(logging.Formatter("%(levelname)s %(name)s - %(message)s"))
        h._pipewright = True  # type: ignore[attr-defined]
        lg.addHandler(h)
        lg.setLevel(logging.INFO)
        lg.propagate = False
    _logger = lg
    return lg


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    """Prints ``message`` on stderr (kept in the task's log) and exits with ``code`` (2: for good)."""
    node = os.environ.get("PW_NODE", os.path.basename(sys.argv[0]))
    print(f"{node}: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def retry_later(message: str) -> NoReturn:
    """Fails this attempt with :data:`TRY_AGAIN` (75): the task is retried as its node's ``retries`` allow."""
    fail(message, TRY_AGAIN)


def main(body: Callable[[Task], Any]) -> None:
    """Runs ``body(task)``; a :class:`TaskError` becomes a message on stderr and exit code 2."""
    t = load()
    try:
        body(t)
    except TaskError as e:
        fail(str(e))
