"""The HTTP defences of the one-port app: one ASGI middleware, outside every route, so nothing reads a body first.

For each request, in this order:
1. Host: only a name this server is (its address, localhost, `ASSISTANT_SERVER__ALLOWED_HOSTS`); else 421. A page
   on a rebinding domain (a name of the attacker's that resolves to 127.0.0.1) sends its own name and is refused.
2. Origin: a write (any method but GET/HEAD/OPTIONS, on any path, Gradio's included, and the GETs that change
   state) from a page of another origin, a `null` origin, `Sec-Fetch-Site: cross-site`/`same-site`, or (with
   neither header) a `Referer` of another origin is refused 403. A request with none of them (curl, the CLI, a
   script) passes: browsers send Origin or Sec-Fetch-Site with every such write. Any other request another site's
   page makes (an image, a script, a no-cors fetch) is refused too; only a navigation to a page, or an origin
   `ASSISTANT_SERVER__CORS_ORIGINS` allows, gets through (a resource isolation policy).
3. Throttle and token: an address with too many recent wrong tokens or logins gets 429 and `Retry-After`; the
   REST API (not `/api/health`) and its docs need the bearer token when one is set, checked in constant time.
4. Size and pace: a declared body over the path's limit is refused 413; a body without a length is counted as it
   arrives; a body that stops arriving (no piece for `body_timeout_s`) gets 408 and the connection is closed.
Every response carries the security headers (CSP with `frame-ancestors 'none'`, nosniff, Referrer-Policy).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from python_multipart.exceptions import MultipartParseError
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.app.throttle import Throttle
from assistant.settings import ServerSettings

KB = 1024
MULTIPART_SLACK = 64 * KB  # form boundaries and part headers around an uploaded file
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Gradio's GET routes that change state: /logout ends every session of the user, /gradio_api/startup-events starts
# the queue's loops again. They get the Origin rule of a write.
# Logging out is a click on the page's button, a navigation; an image or a fetch of this server's own page (markup a
# document planted in an answer) must not end the user's sessions.
LOGOUT_PATHS = frozenset({"/logout", "/logout/", "/gradio_api/logout"})
STATEFUL_GETS = LOGOUT_PATHS | {"/gradio_api/startup-events"}
JSON_PATHS = frozenset({"/api/ask", "/api/ask/stream", "/api/check"})
# Bytes one character of text may take in a JSON body: a client escaping non-ASCII text writes "\ud83d\ude00".
JSON_ESCAPED = 12
LOGIN_PATHS = frozenset({"/login", "/login/"})  # Gradio's login form
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc"})
OPEN_PATHS = frozenset({"/api/health"})
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
TOKEN_HINT = "missing or wrong bearer token: send 'Authorization: Bearer <token>'"

_BASE_CSP = {
    "default-src": "'self'",
    # Gradio's page and ui_render.SCRIPT are inline scripts, and Gradio builds event code with the AsyncFunction
    # constructor (an eval); what the policy still stops is framing, plugins, <base> and sending data elsewhere.
    "script-src": "'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "media-src": "'self' data: blob:",
    "connect-src": "'self'",
    "worker-src": "'self' blob:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# FastAPI's Swagger page loads its script and style from this CDN (and shows nothing offline).
_DOCS_CDN = {"script-src": "https://cdn.jsdelivr.net", "style-src": "https://cdn.jsdelivr.net"}


def _csp(extra: dict[str, str]) -> bytes:
    rules = {k: f"{v} {extra[k]}" if k in extra else v for k, v in _BASE_CSP.items()}
    return "; ".join(f"{k} {v}" for k, v in rules.items()).encode()


_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),  # no other site may embed a response (no-cors reads)
]
_PAGE_HEADERS = [(b"content-security-policy", _csp({})), *_HEADERS]
_DOCS_HEADERS = [(b"content-security-policy", _csp(_DOCS_CDN)), *_HEADERS]


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """The headers every response to `path` carries."""
    return _DOCS_HEADERS if path == "/docs" else _PAGE_HEADERS


def host_name(host: str) -> str:
    """The name part of a Host header or netloc, lower-case, without port or IPv6 brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        name, closed, rest = host[1:].partition("]")
        return name if closed and (rest == "" or (rest[:1] == ":" and rest[1:].isdigit())) else ""
    if host.count(":") == 1:
        host, port = host.rsplit(":", 1)
        if not port.isdigit():  # "127.0.0.1:7860@evil.example" is no loopback name
            return ""
    return "" if any(c in host for c in "@/\\ ") else host.rstrip(".")


