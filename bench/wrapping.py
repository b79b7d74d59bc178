"""Hard-wrapped plain text put back into paragraphs (`assistant.text.wrapping`), on public abstracts.

    .venv/bin/python bench/wrapping.py [--documents 400]

Each abstract becomes a plain-text file as a user's would be: its title on the first line, then the abstract
wrapped with `textwrap` at a width from 50 to 120 columns (paragraphs of two to five sentences, separated by a blank
line or not), and also left one sentence per line, the way editors save text. The text as unwrapped is split into
sentences (`sentences.split_sentences`) and compared with the sentences of the abstract itself; printed per width:
the share of documents whose sentences all come back, and the share of sentences. SciFact corpus abstracts first
(the set the constants would be chosen on), then PubMedQA contexts (reported only). No timing: it measures text.
"""

from __future__ import annotations

import argparse
import random
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.evaluation.retrieval.datasets import load_dataset
from assistant.settings import load_settings
from assistant.text.sentences import split_sentences
from assistant.text.wrapping import unwrap

WIDTHS = (50, 60, 72, 80, 100, 120, -80, 0)  # 0: one sentence per line, not wrapped; -80: ragged, 64 to 88


def ragged(text: str, width: int, rng: random.Random) -> str:
    """Lines of 0.8 to 1.1 times `width` characters, as text copied from a PDF set in a proportional font."""
    lines, line, limit = [], "", width
    for word in text.split():
        if line and len(line) + 1 + len(word) > limit:
            lines.append(line)
            line, limit = word, rng.randint(int(width * 0.8), int(width * 1.1))
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])


SEED = 13


def sentences(text: str) -> list[str]:
    return [" ".join(text[s:e].split()) for s, e in split_sentences(text)]


def as_file(title: str, said: list[str], width: int, rng: random.Random) -> str:
    """The file a user might have: the title, then paragraphs of 2-5 sentences wrapped at `width`."""
    paragraphs, i = [], 0
    while i < len(said):
        n = rng.randint(2, 5)
        paragraphs.append(" ".join(said[i : i + n]))
        i += n
    if width == 0:
        body = ["\n".join(said)]
    elif width < 0:
        body = [ragged(p, -width, rng) for p in paragraphs]
    else:
        body = [textwrap.fill(p, width, break_on_hyphens=False, break_long_words=False) for p in paragraphs]
    gap = "\n\n" if rng.random() < 0.5 else "\n"
    return title + gap + gap.join(body)


def measure(name: str, documents: list[tuple[str, str]]) -> None:
    print(f"\n{name}: {len(documents)} abstracts")
    print("| width | documents whole | sentences kept | before: documents whole | before: sentences kept |")
    print("|---|---|---|---|---|")
    for width in WIDTHS:
        rng = random.Random(SEED)
        whole = kept = total = before = kept_before = 0
        for title, abstract in documents:
            said = sentences(abstract)
            expected = [title, *said]
            text = as_file(title, said, width, rng)
            got = sentences(unwrap(text))
            whole += got == expected
            kept += len(set(got) & set(expected))
            total += len(expected)
            before += sentences(text) == expected
            kept_before += len(set(sentences(text)) & set(expected))
        label = str(width) if width > 0 else "ragged 64-88" if width else "sentence per line"
        n = len(documents)
        print(f"| {label} | {whole / n:.3f} | {kept / total:.3f} | {before / n:.3f} | {kept_before / total:.3f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=400, help="abstracts per data set")
    n = parser.parse_args().documents
    bench = load_settings().paths.bench_dir
    for name in ("scifact", "pubmedqa"):
        dataset = load_dataset(name, bench)
        # PubMedQA contexts have no title; their question is the article's title put as a question.
        asked = {doc: q.text for q in (*dataset.queries, *dataset.tune) for doc in q.relevant}
        docs = list(dataset.documents)
        random.Random(SEED).shuffle(docs)
        picked = [(d.metadata.title or asked.get(d.doc_id, "Untitled study"), d.text) for d in docs[:n]]
        measure(name, [(title, text.replace("\n", " ")) for title, text in picked])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
