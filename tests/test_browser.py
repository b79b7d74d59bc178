"""The chat page in a real browser: Debian's Chromium driven by Playwright against the served app.

Screenshots go to `test-artifacts/` at the project root. Chromium and Playwright are required (CI
installs them); these tests fail, not skip, when they are missing.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.answer.extractive import REFUSAL_PHRASE
from assistant.settings import PROJECT_ROOT
from assistant.store.embeddings import Embedder
from tests.conftest import IMIQUIMOD
from tests.live_server import EXAMPLE, Live, copy_index, running_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
BOX = "#question textarea, #question input"
ANSWERS = "#chat .answer.final"
TIMEOUT_MS = 60_000
# The uploaded note: the title carries markup and template syntax that must stay text.
NOTE_TITLE = "Axolotl <script>window.__pwned=1</script> regeneration ${7*7} {{constructor}}"
NOTE = (
    f"{NOTE_TITLE}\n\n"
    "The kinase FLORB-9 phosphorylates the protein regenerin in axolotl blastema cells. "
    "Phosphorylated regenerin starts limb regrowth within two days of amputation.\n"
)
NOTE_QUESTION = "what does the kinase FLORB-9 phosphorylate in axolotl blastema cells"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path, embedder: Embedder) -> Iterator[Live]:
    with running_server(copy_index(tmp_path_factory, seeded_dir, "browser"), embedder) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the Python package playwright is missing: pip install -e '.[dev]'")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Any, live: Live) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.goto(live.url)
    tab.wait_for_selector(BOX)
    yield tab
    context.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def ask(page: Any, question: str) -> Any:
    """Type a question, press Enter, wait for its complete answer; returns the answer element."""
    done = page.locator(ANSWERS).count()
    page.locator(BOX).first.fill(question)
    page.locator(BOX).first.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('{ANSWERS}').length > {done}")
    return page.locator(ANSWERS).nth(done)


def test_example_question_answer_with_linked_citations(page: Any, live: Live) -> None:
    page.get_by_text(EXAMPLE, exact=True).first.click()
    page.wait_for_function(f"document.querySelector('{BOX}').value.length > 0")
    assert page.locator(BOX).first.input_value() == EXAMPLE
    page.locator(BOX).first.press("Enter")
    answer = page.locator(ANSWERS).first
    answer.wait_for()
    text = answer.locator("p").first.inner_text()
    assert "mast cell" in text.lower() and "CCL2" in text
    title = next(r.metadata.title for r in live.assistant.documents() if r.source == IMIQUIMOD)
    panel = page.locator("#sources .passage")
    assert title in panel.locator(".title").all_inner_texts()
    assert panel.locator("mark").count() >= 1, "supporting sentences are highlighted"
    assert IMIQUIMOD in page.locator("#sources").inner_text()
    first = answer.locator("a.cite").first
    assert title in (first.get_attribute("title") or ""), "hovering a mark names its passage"
    first.click()
    card = page.locator(f"#src-{(first.get_attribute('href') or '#').lstrip('#')}")
    page.wait_for_function("document.querySelector('#sources .passage.flash') !== null")
    assert "flash" in (card.get_attribute("class") or "") and card.is_visible()
    screenshot(page, "browser-example-answer.png")


def test_refusal_shows_phrase_and_collapsed_nearest(page: Any) -> None:
    answer = ask(page, "what is the boiling point of tungsten at sea level")
    assert "refused" in (answer.get_attribute("class") or "")
    assert REFUSAL_PHRASE.split(".")[0] in answer.inner_text()
    nearest = answer.locator("details.nearest")
    assert nearest.get_attribute("open") is None and nearest.locator(".passage").count() >= 1
    assert not nearest.locator(".passage").first.is_visible()
    screenshot(page, "browser-refusal.png")
    nearest.locator("summary").click()
    assert nearest.locator(".passage").first.is_visible()


def test_upload_then_ask_what_only_it_answers(page: Any, live: Live, tmp_path: Path) -> None:
    note = tmp_path / "axolotl note.txt"
    note.write_text(NOTE, encoding="utf-8")
    bad = tmp_path / "scan.txt"
    bad.write_bytes(b"\x00\x01binary" * 100)
    page.get_by_role("tab", name="Library").click()
    rows = page.locator("#documents tbody tr")
    rows.first.wait_for()
    before = rows.count()

    page.locator("#upload input[type=file]").set_input_files(str(bad))
    page.locator("#library-status .error").wait_for()
    assert "scan.txt" in page.locator("#library-status").inner_text()
    assert "binary" in page.locator("#library-status").inner_text()
    assert rows.count() == before and len(live.assistant.documents()) == before

    page.locator("#upload input[type=file]").set_input_files(str(note))
    page.locator("#library-status .ok").wait_for()
    page.wait_for_function(f"document.querySelectorAll('#documents tbody tr').length === {before + 1}")
    assert NOTE_TITLE in page.locator("#documents").inner_text()
    screenshot(page, "browser-upload-library.png")

    page.get_by_role("tab", name="Chat").click()
    answer = ask(page, NOTE_QUESTION)
    assert "regenerin" in answer.locator("p").first.inner_text()
    assert NOTE_TITLE in page.locator("#sources .passage .title").all_inner_texts(), "markup shows as text"
    assert page.evaluate("window.__pwned === undefined")
    screenshot(page, "browser-upload-answer.png")

    page.get_by_role("tab", name="Library").click()
    page.locator("#delete-choice input").click()
    page.get_by_role("option", name=NOTE_TITLE, exact=False).click()
    page.locator("#delete").click()
    page.wait_for_function(f"document.querySelectorAll('#documents tbody tr').length === {before}")
    assert "removed" in page.locator("#library-status").inner_text()
    assert len(live.assistant.documents()) == before


def test_time_to_answer_in_the_browser(page: Any) -> None:
    """Enter to the complete answer painted, five times; the median goes to test-artifacts/latency.json."""
    page.evaluate(
        """() => {
      window.__marks = [];
      document.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') window.__marks.push({start: performance.now()});
      }, true);
      new MutationObserver(() => {
        const n = document.querySelectorAll('#chat .answer.final').length;
        const mark = window.__marks[n - 1];
        if (mark && mark.end === undefined) {
          mark.end = -1;
          requestAnimationFrame(() => requestAnimationFrame(() => { mark.end = performance.now(); }));
        }
      }).observe(document.querySelector('#chat'), {childList: true, subtree: true, characterData: true});
    }"""
    )
    for i in range(5):
        ask(page, EXAMPLE)
        page.wait_for_function(f"window.__marks[{i}] && window.__marks[{i}].end > 0")
    marks = page.evaluate("window.__marks")
    seconds = [round((m["end"] - m["start"]) / 1000, 3) for m in marks]
    assert len(seconds) == 5 and all(0 < s < 30 for s in seconds)
    assert page.locator("#chat .question").count() == 5, "the chat keeps its history"
    median = statistics.median(seconds)
    ARTIFACTS.mkdir(exist_ok=True)
    report = {"question": EXAMPLE, "seconds": seconds, "median_seconds": median}
    (ARTIFACTS / "latency.json").write_text(json.dumps(report, indent=2))
    print(f"\nEnter -> complete answer on screen: median {median:.3f} s of {seconds}")
    screenshot(page, "browser-history.png")


def test_the_check_tab_marks_each_sentence_and_shows_its_passage(page: Any) -> None:
    supported = "Mast cells release CCL2 in reaction to imiquimod."
    unrelated = "Metformin lowers the risk of hip fractures in elderly women with type 2 diabetes."
    page.get_by_role("tab", name="Check").click()
    page.locator("#check-text textarea").fill(f"{supported} {unrelated}")
    page.locator("#check-run").click()
    result = page.locator("#check-result .check")
    result.wait_for()
    claims = result.locator(".claim")
    assert claims.count() == 2
    assert "supported" in (claims.nth(0).get_attribute("class") or "")
    assert "not_found" in (claims.nth(1).get_attribute("class") or "")
    assert "1 supported" in result.locator(".counts").inner_text()
    link = result.locator("a.cite").first
    target = (link.get_attribute("href") or "#").lstrip("#")
    link.click()
    page.wait_for_function(f"document.getElementById('{target}').classList.contains('flash')")
    card = page.locator(f"#{target}")
    assert card.is_visible() and "CCL2" in card.locator("mark").first.inner_text(), "the rationale is highlighted"
    screenshot(page, "browser-check.png")
