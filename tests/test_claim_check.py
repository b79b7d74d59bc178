"""The trained verifier guarding answers and checking claims, with the real weights, the real model and a real index:
a contradicted LLM sentence is removed and reported, and `Assistant.check` marks each sentence of a text."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.answer.claims import ClaimChecker
from assistant.api import Assistant
from assistant.app.check_render import check_html
from assistant.app.ui_render import answer_html
from assistant.errors import InputError
from assistant.models import Answer
from assistant.store.embeddings import Embedder
from tests.conftest import IMIQUIMOD, make_settings, run_cli
from tests.live_server import copy_index, running_server

FAITHFUL = "Mast cells release CCL2 in reaction to imiquimod."
FAITHFUL_IMATINIB = "Imatinib inhibited the phosphorylation of ZAP70 and LAT in Treg."
REVERSED = "Imatinib increased the activation of STAT3 and STAT5 in regulatory T cells."
UNRELATED = "Metformin lowers the risk of hip fractures in elderly women with type 2 diabetes."
QUESTION = "what does imatinib do to regulatory T cells"


def test_the_shipped_weights_are_there(seeded: Assistant) -> None:
    assert seeded.claims is not None and (seeded.claims.path / "model.safetensors").is_file()


def test_a_text_is_checked_sentence_by_sentence(seeded: Assistant) -> None:
    report = seeded.check(f"{FAITHFUL} {REVERSED} {UNRELATED}")
    verdicts = [s.verdict for s in report.sentences]
    assert verdicts == ["supported", "contradicted", "not_found"]
    faithful = report.sentences[0]
    backing = [p for p in faithful.passages if p.verdict == "supported"]
    assert backing and backing[0].citation.source == IMIQUIMOD
    rationale = [backing[0].citation.text[s - backing[0].citation.start : e - backing[0].citation.start]
                 for s, e in backing[0].citation.support]  # fmt: skip
    assert any("CCL2" in r for r in rationale), "the rationale is the passage sentence that says it"
    assert 0.0 <= faithful.score <= 1.0
    data = report.to_json()
    assert data["counts"]["supported"] == 1 and len(data["sentences"]) == 3
    assert data["sentences"][0]["passages"][0]["verdict"] in {"supported", "contradicted", "not_found"}
    html = check_html(report)
    assert 'class="claim supported"' in html and 'class="claim contradicted"' in html and "CCL2" in html
    assert "read that passage" in html, "a contradiction comes with the advice to read its passage"
    assert "read that passage" not in check_html(seeded.check(FAITHFUL))


# Findings of the seeds reversed, in other words than the papers' (written for this test): the far support threshold,
# when it was the default, verified the first two (docs/verifier.md); none may be shown as supported.
REVERSALS = (
    "Imatinib strengthens the suppressive function of regulatory T cells.",
    "Imatinib reduced the efficacy of dendritic cell vaccination against the lymphoma.",
    "Imatinib increases FoxP3 expression in regulatory T lymphocytes.",
    "Imatinib boosts the activation of STAT3 and STAT5 in Tregs.",
    "Imiquimod stops mast cells from releasing CCL2.",
)


def test_no_reversed_finding_in_other_words_is_verified(seeded: Assistant) -> None:
    report = seeded.check(" ".join(REVERSALS))
    assert len(report.sentences) == len(REVERSALS)
    assert [s.sentence for s in report.sentences if s.verdict == "supported"] == []


def test_progress_is_reported_per_group_of_sentences(seeded: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int]] = []
    seeded.check(f"{FAITHFUL} {UNRELATED}", progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 2)], "two sentences are one verifier batch"
    monkeypatch.setattr(ClaimChecker, "GROUP", 1)
    seen.clear()
    grouped = seeded.check(f"{FAITHFUL} {UNRELATED}", progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]
    alone = [seeded.check(s).sentences[0] for s in (FAITHFUL, UNRELATED)]
    assert [c.verdict for c in grouped.sentences] == [c.verdict for c in alone], "verdicts do not depend on the batch"
    assert [c.score for c in grouped.sentences] == pytest.approx([c.score for c in alone], abs=1e-3)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "no sentence"), ("   \n ", "no sentence"), ("x" * 30_000, "limit"), ("abc\x00\x01\x02 def ghi", "binary")],
)
def test_bad_input_is_a_clear_error(seeded: Assistant, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        seeded.check(text)


# --- the LLM answer guard, through a real OpenAI-compatible server that replies with a scripted answer -------------
class _Scripted(BaseHTTPRequestHandler):
    reply = ""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))) or b"{}")
        message = {"role": "assistant", "content": self.reply}
        if body.get("stream"):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "scripted",
                     "choices": [{"index": 0, "delta": message, "finish_reason": "stop"}]}  # fmt: skip
            self.wfile.write(f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode())
            return
        payload = {"id": "x", "object": "chat.completion", "created": 0, "model": "scripted",
                   "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}  # fmt: skip
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def scripted_llm() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def _scripted_answer(scripted_llm: str, seeded_dir: Path, embedder: Embedder, reply: str) -> Answer:
    """The llm-mode answer to QUESTION when the model replies `reply`, with "{n}" the number of the passage that
    holds the STAT3 finding."""
    llm = {"backend": "openai", "base_url": scripted_llm, "model": "scripted", "timeout_s": 10}
    settings = make_settings(seeded_dir, answer={"mode": "llm"}, llm=llm)
    assistant = Assistant(settings, embedder=embedder, index_seeds=False)
    passages = assistant.retriever.retrieve(QUESTION)
    n = next(i for i, p in enumerate(passages, 1) if "STAT3" in p.chunk.text and "ZAP70" in p.chunk.text)
    _Scripted.reply = reply.format(n=n)
    return assistant.ask(QUESTION)


def _contradicting_sentence(answer: Answer) -> str:
    """The passage sentence the answer's one reported contradiction points at."""
    [reported] = answer.to_json()["contradicted"]
    assert reported["sentence"] == REVERSED
    cited = next(c for c in answer.citations if c.n == reported["n"])
    start, end = reported["span"]
    return cited.text[start - cited.start : end - cited.start]


