"""Markup floods: HTML and Markdown made of openers that never close, converted to text, against a plain page of
the same size converted in the same run.

    .venv/bin/python bench/markup.py [--kb 25]

For each flood, the seconds at `--kb` and at four times that, the growth (about 4 when the time is linear in the
size, 16 when it is quadratic) and the ratio to the plain page of the larger size. A page of unclosed tags once took
21 s at 50 KB (the standard library's parser rescanned to the end from every "<"); a line of "**a " 15 s. The last
rows read a document's aliases (`find_aliases`, run on every indexed text) in a run of letters without a space: once
6.5 s for 20,000 letters, a minute to index a 30 KB one-word document.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.ingest.documents.formats import html_to_text  # noqa: E402
from assistant.ingest.documents.markdown import markdown_to_text  # noqa: E402
from assistant.text.aliases import find_aliases  # noqa: E402

HTML_FLOODS = ("<a ", '<a b="', "<!-- ", "</a ", "<? ")
MARKDOWN_FLOODS = ("**a ", "*a ", "_a ", "~~a ", "[a ", "![a ")
PLAIN_HTML = "<p>Imatinib reduced the frequency of regulatory T cells in treated mice.</p>\n"
PLAIN_MARKDOWN = "Imatinib **reduced** the frequency of _regulatory_ T cells in [treated](http://x.example) mice.\n"
WORD_FLOODS = ("W", "a-")  # one word without spaces, then a full stop (no parenthesis to end a match)
PLAIN_TEXT = "Imatinib mesylate (Gleevec) reduced the frequency of regulatory T cells (Treg) in treated mice. "


def _seconds(convert: Callable[[str], object], text: str) -> float:
    started = time.perf_counter()
    convert(text)
    return time.perf_counter() - started


def _fill(unit: str, size: int) -> str:
    return unit * (size // len(unit))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=int, default=25, help="the smaller size, in KB (the larger is four times it)")
    size = parser.parse_args().kb * 1024
    print(f"| flood | {size // 1024} KB s | {4 * size // 1024} KB s | growth x4 | vs plain page |")
    print("|---|---:|---:|---:|---:|")
    for convert, floods, plain in (
        (html_to_text, HTML_FLOODS, PLAIN_HTML),
        (markdown_to_text, MARKDOWN_FLOODS, PLAIN_MARKDOWN),
    ):
        baseline = max(_seconds(convert, _fill(plain, 4 * size)), 1e-6)
        kind = "html" if convert is html_to_text else "markdown"
        # An HTML flood at the end of the page is cut (a browser shows none of it); one before the page's last tag
        # is read.
        for unit, tail in [(u, "") for u in floods] + ([(u, PLAIN_HTML) for u in floods] if kind == "html" else []):
            small, large = (_seconds(convert, _fill(unit, n) + tail) for n in (size, 4 * size))
            where = " then a paragraph" if tail else ""
            print(f"| {kind} {unit!r}{where} | {small:.3f} | {large:.3f} | {large / max(small, 1e-6):.1f} | "
                  f"{large / baseline:.1f} |")  # fmt: skip
        print(f"| {kind} plain page | | {baseline:.3f} | | 1.0 |")
    baseline = max(_seconds(find_aliases, _fill(PLAIN_TEXT, 4 * size)), 1e-6)
    for unit in WORD_FLOODS:
        small, large = (_seconds(find_aliases, _fill(unit, n) + " end.") for n in (size, 4 * size))
        print(f"| aliases in {unit!r}... | {small:.3f} | {large:.3f} | {large / max(small, 1e-6):.1f} | "
              f"{large / baseline:.1f} |")  # fmt: skip
    print(f"| aliases in plain text | | {baseline:.3f} | | 1.0 |")


if __name__ == "__main__":
    main()
