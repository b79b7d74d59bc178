"""`assistant` command line: a thin shell over `Assistant`. Heavy imports wait until a command needs them."""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from assistant.errors import InputError, exit_status
from assistant.models import ANSWER_MODES  # stdlib only: --help stays free of heavy imports

if TYPE_CHECKING:
    from assistant.api import Assistant
    from assistant.ingest.indexing import IndexProgress
    from assistant.models import Answer


class _Parser(argparse.ArgumentParser):
    """Argument errors as the command's other errors: one `error:` line, status 2, `{"error"}` with `--json`
    (`errors.exit_status`), not argparse's usage block. Sub-parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        raise InputError(f"{message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="assistant",
        description="Answers questions from your biomedical documents, "
        "with every claim cited to the passage it rests on.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    index = sub.add_parser("index", help="index files and folders (default: the seeds folder)")
    index.add_argument("paths", nargs="*", type=Path, help="files or folders; folders are synced")
    index.add_argument("--rebuild", action="store_true", help="drop the index and build it with current settings")
    remove = sub.add_parser("remove", help="remove a document by id, path or file name")
    remove.add_argument("target")
    ask = sub.add_parser("ask", help="ask a question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--top-k", type=int, default=None, help="passages to retrieve")
    ask.add_argument("--mode", choices=ANSWER_MODES, default=None, help="override ASSISTANT_ANSWER__MODE")
    check = sub.add_parser("check", help="check each sentence of a text against the library (supported or not)")
    check.add_argument("text", nargs="?", default=None, help="a claim or a paragraph (or give --file)")
    check.add_argument("--file", type=Path, default=None, help="a UTF-8 text file to check")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    sub.add_parser("doctor", help="check the answer mode, the LLM backend (does it answer?) and the index")
    sub.add_parser("documents", help="list the indexed documents")
    settings = sub.add_parser("settings", help="list every setting with its environment variable and default")
    settings.add_argument("--markdown", action="store_true", help="as the markdown table of docs/settings.md")
    evaluate = sub.add_parser("eval", help="run a gold question set on a fresh temporary index and write a report")
    evaluate.add_argument(
        "suite",
        choices=["seeds", "tune_paraphrase", "heldout", "retrieval", "verification"],
        help="seeds, tune_paraphrase (tune splits), heldout: gold sets in eval/gold/; retrieval, verification: "
        "see eval <suite> -h",
    )
    evaluate.add_argument("--mode", choices=ANSWER_MODES, default="extractive", help="how answers are written")
    evaluate.add_argument("--json", action="store_true", help='print {"n", "metrics", "failures"} as one JSON object')
    serve = sub.add_parser("serve", help="serve the chat page (and REST API)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["eval", "retrieval"]:  # its own flags (--dataset, --limit ...), parsed by its own parser
        from assistant.evaluation.retrieval.cli import main as retrieval_main

        return retrieval_main(argv[2:])
    if argv[:2] == ["eval", "verification"]:
        from assistant.evaluation.verification import main as verification_main

        return exit_status(lambda: verification_main(argv[2:]))
    try:
        args = _parser().parse_args(argv)
    except InputError as exc:
        return exit_status(partial(_raise, exc), as_json="--json" in argv)
    return exit_status(lambda: _run(args), as_json=bool(getattr(args, "json", False)))


def _raise(error: Exception) -> int:
    raise error


def _run(args: argparse.Namespace) -> int:
    if args.command == "settings":
        from assistant.settings import settings_table

        if args.markdown:
            print("| Variable | Type | Default | What it does |\n|---|---|---|---|")
        for env, typ, default, text in settings_table():
            print(f"| `{env}` | {typ} | `{default}` | {text} |" if args.markdown else f"{env}={default}  {text}")
        return 0
    if args.command == "serve":
        from assistant.app.server import serve

        serve(host=args.host, port=args.port)
        return 0
    if args.command == "eval":
        return _eval(args)
    if args.command == "doctor":
        from assistant.app.doctor import doctor

        return doctor()
    if args.command == "ask":
        _check_ask(args)
    if args.command == "check":
        return _check(args)
    rebuild = args.command == "index" and args.rebuild
    if rebuild:  # a mistyped path or a bad file must not cost the index it would have replaced
        _check_named(args.paths)
    assistant = _assistant(index_seeds=args.command not in {"index", "remove", "documents"}, rebuild=rebuild)
    if args.command == "index":
        return _index(assistant, args)
    if args.command == "remove":
        print(f"removed {assistant.remove(args.target)}")
        return 0
    if args.command == "documents":
        for r in assistant.documents():
            print(f"{r.doc_id}  {r.source}  {r.n_chunks} chunks  {r.indexed_at}  {r.metadata.title}")
        return 0
    answer = assistant.ask(args.question, top_k=args.top_k, mode=args.mode)
    print(json.dumps(answer.to_json(), ensure_ascii=False) if args.json else _format(answer))
    return 0


def _check_ask(args: argparse.Namespace) -> None:
    """The REST API's rules, before the model loads and before an empty index is given the seeds: a question
    `Assistant.ask` takes (UTF-8 text: undecodable argv bytes arrive as lone surrogates) and --top-k within the
    bounds `/api/ask` accepts."""
    from assistant.answer.questions import check_question, check_top_k
    from assistant.settings import load_settings

    check_question(args.question, load_settings().retrieval.max_question_chars)
    check_top_k(args.top_k, "--top-k")


def _eval(args: argparse.Namespace) -> int:
    if args.mode == "llm":
        _check_eval_llm()
    from assistant.evaluation.report import build_report, text_summary, write_report
    from assistant.evaluation.seeds import run_eval

    report = build_report(run_eval(args.suite, args.mode, progress=lambda msg: print(msg, file=sys.stderr)))
    for path in write_report(report):
        print(f"wrote {path}", file=sys.stderr)
    print(json.dumps(report.summary(), ensure_ascii=False) if args.json else text_summary(report))
    return 0


def _check_eval_llm() -> None:
    """An llm eval whose LLM is missing or down would score the extractive fallback: refuse it at once."""
    from assistant.answer.llm.client import check_llm
    from assistant.answer.llm.registry import is_configured
    from assistant.errors import InputError
    from assistant.settings import load_settings

    settings = load_settings()
    if not is_configured(settings):
        raise InputError(
            "--mode llm needs an LLM backend and none is configured: set ASSISTANT_LLM__BACKEND and its "
            "ASSISTANT_LLM__BASE_URL/MODEL or MODEL_PATH (`assistant doctor` checks them)"
        )
    ok, message = check_llm(settings.llm)
    if not ok:
        raise InputError(f"--mode llm: the LLM does not answer: {message}")


def _check_named(paths: list[Path]) -> None:
    from assistant.ingest.indexing import check_named
    from assistant.settings import load_settings

    settings = load_settings()
    check_named(paths or [settings.paths.seeds_dir], settings.ingest)


def _assistant(index_seeds: bool, rebuild: bool) -> Assistant:
    from assistant.api import Assistant

    return Assistant(index_seeds=index_seeds, rebuild=rebuild)


def _index(assistant: Assistant, args: argparse.Namespace) -> int:
    paths = args.paths or [assistant.settings.paths.seeds_dir]
    with _ProgressBar() as bar:
        report = assistant.index(paths, progress=bar.update)
    for note in report.skipped:
        print(f"skipped {note}", file=sys.stderr)
    print(report.summary())
    return 0


class _ProgressBar:
    """Indexing progress on stderr: in a terminal a tqdm bar over the documents to embed (rate and ETA), with the
    chunks and the file in its postfix; otherwise one plain line per step (`IndexProgress.__str__`)."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=0, unit="file", file=sys.stderr, dynamic_ncols=True, disable=None)

    def update(self, event: IndexProgress) -> None:
        if self._bar.disable:
            if event.done < event.total:
                print(event, file=sys.stderr)
            return
        file = f"file {min(event.done + 1, event.total)}/{event.total} {event.current}"
        if event.to_embed:  # embedding is nearly all the work: the bar moves within a file of many records
            self._bar.unit, self._bar.total, self._bar.n = "doc", event.to_embed, event.documents
            self._bar.set_postfix_str(f"{event.chunks} chunks, {file}"[:80])
        else:
            self._bar.total, self._bar.n = event.total, event.done
            self._bar.set_postfix_str(file[:80])

    def __enter__(self) -> _ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.close()