def test_a_contradicted_llm_sentence_is_removed_and_reported(
    scripted_llm: str, seeded_dir: Path, embedder: Embedder
) -> None:
    answer = _scripted_answer(scripted_llm, seeded_dir, embedder, f"{FAITHFUL_IMATINIB} [{{n}}] {REVERSED} [{{n}}]")
    assert answer.mode == "llm" and not answer.refused
    assert [s.text for s in answer.sentences] == [FAITHFUL_IMATINIB]
    assert "STAT3" in _contradicting_sentence(answer)
    assert "Contradicted by the passages" in answer_html(answer, 1) and REVERSED in answer_html(answer, 1)


def test_a_contradiction_is_reported_when_the_answer_falls_back_to_quotes(
    scripted_llm: str, seeded_dir: Path, embedder: Embedder
) -> None:
    """The model wrote only the reversed sentence: nothing of its answer is shown, the quotes are, and the
    contradiction is still news to report, pointing at a citation of the answer."""
    answer = _scripted_answer(scripted_llm, seeded_dir, embedder, f"{REVERSED} [{{n}}]")
    assert answer.mode == "extractive" and answer.notice and REVERSED not in answer.text
    assert "STAT3" in _contradicting_sentence(answer)
    assert len({c.n for c in answer.citations}) == len(answer.citations), "numbers stay unique"


def test_the_extractive_answer_needs_no_model_call(seeded: Assistant) -> None:
    assert seeded.claims is not None
    before = seeded.claims.units_scored
    answer = seeded.ask("how does imiquimod activate dendritic cells")
    assert not answer.refused and any(c.source == IMIQUIMOD for c in answer.citations)
    assert seeded.claims.units_scored == before, "quoted sentences are their own support"


