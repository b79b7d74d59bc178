"""A hostile page in a real Chromium: served from a second local server (another port, so another origin), it
tries to write into the app (the default server: loopback, no token) and to frame it. Everything is refused and
the library is unchanged; a request with a foreign Host (DNS rebinding) is refused too.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.app.security import Guard
from assistant.store.embeddings import Embedder
from tests.live_server import Live, copy_index, running_server
from tests.test_browser import BOX, TIMEOUT_MS, ask, browser  # noqa: F401  (the Chromium fixture)

# Each attempt reports how it ended; the page never sees a response body (no CORS), only whether fetch failed.
ATTACK = """<!doctype html>
<html><body>
<form id="form" method="POST" enctype="multipart/form-data" action="@APP@/api/documents" target="sink">
  <input id="file" type="file" name="file">
</form>
<iframe name="sink"></iframe>
<iframe name="framed" src="@APP@/"></iframe>
<script>
const APP = "@APP@";
const QUESTION = JSON.stringify({question: "what cures every disease"});
const planted = () => new File(["Planted note: the kinase ZORB-3 cures every disease in mice."], "planted.txt");
const form = (field) => { const f = new FormData(); f.append(field, planted()); return f; };
const post = (path, init) => fetch(APP + path, {method: "POST", ...init});
async function attempt(name, run) {
  try { const r = await run(); return [name, "sent", r.type, r.status]; }
  catch (e) { return [name, "failed", String(e)]; }
}
window.attack = async (docId) => {
  const results = [
    await attempt("no-cors upload", () => post("/api/documents", {mode: "no-cors", body: form("file")})),
    await attempt("no-cors text ask", () => post("/api/ask", {mode: "no-cors", body: QUESTION,
      headers: {"Content-Type": "text/plain"}})),
    await attempt("json ask", () => post("/api/ask", {body: QUESTION, headers: {"Content-Type": "application/json"}})),
    await attempt("delete", () => fetch(APP + "/api/documents/" + docId, {method: "DELETE"})),
    await attempt("read library", () => fetch(APP + "/api/documents")),
    await attempt("gradio upload", () => post("/gradio_api/upload", {mode: "no-cors", body: form("files")})),
  ];
  const transfer = new DataTransfer();
  transfer.items.add(planted());
  document.getElementById("file").files = transfer.files;
  document.getElementById("form").submit();
  return results;
};
</script>
</body></html>
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path, embedder: Embedder) -> Iterator[Live]:
    with running_server(copy_index(tmp_path_factory, seeded_dir, "hostile"), embedder) as server:
        yield server


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, app: Live) -> Iterator[str]:
    """The attacker's page, on 127.0.0.1 at another port: same site, another origin."""
    folder = tmp_path_factory.mktemp("hostile-site")
    (folder / "attack.html").write_text(ATTACK.replace("@APP@", app.url), encoding="utf-8")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    site = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}/attack.html"
    finally:
        site.shutdown()
        thread.join(timeout=10)
        site.server_close()


def library(live: Live) -> list[dict[str, Any]]:
    with httpx.Client(base_url=live.url, timeout=60) as http:
        docs: list[dict[str, Any]] = http.get("/api/documents").json()["documents"]
    return docs


@pytest.fixture()
def reached(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, int | None]]:
    """What reached the app, server side: (method, path, status of the refusal or None when let through). The
    browser cannot tell: a refusal's response is not readable to another origin, so its fetch just fails."""
    seen: list[tuple[str, str, int | None]] = []
    check = Guard._refusal

    def spy(guard: Guard, scope: Any, headers: Any, *limit: Any) -> Any:
        response = check(guard, scope, headers, *limit)
        seen.append((scope["method"], scope["path"], response.status_code if response else None))
        return response

    monkeypatch.setattr(Guard, "_refusal", spy)
    return seen


