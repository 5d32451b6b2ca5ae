#!/usr/bin/env python3
"""merge_split: N inputs -> 2 outputs, using the exec contract directly (no helper).

Reads every input named in PW_INPUTS (files in PW_INPUT_DIR, declared order) and writes
  - the first output in PW_OUTPUTS: the inputs concatenated in order, each starting on a new line;
  - the second output: JSON {"inputs": {name: {"bytes", "lines"}}, "total": {"bytes", "lines"}}.
Exit code 2 (permanent) when the node does not declare exactly two outputs or an input is missing.
"""
import json
import os
import sys


def fail(message):
    print(f"merge_split: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def count_lines(data):
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def to_json(stats):
    """Indented JSON with one line per input: {"inputs": {name: {bytes, lines}}, "total": {bytes, lines}}."""
    rows = [f"    {json.dumps(name)}: {json.dumps(counts)}" for name, counts in stats["inputs"].items()]
    return ('{\n  "inputs": {\n' + ",\n".join(rows) + ("\n" if rows else "") + "  },\n"
            + f'  "total": {json.dumps(stats["total"])}\n}}\n')


def main():
    input_dir = os.environ.get("PW_INPUT_DIR")
    output_dir = os.environ.get("PW_OUTPUT_DIR")
    if not input_dir or not output_dir:
        fail("PW_INPUT_DIR and PW_OUTPUT_DIR must be set: run this module through a Pipewright worker")
    inputs = [n for n in os.environ.get("PW_INPUTS", "").split(",") if n]
    outputs = [n for n in os.environ.get("PW_OUTPUTS", "").split(",") if n]
    if len(outputs) != 2:
        fail(f"expected two outputs (merged data, statistics), got {len(outputs)}: {outputs}")
    if not inputs:
        fail("expected at least one input")

    merged = bytearray()
    per_input = {}
    for name in inputs:
        path = os.path.join(input_dir, name)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            fail(f"cannot read input '{name}': {e}")
        if merged and not merged.endswith(b"\n"):
            merged += b"\n"
        merged += data
        per_input[name] = {"bytes": len(data), "lines": count_lines(data)}
        print(f"merge_split: read {name}: {len(data)} bytes, {per_input[name]['lines']} lines", flush=True)

    stats = {"inputs": per_input, "total": {"bytes": len(merged), "lines": count_lines(bytes(merged))}}
    with open(os.path.join(output_dir, outputs[0]), "wb") as f:
        f.write(merged)
    with open(os.path.join(output_dir, outputs[1]), "w", encoding="utf-8") as f:
        f.write(to_json(stats))
    print(f"merge_split: wrote {outputs[0]} ({len(merged)} bytes) and {outputs[1]}", flush=True)


if __name__ == "__main__":
    main()