def test_the_command_line_checks_a_text_or_a_file(seeded_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(seeded_dir, index)
    proc = run_cli("check", "--json", f"{FAITHFUL} {UNRELATED}", index_dir=index)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [s["verdict"] for s in data["sentences"]] == ["supported", "not_found"]
    assert "checked 2/2" in proc.stderr, "progress goes to stderr"
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Imatinib r\xe9duit STAT3 dans les cellules T r\xe9gulatrices.".encode("latin-1"))
    bad = run_cli("check", "--json", "--file", str(latin1), index_dir=index)
    assert bad.returncode == 2 and "not UTF-8" in bad.stderr and bad.stderr.startswith("error:")
    assert "not UTF-8" in json.loads(bad.stdout)["error"], "with --json, the error is JSON on stdout too"
    blob = tmp_path / "blob.bin"  # worded as `assistant index` words it
    blob.write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    binary = run_cli("check", "--file", str(blob), index_dir=index)
    assert binary.returncode == 2 and "looks like a binary file" in binary.stderr
    plain = run_cli("check", f"{FAITHFUL} {REVERSED}", index_dir=index)
    assert plain.returncode == 0 and "[contradicted" in plain.stdout and "read that passage" in plain.stdout
    empty = run_cli("check", "", index_dir=index)
    assert empty.returncode == 2 and "no sentence" in empty.stderr
    marked = tmp_path / "bom.txt"  # some editors begin UTF-8 with a byte-order mark: not part of the first sentence
    marked.write_bytes(b"\xef\xbb\xbf" + FAITHFUL.encode())
    read = run_cli("check", "--json", "--file", str(marked), index_dir=index)
    assert read.returncode == 0 and json.loads(read.stdout)["sentences"][0]["sentence"] == FAITHFUL, read.stderr


def test_the_rest_api_checks_a_text(
    seeded_dir: Path, tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> None:
    import httpx

    with running_server(copy_index(tmp_path_factory, seeded_dir, "check"), embedder) as live:
        reply = httpx.post(f"{live.url}/api/check", json={"text": f"{FAITHFUL} {UNRELATED}"}, timeout=120)
        assert reply.status_code == 200
        assert [s["verdict"] for s in reply.json()["sentences"]] == ["supported", "not_found"]
        bad = httpx.post(f"{live.url}/api/check", json={"text": "\x00\x01\x02 binary"}, timeout=60)
        assert bad.status_code == 400 and "binary" in bad.json()["error"]


def test_a_verb_said_otherwise_is_checked_by_its_sense(seeded: Assistant) -> None:
    """The Check tab on a seed finding retold with another verb: the same sense is supported (as the verifier's
    alignment writes it), the opposite sense contradicted."""
    same = "Imatinib treatment of mice diminished Treg frequency and impaired their immunosuppressive function."
    opposite = "Imatinib treatment of mice elevated Treg frequency and impaired their immunosuppressive function."
    # The passage writes "significantly reduced the activation of ... STAT3": the place passes over the adverb.
    shorter = "Imatinib lowered STAT3 activation in Treg."
    report = seeded.check(f"{same} {opposite} {shorter}")
    assert [s.verdict for s in report.sentences] == ["supported", "contradicted", "supported"]


def test_a_name_said_by_another_of_its_names_is_read_as_the_passage_says_it(seeded: Assistant) -> None:
    """The imatinib paper writes "Treg" in its findings and defines it once. A claim saying "regulatory T cells" is
    read with the passage's name, not with aliases appended to both sides (which read the first claim as
    contradicted, p 0.79, and the true second one, the paper's "but not production of IL-10", as contradicted too)."""
    true = "Imatinib impaired the suppressive function of regulatory T cells."
    spared = "Imatinib does not affect IL-10 production by Treg."
    verdicts = [s.verdict for s in seeded.check(f"{true} {spared}").sentences]
    assert verdicts[0] == "supported" and verdicts[1] != "contradicted", verdicts


def test_a_claim_naming_the_drug_otherwise_is_read_as_its_passage_names_it(seeded: Assistant, seeded_dir: Path) -> None:
    # The imatinib paper never writes "Glivec": the verifier reads the claim with the passage's name for the drug,
    # and the user's sentence comes back as written.
    report = seeded.check(
        "Glivec impaired the immunosuppressive function of regulatory T cells. "
        "Glivec enhanced the immunosuppressive function of regulatory T cells. "
        "Nolvadex impaired the immunosuppressive function of regulatory T cells."  # tamoxifen: no seed names it
    )
    assert [s.verdict for s in report.sentences] == ["supported", "contradicted", "not_found"]
    assert report.sentences[0].sentence.startswith("Glivec")
    off = Assistant(make_settings(seeded_dir, answer={"lexicon_synonyms": False}), embedder=seeded.embedder)
    unread = off.check("Glivec impaired the immunosuppressive function of regulatory T cells.")
    assert unread.sentences[0].verdict != "supported"


def test_a_claim_naming_a_gene_otherwise_is_read_as_its_passage_names_it(seeded: Assistant, seeded_dir: Path) -> None:
    # The seeds write CCL2 and FoxP3, never MCP-1 or scurfin (other names of the same genes, the gene lexicon's).
    report = seeded.check(
        "In reaction to imiquimod, mast cells release MCP-1. "
        "Imatinib impaired scurfin expression in regulatory T cells. "
        "Imatinib enhanced scurfin expression in regulatory T cells."
    )
    assert [s.verdict for s in report.sentences] == ["supported", "supported", "contradicted"]
    assert "MCP-1" in report.sentences[0].sentence
    off = Assistant(make_settings(seeded_dir, answer={"name_lexicons": ("drugs",)}), embedder=seeded.embedder)
    assert off.check("In reaction to imiquimod, mast cells release MCP-1.").sentences[0].verdict != "supported"


def test_a_claim_abbreviating_what_its_passage_spells_out_is_read_spelled_out(
    seeded: Assistant, seeded_dir: Path
) -> None:
    # The imiquimod article writes "toll-like receptors" and never "TLR".
    report = seeded.check("Imiquimod activates TLRs. Imiquimod blocks TLRs.")
    assert [s.verdict for s in report.sentences] == ["supported", "contradicted"]
    off = Assistant(make_settings(seeded_dir, answer={"spell_abbreviations": False}), embedder=seeded.embedder)
    assert off.check("Imiquimod activates TLRs.").sentences[0].verdict != "supported"


def test_an_llm_sentence_naming_the_drug_as_the_question_did_is_read_as_its_passage_names_it(
    scripted_llm: str, seeded_dir: Path, embedder: Embedder
) -> None:
    # An LLM echoes the question's "Glivec"; the cited passage says imatinib. The answer guard reads the sentence with
    # the passage's name, as the claim check does; with the reading off, the same sentence is not supported.
    question = "What does Glivec do to regulatory T cells?"
    sentence = "Glivec impaired Treg immunosuppressive function and FoxP3 expression."
    llm = {"backend": "openai", "base_url": scripted_llm, "model": "scripted", "timeout_s": 10}
    assistant = Assistant(make_settings(seeded_dir, answer={"mode": "llm"}, llm=llm), embedder=embedder)
    passages = assistant.retriever.retrieve(question)
    n = next(i for i, p in enumerate(passages, 1) if "FoxP3 expression" in p.chunk.text)
    _Scripted.reply = f"{sentence} [{n}]"
    answer = assistant.ask(question)
    assert answer.mode == "llm" and [s.text for s in answer.sentences] == [sentence], answer.to_json()
    off = Assistant(make_settings(seeded_dir, answer={"lexicon_synonyms": False}), embedder=embedder)
    assert assistant.verifier.support(sentence, passages[n - 1]).supported
    assert not off.verifier.support(sentence, passages[n - 1]).supported
