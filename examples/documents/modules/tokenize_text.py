#!/usr/bin/env python3
"""tokenize: split text into lower-case word tokens; writes a JSON list of strings.

(The file is tokenize_text.py so that it does not shadow the standard library's tokenize module.)

A token is a run of letters, with inner apostrophes kept ("don't") and a French elision split
off ("l'eau" -> "l", "eau"). Digits and punctuation are dropped.
"""
import re

from pipewright import processor

WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
ELISION = re.compile(r"^(c|d|j|l|m|n|qu|s|t)['’](.+)$")


def tokens(text):
    out = []
    for match in WORD.finditer(text.lower()):
        word = match.group(0).replace("’", "'")
        elided = ELISION.match(word)
        if elided:
            out.extend(elided.groups())
        else:
            out.append(word)
    return out


def run(task):
    result = tokens(task.read_text())
    processor.log(f"tokenize: {len(result)} tokens")
    task.write_json(task.only_output(), result, indent=None)   # one line: a page has hundreds of tokens


if __name__ == "__main__":
    processor.main(run)