def _check(args: argparse.Namespace) -> int:
    """`assistant check`: each sentence marked supported / contradicted / not found, progress on stderr."""
    from assistant.errors import InputError, check_unicode

    if (args.text is None) == (args.file is None):
        raise InputError("give the text to check, or --file FILE (not both)")
    if args.file is not None:
        from assistant.errors import DocumentError
        from assistant.ingest.documents.files import decode_text

        try:  # read as `assistant index` reads a file: the same words for a binary, UTF-16 or non-UTF-8 one
            text = decode_text(args.file, args.file.read_bytes())
        except OSError as exc:
            raise InputError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
        except DocumentError as exc:
            raise InputError(str(exc)) from exc
    else:
        text = check_unicode(args.text, "the text")
    from assistant.answer.claims import check_text
    from assistant.settings import load_settings

    check_text(text, load_settings().answer.max_check_chars)  # empty, huge or binary: said before the model loads
    assistant = _assistant(index_seeds=True, rebuild=False)
    report = assistant.check(text, progress=lambda done, total: print(f"checked {done}/{total}", file=sys.stderr))
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return 0
    for s in report.sentences:
        print(f"[{s.verdict.replace('_', ' ')} {s.score:.2f}] {s.sentence}")
        for p in (p for p in s.passages if p.verdict == s.verdict and s.verdict != "not_found"):
            c = p.citation
            for start, end in c.support:
                print(f'    {c.title} ({c.source}): "{c.text[start - c.start : end - c.start]}"')
    if any(s.verdict == "contradicted" for s in report.sentences):
        from assistant.answer.claims import CONTRADICTION_CAVEAT

        print(f"\nNote: {CONTRADICTION_CAVEAT}")
    return 0


def _format(answer: Answer) -> str:
    lines = [answer.text, ""]
    if answer.notice:
        lines[1:1] = ["", f"Note: {answer.notice}"]
    if answer.citations:
        lines.append("Sources:")
    for c in answer.citations:
        venue = ", ".join(x for x in (c.journal, str(c.year or "")) if x)
        lines.append(f"[{c.n}] {c.title} ({c.source}{'; ' + venue if venue else ''})")
        for start, end in c.support:
            lines.append(f'    "{c.text[start - c.start : end - c.start]}"')
    return "\n".join(lines).rstrip()


if __name__ == "__main__":
    sys.exit(main())
