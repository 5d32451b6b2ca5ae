#!/usr/bin/env python3
"""report: gather a page's statistics, language and summary into one JSON report.

Reads the inputs named ``stats`` (word_stats JSON), ``language`` (detect_language JSON) and
``summary`` (text); writes JSON {document_id, page_num, language, language_confidence, words,
unique_words, top_words, summary}.
"""
from pipewright import processor


def run(task):
    stats = task.read_json("stats")
    language = task.read_json("language")
    summary = task.read_text("summary").strip()
    if not isinstance(stats, dict) or "words" not in stats:
        raise processor.TaskError("input 'stats' is not word_stats output: expected JSON with 'words'")
    if not isinstance(language, dict) or "language" not in language:
        raise processor.TaskError("input 'language' is not detect_language output: expected JSON with 'language'")
    report = {
        "document_id": task.param("document_id"),
        "page_num": task.param("page_num", default=0, kind=int),
        "language": language["language"],
        "language_confidence": language.get("confidence"),
        "words": stats["words"],
        "unique_words": stats.get("unique_words"),
        "top_words": stats.get("top_words", []),
        "summary": summary,
    }
    processor.log(f"report: {report['document_id']} page {report['page_num']}: {report['words']} words, "
               f"language {report['language']}")
    task.write_json(task.only_output(), report)


if __name__ == "__main__":
    processor.main(run)