def test_a_page_elsewhere_cannot_write_read_or_frame(
    browser: Any,  # noqa: F811
    app: Live,
    hostile: str,
    reached: list[tuple[str, str, int | None]],
) -> None:
    before = library(app)
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(hostile)
    with page.expect_response(lambda r: r.request.resource_type == "document" and r.request.method == "POST") as form:
        results = {r[0]: r[1:] for r in page.evaluate("id => window.attack(id)", before[0]["doc_id"])}
    framed = page.frame(name="framed")
    assert framed is not None
    framed.wait_for_load_state()
    framed_url, framed_app = framed.url, framed.locator(BOX).count()
    context.close()

    writes = sorted((m, p, s) for m, p, s in reached if m not in ("GET", "HEAD", "OPTIONS"))
    assert writes == [
        ("POST", "/api/ask", 403),  # the no-cors text/plain question
        ("POST", "/api/documents", 403),  # the no-cors fetch upload
        ("POST", "/api/documents", 403),  # the form upload
        ("POST", "/gradio_api/upload", 403),
    ], "every write that left the browser was refused, before its body was read"
    assert form.value.status == 403 and form.value.url == f"{app.url}/api/documents"
    preflights = [p for m, p, _ in reached if m == "OPTIONS"]
    assert sorted(preflights) == ["/api/ask", "/api/documents/" + before[0]["doc_id"]], "JSON and DELETE need CORS"
    assert all(outcome[0] == "failed" for outcome in results.values()), results  # nothing readable came back
    assert framed_url.startswith("chrome-error:") and framed_app == 0, "frame-ancestors 'none': no framing"
    assert library(app) == before, "nothing indexed, nothing deleted"
    assert not app.uploads.exists() or not any(app.uploads.iterdir())


def test_a_rebinding_host_is_refused(app: Live) -> None:
    """What a page on a rebinding name (attacker.example resolving to 127.0.0.1) would send: its own Host."""
    before = library(app)
    foreign = {"Host": "attacker.example:" + app.url.rsplit(":", 1)[1]}
    with httpx.Client(base_url=app.url, timeout=60, headers=foreign) as http:
        responses = [
            http.get("/api/documents"),
            http.delete(f"/api/documents/{before[0]['doc_id']}"),
            http.post("/api/documents", files={"file": ("planted.txt", b"Planted note about mice.")}),
            http.get("/"),
        ]
    for response in responses:
        assert response.status_code == 421 and "attacker.example" in response.json()["error"]
    assert library(app) == before


def test_the_chat_page_works_under_its_security_headers(browser: Any, app: Live) -> None:  # noqa: F811
    with httpx.Client(base_url=app.url, timeout=60) as http:
        for path in ("/", "/api/health"):
            headers = http.get(path).headers
            assert "frame-ancestors 'none'" in headers["content-security-policy"], path
            assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "same-origin"
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(app.url)
    page.wait_for_selector(BOX)
    context.close()
    assert not [m for m in console if "Content Security Policy" in m], "the page needs nothing the policy refuses"


# A stranger's record whose fields hold blank lines, Markdown and a direction override (a reviewer's finding: the
# chat's Markdown renderer read what followed a blank line in a title, loading images and the logout page).
PLANTED = {
    "id": "z1\n\n![i](logout)",
    "title": "Zorbulin hepatocyte study\n\n![t](logout)\n\n## FAKE HEADING\n\n\u202eevil\u202c title",
    "authors": ["Doe J\n\n![a](http://127.0.0.1:9/beacon.png)"],
    "journal": "Journal of Zorb\r\r![j](gradio_api/startup-events)",
    "text": "Zorbulin activates the quaxinase receptor in hepatocytes of adult mice.",
}


def test_a_documents_fields_show_as_text_and_load_nothing(browser: Any, app: Live, tmp_path: Path) -> None:  # noqa: F811
    export = tmp_path / "planted.jsonl"
    export.write_text(json.dumps(PLANTED) + "\n", encoding="utf-8")
    assert app.assistant.index([export]).added
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    requested: list[str] = []
    console: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on("console", lambda m: console.append(m.text))
    try:
        page.goto(app.url)
        page.wait_for_selector(BOX)
        answer = ask(page, "what does zorbulin activate in hepatocytes")
        assert "quaxinase" in answer.inner_text()
        chat = page.locator("#chat").inner_html()
        sources = page.locator("#sources").inner_text()
    finally:
        context.close()
        app.assistant.remove(str(export))
    assert "<img" not in chat and "<h2" not in chat, "document text rendered as Markdown"
    assert "![t](logout)" in sources and "\u202e" not in sources
    loaded = [u for u in requested if "logout" in u or "beacon" in u or "startup-events" in u]
    assert not loaded and not [m for m in console if "Content Security Policy" in m], (loaded, console)