def _items(text: str) -> list[str]:
    return [item.strip().lower() for item in text.split(",") if item.strip()]


@dataclass(frozen=True)
class Policy:
    """What the middleware accepts, from `ServerSettings`."""

    hosts: frozenset[str]
    cors_origins: frozenset[str]
    token: str
    login: bool
    upload_mb: int
    json_kb: int
    failures: int
    window_s: float
    body_timeout_s: float
    check_chars: int = 0  # the longest text /api/check takes (`answer.max_check_chars`); 0: the JSON limit alone

    @classmethod
    def of(cls, server: ServerSettings, check_chars: int = 0) -> Policy:
        names = {host_name(server.host), *LOOPBACK_NAMES, *(host_name(h) for h in _items(server.allowed_hosts))}
        return cls(
            hosts=frozenset(n for n in names if n),
            cors_origins=frozenset(o.rstrip("/") for o in _items(server.cors_origins)),
            token=server.token,
            login=bool(server.username and server.password),
            upload_mb=server.max_upload_mb,
            json_kb=server.max_json_kb,
            failures=server.throttle_failures,
            window_s=float(server.throttle_window_s),
            body_timeout_s=float(server.body_timeout_s),
            check_chars=check_chars,
        )

    def host_allowed(self, host: str, scope: Scope) -> bool:
        """A configured name, or the local address the connection came in on (covers a 0.0.0.0 bind)."""
        name = host_name(host)
        local = scope.get("server")
        return bool(name) and (name in self.hosts or (local is not None and name == str(local[0]).lower()))

    def origin_refusal(self, headers: Headers) -> str | None:
        """Why a write from a browser page of another origin is refused; None when it may go on."""
        origin = headers.get("origin")
        if origin is not None and self._allowed_across(origin):
            return None
        if origin is not None and not _same_origin(origin, headers.get("host", "")):
            return f"cross-origin write refused: Origin {origin[:100]!r} is not this server"
        site = headers.get("sec-fetch-site", "")
        if site in ("cross-site", "same-site"):
            return f"cross-site write refused (Sec-Fetch-Site: {site})"
        referer = headers.get("referer")
        if origin is None and not site and referer is not None:
            # A page's address; its origin is what an Origin header would have said.
            page = urlsplit(referer.strip())
            page_origin = f"{page.scheme}://{page.netloc}"
            if not (self._allowed_across(page_origin) or _same_origin(page_origin, headers.get("host", ""))):
                return f"cross-origin write refused: Referer {referer[:100]!r} is not a page of this server"
        return None

    def fetch_refusal(self, method: str, path: str, headers: Headers) -> str | None:
        """Why a request is refused for where it comes from (see the module's rule 2); None when it may go on."""
        mode = headers.get("sec-fetch-mode")
        if path in LOGOUT_PATHS and mode is not None and mode != "navigate":
            return f"logout refused (Sec-Fetch-Mode: {mode[:20]}): only a navigation (the page's button) logs out"
        if method not in SAFE_METHODS or path in STATEFUL_GETS:
            return self.origin_refusal(headers)
        site = headers.get("sec-fetch-site", "")
        origin = headers.get("origin")
        if site not in ("cross-site", "same-site") or (origin is not None and self._allowed_across(origin)):
            return None
        if method == "GET" and mode == "navigate":
            return None  # a link to the chat page from another site opens it
        return f"cross-site request refused (Sec-Fetch-Site: {site}): only a page of this server may load this"

    def _allowed_across(self, origin: str) -> bool:
        """An origin `ASSISTANT_SERVER__CORS_ORIGINS` lets call (and write) across origins."""
        return origin.strip().rstrip("/").lower() in self.cors_origins

    def needs_token(self, path: str) -> bool:
        api = path == "/api" or path.startswith("/api/")
        return bool(self.token) and ((api and path not in OPEN_PATHS) or path in DOCS_PATHS)

    def token_ok(self, headers: Headers) -> bool:
        scheme, _, given = headers.get("authorization", "").partition(" ")
        expected = self.token.encode()
        # Header values arrive as latin-1 text: back to the bytes that were sent.
        return scheme.lower() == "bearer" and secrets.compare_digest(given.encode("latin-1"), expected)

    def body_limit(self, path: str) -> tuple[int, str]:
        """The largest body `path` accepts, in bytes, and the refusal that names its setting."""
        if path == "/api/check" and JSON_ESCAPED * self.check_chars > self.json_kb * KB:
            size = JSON_ESCAPED * self.check_chars + KB
            return size, (
                f"the request body is over the {size // KB} KB that {self.check_chars} characters of text take "
                "(ASSISTANT_ANSWER__MAX_CHECK_CHARS)"
            )
        if path in JSON_PATHS:
            return (
                self.json_kb * KB,
                f"the request body is over the {self.json_kb} KB limit (ASSISTANT_SERVER__MAX_JSON_KB)",
            )
        limit = f"the upload is over the {self.upload_mb} MB limit (ASSISTANT_SERVER__MAX_UPLOAD_MB)"
        return self.upload_mb * KB * KB + MULTIPART_SLACK, limit


