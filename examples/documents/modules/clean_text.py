#!/usr/bin/env python3
"""clean_text: normalise a page of text.

Unicode NFKC, control characters dropped, words hyphenated across a line break joined, the lines
of a paragraph joined with single spaces, paragraphs kept apart by one blank line.
"""
import re
import unicodedata

from pipewright import processor


def clean(text):
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C")
    text = re.sub(r"(\w)-\n[ \t]*(\w)", r"\1\2", text)       # "exam-\nple" -> "example"
    paragraphs = re.split(r"\n[ \t]*\n", text)
    cleaned = [" ".join(p.split()) for p in paragraphs]
    return "\n\n".join(p for p in cleaned if p)


def run(task):
    raw = task.read_text()
    text = clean(raw)
    paragraphs = text.count("\n\n") + 1 if text else 0
    processor.log(f"clean_text: {len(raw)} -> {len(text)} characters, {paragraphs} paragraphs")
    task.write_text(task.only_output(), text + "\n" if text else "")


if __name__ == "__main__":
    processor.main(run)
