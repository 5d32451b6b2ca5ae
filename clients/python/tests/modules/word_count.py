#!/usr/bin/env python3
"""The seed-000 module walkthrough: written as seed 000 writes a module, with the package helper.

Reads every input as text, counts words; writes JSON counts to the first output and the inputs
joined and upper-cased to the second. Parameter ``top`` (how many frequent words), config
``lower`` (fold case first). An input that is not UTF-8 fails the task for good (exit code 2).
"""
from collections import Counter

from pipewright import processor

inputs, outputs = processor.fetch_datanodes_information()
log = processor.logger("word_count")

texts = []
for name in inputs:
    try:
        texts.append(processor.read_text(name))
    except processor.TaskError as e:
        processor.fail(str(e))
words = " ".join(texts).split()
if processor.config.get("lower", False):
    words = [w.lower() for w in words]
top = processor.param("top", 3, kind=int)
counts = Counter(words)
log.info("counted %d words in %d inputs", len(words), len(inputs))
processor.log(f"job {processor.job} node {processor.node} attempt {processor.attempt}")
processor.write_json(outputs[0], {
    "inputs": inputs,
    "outputs": outputs,
    "words": len(words),
    "top": [[w, c] for w, c in sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))[:top]],
    "lower": processor.config.get("lower", False),
    "parameters": processor.parameters,
})
processor.write_text(outputs[1], " | ".join(t.upper() for t in texts))