def _same_origin(origin: str, host: str) -> bool:
    """`null` and non-web schemes never match; the Host header has been checked to be this server's."""
    parts = urlsplit(origin.strip())
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc.lower() == host.strip().lower()


class BodyRefused(MultipartParseError):
    """Raised into the app by `receive` when `Guard` refuses the rest of a body (413: past its limit; 408: the next
    piece did not come in time); `Guard` answers the client, so the app's own error handling lets it pass unlogged.

    A parse error to a multipart parser reading the body, which then deletes the part it has written: Gradio's
    upload route keeps a refused body's bytes in a named temporary file otherwise, for good."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _throttled(what: str, client: str, wait: int) -> JSONResponse:
    return _error(429, f"too many {what} from {client}: retry in {wait} s", {"Retry-After": str(wait)})


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    """`send` with `extra` headers on each response, and no CORS header on one that grants no origin (Starlette's
    refused preflight still lists the methods and headers it would allow)."""
    names = {name for name, _ in extra}

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
            if not any(k.lower() == b"access-control-allow-origin" for k, _ in kept):
                kept = [(k, v) for k, v in kept if not k.lower().startswith(b"access-control-")]
            message["headers"] = kept + extra
        await send(message)

    return send_with_headers


class Guard:
    """The ASGI middleware: `Policy` checks before the app sees the request, then a counted body."""

    def __init__(self, app: ASGIApp, policy: Policy) -> None:
        self.app = app
        self.policy = policy
        self.tokens = Throttle(policy.failures, policy.window_s)
        self.logins = Throttle(policy.failures, policy.window_s)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_headers(send, security_headers(scope["path"]))
        headers = Headers(scope=scope)
        limit, message = self.policy.body_limit(scope["path"])
        refusal = self._refusal(scope, headers, limit, message)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if self.policy.login and scope["method"] == "POST" and scope["path"] in LOGIN_PATHS:
            send = self._count_failed_logins(send, _client(scope))
        await _bounded(self.app, scope, receive, send, BodyRefused(413, message), limit, self.policy.body_timeout_s)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The same Host and Origin rules: a page elsewhere must not open a socket here either."""
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        foreign = origin is not None and self.policy.origin_refusal(headers) is not None
        if foreign or not self.policy.host_allowed(headers.get("host", ""), scope):
            await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, headers: Headers, limit: int, too_large: str) -> JSONResponse | None:
        """The response that refuses this request before its body is read (Host, Origin, token, throttle, a
        declared size over `limit`); None when it may go on."""
        policy, method, path = self.policy, scope["method"], scope["path"]
        host = headers.get("host", "")
        if not policy.host_allowed(host, scope):
            return _error(
                421, f"this server does not answer to Host {host[:100]!r} (ASSISTANT_SERVER__ALLOWED_HOSTS adds names)"
            )
        why = policy.fetch_refusal(method, path, headers)
        if why:
            return _error(403, why)
        client = _client(scope)
        if policy.needs_token(path) and method != "OPTIONS":  # a CORS preflight carries no credentials
            wait = self.tokens.retry_after(client)
            if wait:
                return _throttled("wrong tokens", client, wait)
            if not policy.token_ok(headers):
                if "authorization" in headers:  # no token guesses nothing: a page elsewhere that frames the API
                    self.tokens.fail(client)  # would otherwise lock the right token out
                return _error(401, TOKEN_HINT, {"WWW-Authenticate": "Bearer"})
        if policy.login and method == "POST" and path in LOGIN_PATHS:
            wait = self.logins.retry_after(client)
            if wait:
                return _throttled("wrong logins", client, wait)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return _error(413, too_large)
        return None

    def _count_failed_logins(self, send: Send, client: str) -> Send:
        async def send_counting(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (400, 401):
                self.logins.fail(client)
            await send(message)

        return send_counting


# The slowest a body may arrive on average, after its first `body_timeout_s`: a 20 MB upload over a 1 Mbit/s line runs
# at 125 KB/s; a trickle of a byte every 25 s (an outside tester's) held a connection open without end before.
MIN_RATE = 1024


async def _bounded(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, too_large: BodyRefused, limit: int, timeout_s: float
) -> None:
    """Run the app on a body counted as it arrives: past `limit`, the app's reads fail and the client gets
    `too_large`; when the next piece waits past `timeout_s`, or the body as a whole arrives slower than `MIN_RATE`
    after its first `timeout_s` (a byte every few seconds would hold the connection for hours), 408. Once the body is
    whole, reads wait as long as they need (a streamed answer listens for the client leaving as long as it streams)."""
    seen = 0
    failed: BodyRefused | None = None
    started = whole = False
    began: float | None = None  # when the app first read: a body is not late before it is asked for
    why = f"stopped arriving, or came slower than {MIN_RATE} bytes a second after its first {timeout_s:g} s"
    late = BodyRefused(408, f"the request body {why} (ASSISTANT_SERVER__BODY_TIMEOUT_S)")

    async def counted_receive() -> Message:
        nonlocal seen, failed, whole, began
        if failed is not None:
            raise failed
        if began is None:
            began = asyncio.get_running_loop().time()
        try:  # a piece already sent is read however late (the deadline is checked once it is in)
            event = await (receive() if whole else asyncio.wait_for(receive(), timeout_s))
        except TimeoutError:
            failed = late
            raise failed from None
        if event["type"] == "http.request":
            seen += len(event.get("body", b""))
            whole = not event.get("more_body", False)
            if not whole and asyncio.get_running_loop().time() > began + timeout_s + seen / MIN_RATE:
                failed = late
                raise failed
            if seen > limit:
                failed = too_large
                raise failed
        return event

    async def guarded_send(event: Message) -> None:
        nonlocal started
        if failed is not None and not started:
            return  # whatever the app makes of a body cut short, the client gets the refusal below
        started = started or event["type"] == "http.response.start"
        await send(event)

    try:
        await app(scope, counted_receive, guarded_send)
    except Exception:
        if failed is None:
            raise
    if failed is not None and not started:  # the rest of the body is unread: this connection cannot carry another
        await _error(failed.status, str(failed), {"Connection": "close"})(scope, receive, send)


__all__ = ["BodyRefused", "Guard", "Policy", "Throttle", "host_name", "security_headers"]
