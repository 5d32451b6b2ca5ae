#!/usr/bin/env python3
"""extract_page: pick page ``page_num`` (0 = the first page) out of a document.

Pages are separated by form feeds (\\f) or by marker lines such as ``=== page 2 ===`` (the
number in a marker is only a label; pages are counted in order). A page number out of range
fails with exit code 2.
"""
import re

from pipewright import processor

MARKER = re.compile(r"^[ \t]*=+[ \t]*page[ \t]+\S+[ \t]*=+[ \t]*$", re.IGNORECASE | re.MULTILINE)


def split_pages(text):
    if MARKER.search(text):
        parts = MARKER.split(text)
        if not parts[0].strip():        # nothing before the first marker
            parts = parts[1:]
    else:
        parts = text.split("\f")
    pages = [p.strip("\n") for p in parts]
    while pages and not pages[-1].strip():  # a trailing separator is not an empty last page
        pages.pop()
    return pages


def run(task):
    page_num = task.param("page_num", default=0, kind=int)
    document = task.read_text()
    pages = split_pages(document)
    if not pages:
        raise processor.TaskError("the document is empty: it has no pages")
    if not 0 <= page_num < len(pages):
        raise processor.TaskError(f"page_num {page_num} is out of range: the document has {len(pages)} "
                               f"page{'s' if len(pages) != 1 else ''} (0 to {len(pages) - 1})")
    page = pages[page_num]
    processor.log(f"extract_page: page {page_num} of {len(pages)}, {len(page)} characters")
    task.write_text(task.only_output(), page + "\n")


if __name__ == "__main__":
    processor.main(run)
