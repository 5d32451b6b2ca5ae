#!/usr/bin/env python3
"""summarize: the first sentences of a text, up to config ``max_words`` words (default 40).

Paragraphs end sentences too, and a short first paragraph without a full stop (a title) is
skipped. Whole sentences are kept while they fit; when even the first one is longer, it is cut
at ``max_words`` words and ends with "…".
"""
import re

from pipewright import processor

SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'»”)]*\s+")
HEADING_MAX_WORDS = 12


def sentences(text):
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    paragraphs = [p for p in paragraphs if p]
    if len(paragraphs) > 1 and len(paragraphs[0].split()) <= HEADING_MAX_WORDS and not paragraphs[0].endswith((".", "!", "?", "…")):
        paragraphs = paragraphs[1:]
    return [s.strip() for p in paragraphs for s in SENTENCE_END.split(p) if s.strip()]


def summarize(text, max_words):
    found = sentences(text)
    picked, used = [], 0
    for sentence in found:
        n = len(sentence.split())
        if used + n > max_words:
            break
        picked.append(sentence)
        used += n
    if not picked and found:
        picked = [" ".join(found[0].split()[:max_words]) + "…"]
    return " ".join(picked)


def run(task):
    max_words = task.conf("max_words", 40, int)
    if max_words < 1:
        raise processor.TaskError(f"config.max_words must be at least 1, got {max_words}")
    summary = summarize(task.read_text(), max_words)
    processor.log(f"summarize: {len(summary.split())} words (max_words {max_words})")
    task.write_text(task.only_output(), summary + "\n" if summary else "")


if __name__ == "__main__":
    processor.main(run)
