#!/usr/bin/env python3
"""detect_language: guess en, fr or de from a JSON list of tokens by counting stop words.

Writes JSON {language, confidence, scores: {en, fr, de}}; ``language`` is "unknown" when no
stop word of any language occurs. A tiny heuristic, good enough for a page of prose.
"""
from pipewright import processor
import stopwords


def detect(tokens):
    scores = {lang: sum(1 for t in tokens if t in words) for lang, words in stopwords.STOP_WORDS.items()}
    total = sum(scores.values())
    if total == 0:
        return {"language": "unknown", "confidence": 0.0, "scores": scores}
    best = max(scores, key=lambda lang: (scores[lang], lang == "en"))
    return {"language": best, "confidence": round(scores[best] / total, 3), "scores": scores}


def run(task):
    tokens = task.read_json()
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise processor.TaskError("expected a JSON list of tokens (strings)")
    result = detect(tokens)
    processor.log(f"detect_language: {result['language']} (confidence {result['confidence']}, scores {result['scores']})")
    task.write_json(task.only_output(), result)


if __name__ == "__main__":
    processor.main(run)
