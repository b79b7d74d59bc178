"""Questions answered end to end over a real Chroma index of the seeds with the real model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.answer.prompts import REFUSAL_PHRASE
from assistant.api import Assistant
from assistant.errors import InputError
from assistant.models import Answer
from tests.conftest import IMATINIB, IMIQUIMOD, run_cli


def _check_markers(text: str, n_citations: int) -> None:
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    assert numbers == set(range(1, n_citations + 1))


def test_example_question_cites_imiquimod_and_names_mast_cells_and_ccl2(seeded: Assistant) -> None:
    ans = seeded.ask("how does imiquimod activate dendritic cells")
    assert not ans.refused
    assert "mast cells" in ans.text.lower() and "CCL2" in ans.text
    assert any(c.source == IMIQUIMOD for c in ans.citations)
    _check_markers(ans.text, len(ans.citations))
    for sentence in ans.sentences:
        assert sentence.supported and sentence.citations


def test_imatinib_question_cites_imatinib_and_names_foxp3(seeded: Assistant) -> None:
    ans = seeded.ask("what does imatinib do to regulatory T cells")
    assert not ans.refused
    assert "FoxP3" in ans.text
    assert ans.citations[0].source == IMATINIB
    assert ans.citations[0].year == 2008 and ans.citations[0].journal == "Journal of Immunology"


def test_citations_point_at_text_that_holds_the_quoted_sentences(seeded: Assistant) -> None:
    ans = seeded.ask("what does imatinib do to regulatory T cells")
    for sentence in ans.sentences:
        for n in sentence.citations:
            cited = ans.citations[n - 1]
            assert sentence.text in cited.text
            assert cited.support, "a supported citation names the spans that support it"
            for start, end in cited.support:
                assert cited.start <= start < end <= cited.end


@pytest.mark.parametrize(
    ("question", "needle"),
    [
        # The best sentence names the drug and the cells; another one of its document names the discovery.
        ("Who discovered how imiquimod interacts with immune cells?", "doctoral programme"),
        # The sentence right after the best one continues it ("effects of this drug ... have been reported").
        ("Which immune cells was imatinib already reported to affect?", "CD8+"),
    ],
)
def test_a_second_sentence_completes_the_best_one(seeded: Assistant, question: str, needle: str) -> None:
    ans = seeded.ask(question)
    assert not ans.refused and needle in ans.text
    assert needle not in ans.sentences[0].text and all(s.supported for s in ans.sentences)


@pytest.mark.parametrize(
    ("question", "needles"),
    [
        (
            "Which cells does imiquimod act on directly, and which cells does imatinib inhibit?",
            ("mast cells", "regulatory T cell"),
        ),
        ("Which diseases are imiquimod and imatinib used to treat?", ("skin cancer", "leukemias")),
    ],
)
def test_a_question_about_both_documents_quotes_each_on_its_part(
    seeded: Assistant, question: str, needles: tuple[str, ...]
) -> None:
    ans = seeded.ask(question)
    assert not ans.refused
    assert {c.source for c in ans.citations} == {IMIQUIMOD, IMATINIB}
    for needle in needles:
        assert needle in ans.text
    assert len(ans.sentences) <= seeded.settings.answer.max_sentences


@pytest.mark.parametrize(
    "question",
    [
        "what is the capital of France",
        "which antibiotic treats bacterial pneumonia in children",
    ],
)
def test_question_the_seeds_cannot_answer_is_refused_with_nearest_passages(seeded: Assistant, question: str) -> None:
    ans = seeded.ask(question)
    assert ans.refused
    assert ans.text.startswith(REFUSAL_PHRASE)
    assert ans.citations == ()
    assert ans.nearest, "a refusal shows the nearest passages"


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("x" * 20_000, "limit"),
        ("?? !!", "no words"),
        ("imatinib \x01 treg", "control"),
    ],
)
def test_bad_questions_get_clear_errors(seeded: Assistant, question: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        seeded.ask(question)


def test_json_shape_and_a_new_process_gives_the_same_answer(seeded: Assistant, seeded_dir: Path) -> None:
    question = "how does imiquimod activate dendritic cells"
    here = seeded.ask(question).to_json()
    proc = run_cli("ask", question, "--json", index_dir=seeded_dir)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, "exactly one JSON object"
    there = json.loads(lines[0])
    assert {"question", "answer", "refused", "citations", "timings_ms"} <= there.keys()
    for key in ("n", "doc_id", "source", "title", "text", "start", "end", "score"):
        assert key in there["citations"][0]
    assert there["answer"] == here["answer"]
    assert [c["doc_id"] for c in there["citations"]] == [c["doc_id"] for c in here["citations"]]


@pytest.mark.parametrize("top_k", [0, -3, 51])
def test_the_python_api_refuses_a_number_of_passages_the_shells_refuse(seeded: Assistant, top_k: int) -> None:
    with pytest.raises(InputError, match=f"top_k is {top_k}; it must be between 1 and 50"):
        seeded.ask("what does imatinib do to regulatory T cells", top_k=top_k)


def _asked_of(assistant: Assistant, path: Path, text: str, question: str) -> Answer:
    """The answer to `question` once a file holding `text` is indexed beside the seeds."""
    path.write_text(text, encoding="utf-8")
    assistant.index([path])
    return assistant.ask(question)


def test_a_documents_own_reference_marks_are_not_shown_as_citations(fresh: Assistant, tmp_path: Path) -> None:
    paper = (
        "Rapamycin and memory CD8 T cells\n\n"
        "Rapamycin enhanced the formation of memory CD8 T cells in mice infected with LCMV [12]. "
        "The effect depended on mTOR inhibition in the T cells themselves [13-15]. "
        "Earlier work had linked mTOR to T cell anergy [3, 4].\n"
    )
    ans = _asked_of(fresh, tmp_path / "rapamycin.txt", paper, "what does rapamycin do to memory CD8 T cells")
    assert not ans.refused and "memory CD8 T cells" in ans.text
    _check_markers(ans.text, len(ans.citations))  # only the answer's own [n]: no [12], [13-15] or [3, 4]
    assert all(s.supported and "[" not in s.text for s in ans.sentences)


def test_a_finding_that_restates_a_yes_no_question_is_its_answer(fresh: Assistant, tmp_path: Path) -> None:
    """A title that only repeats the question is not quoted; the finding that restates it, with its "not", is."""
    paper = (
        "Metformin and hepatic glucose output in obese rats\n\n"
        "We gave metformin to 24 obese Zucker rats for four weeks. "
        "Metformin did not reduce hepatic glucose output in obese rats. Plasma lactate rose by 12%.\n"
    )
    question = "Does metformin reduce hepatic glucose output in obese rats?"
    ans = _asked_of(fresh, tmp_path / "metformin.txt", paper, question)
    assert not ans.refused and "did not reduce hepatic glucose output" in ans.text, ans.text
    assert "Metformin and hepatic glucose output in obese rats" not in [s.text for s in ans.sentences]
