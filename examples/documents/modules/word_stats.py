#!/usr/bin/env python3
"""word_stats: counts over a JSON list of tokens.

Writes JSON {words, unique_words, top_words: [{word, count}, ...]}. The top list has config
``top`` entries (default 10), most frequent first (ties alphabetical), and skips stop words
unless config ``skip_stop_words`` is false.
"""
from collections import Counter

from pipewright import processor
import stopwords


def stats(tokens, top=10, skip_stop_words=True):
    counts = Counter(tokens)
    ranked = sorted(((w, c) for w, c in counts.items() if not (skip_stop_words and w in stopwords.ALL)),
                    key=lambda wc: (-wc[1], wc[0]))
    return {
        "words": len(tokens),
        "unique_words": len(counts),
        "top_words": [{"word": w, "count": c} for w, c in ranked[:top]],
    }


def run(task):
    tokens = task.read_json()
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise processor.TaskError("expected a JSON list of tokens (strings)")
    top = task.conf("top", 10, int)
    if top < 0:
        raise processor.TaskError(f"config.top must not be negative, got {top}")
    result = stats(tokens, top, bool(task.conf("skip_stop_words", True)))
    processor.log(f"word_stats: {result['words']} words, {result['unique_words']} distinct")
    task.write_json(task.only_output(), result)


if __name__ == "__main__":
    processor.main(run)
