"""Tiny helper for Pipewright ``exec`` modules (standard library only).

The worker runs a registered command with (see docs/exec.md):

  PW_TASK_FILE   JSON {job, node, attempt, inputs: {name: path}, outputs: {name: path}, parameters, config}
  PW_INPUT_DIR   one file per input data node, named after it
  PW_OUTPUT_DIR  write one file per output data node, named after it
  PW_CONFIG      the node's config as JSON
  PW_PARAM_<N>   each job parameter: text as is, other values as JSON

Usage::

    import pwtask
    task = pwtask.load()
    text = task.read_text()                 # the only input (or task.read_text("page"))
    task.write_json({"words": 3})           # the only output (or task.write_json(obj, "stats"))

Bad input is the caller's fault and will not get better on a retry: ``pwtask.fail(msg)`` prints
the message on stderr and exits with code 2, which the registry lists in permanentExitCodes.
Any other crash exits 1 and the task is retried.
"""

import json
import os
import sys

BAD_INPUT = 2


class TaskError(Exception):
    """A problem with the task's inputs, parameters or config (exit code 2)."""


def fail(message, code=BAD_INPUT):
    """Print ``message`` on stderr and exit with ``code``."""
    node = os.environ.get("PW_NODE", os.path.basename(sys.argv[0]))
    print(f"{node}: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def log(message):
    """A progress line: stdout is kept as the task's log."""
    print(message, flush=True)


_KIND = {int: "an integer", float: "a number", str: "text", bool: "true or false"}


def _kind_name(kind):
    return _KIND.get(kind, kind.__name__)


def _env_name(name):
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name.upper())


class Task:
    def __init__(self, spec):
        self.spec = spec
        self.job = spec.get("job")
        self.node = spec.get("node")
        self.attempt = spec.get("attempt")
        self.parameters = spec.get("parameters") or {}
        input_dir = os.environ.get("PW_INPUT_DIR", "")
        output_dir = os.environ.get("PW_OUTPUT_DIR", "")
        self.inputs = dict(spec.get("inputs") or {})
        self.outputs = dict(spec.get("outputs") or {})
        # PW_INPUTS / PW_OUTPUTS carry the declared order; the task file's maps keep it too.
        for name in filter(None, os.environ.get("PW_INPUTS", "").split(",")):
            self.inputs.setdefault(name, os.path.join(input_dir, name))
        for name in filter(None, os.environ.get("PW_OUTPUTS", "").split(",")):
            self.outputs.setdefault(name, os.path.join(output_dir, name))
        raw_config = os.environ.get("PW_CONFIG")
        if raw_config is not None:
            try:
                self.config = json.loads(raw_config) or {}
            except ValueError as e:
                raise TaskError(f"PW_CONFIG is not JSON: {e}")
        else:
            self.config = spec.get("config") or {}

    # ---- parameters and config -------------------------------------------------------------

    def param(self, name, default=None, kind=str):
        """A job parameter from PW_PARAM_<NAME> (falling back to the task file), converted to ``kind``."""
        raw = os.environ.get("PW_PARAM_" + _env_name(name))
        value = raw if raw is not None else self.parameters.get(name)
        if value is None:
            if default is None:
                raise TaskError(f"missing parameter '{name}'")
            return default
        try:
            if kind is int:
                if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                    raise ValueError(value)
                return int(value)
            return kind(value)
        except (TypeError, ValueError):
            raise TaskError(f"parameter '{name}' must be {_kind_name(kind)}, got {value!r}")

    def conf(self, key, default=None, kind=None):
        """A value from the node's config, converted to ``kind`` when given."""
        value = self.config.get(key, default)
        if kind is None or value is None:
            return value
        try:
            if kind is int and isinstance(value, bool):
                raise ValueError(value)
            return kind(value)
        except (TypeError, ValueError):
            raise TaskError(f"config.{key} must be {_kind_name(kind)}, got {value!r}")

    # ---- inputs --------------------------------------------------------------------------

    def _input_path(self, name):
        if name is None:
            if len(self.inputs) != 1:
                raise TaskError(f"expected exactly one input, got {list(self.inputs) or 'none'}")
            name = next(iter(self.inputs))
        if name not in self.inputs:
            raise TaskError(f"missing input '{name}' (this node reads {list(self.inputs) or 'nothing'})")
        return name, self.inputs[name]

    def read_bytes(self, name=None):
        name, path = self._input_path(name)
        with open(path, "rb") as f:
            return f.read()

    def read_text(self, name=None):
        name, path = self._input_path(name)
        try:
            with open(path, encoding="utf-8") as f:
                return f.read()
        except UnicodeDecodeError as e:
            raise TaskError(f"input '{name}' is not UTF-8 text: {e}")

    def read_json(self, name=None):
        text = self.read_text(name)
        try:
            return json.loads(text)
        except ValueError as e:
            raise TaskError(f"input '{name or next(iter(self.inputs))}' is not JSON: {e}")

    # ---- outputs -------------------------------------------------------------------------

    def _output_path(self, name):
        if name is None:
            if len(self.outputs) != 1:
                raise TaskError(f"expected exactly one output, got {list(self.outputs) or 'none'}")
            name = next(iter(self.outputs))
        if name not in self.outputs:
            raise TaskError(f"unknown output '{name}' (this node writes {list(self.outputs)})")
        return self.outputs[name]

    def write_bytes(self, data, name=None):
        path = self._output_path(name)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)   # the worker never sees a half-written output

    def write_text(self, text, name=None):
        self.write_bytes(text.encode("utf-8"), name)

    def write_json(self, value, name=None, indent=2):
        """JSON, indented except for lists and objects of plain values, which stay on one line."""
        text = json.dumps(value, ensure_ascii=False) if indent is None else _pretty(value, indent, 0)
        self.write_text(text + "\n", name)


def _pretty(value, indent, level):
    items = list(value.items()) if isinstance(value, dict) else list(enumerate(value)) if isinstance(value, list) else []
    if not any(isinstance(v, (dict, list)) for _, v in items):
        return json.dumps(value, ensure_ascii=False)
    pad, inner = " " * (indent * level), " " * (indent * (level + 1))
    if isinstance(value, dict):
        body = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_pretty(v, indent, level + 1)}" for k, v in items]
        return "{\n" + ",\n".join(body) + "\n" + pad + "}"
    return "[\n" + ",\n".join(inner + _pretty(v, indent, level + 1) for _, v in items) + "\n" + pad + "]"


def load():
    """Read PW_TASK_FILE; a missing or broken task file exits with code 2."""
    path = os.environ.get("PW_TASK_FILE")
    if not path:
        fail("PW_TASK_FILE is not set: run this module through a Pipewright worker (see docs/exec.md)")
    try:
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"cannot read the task file {path}: {e}")
    try:
        return Task(spec)
    except TaskError as e:
        fail(str(e))


def main(body):
    """Run ``body(task)``; a TaskError becomes a message on stderr and exit code 2."""
    task = load()
    try:
        body(task)
    except TaskError as e:
        fail(str(e))
