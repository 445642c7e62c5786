"""Bearer-token authentication and request-size limits, as one ASGI middleware.

With a token configured, every request must carry ``Authorization: Bearer <token>``,
with two exceptions that browsers need:

* the dashboard page (``/``) may give it once as ``?token=``; the page then keeps it
  in ``sessionStorage`` and sends the header on every API call, and the response sets
  an HttpOnly, SameSite=Strict cookie holding a key *derived* from the token;
* the static files (``/static/...``: the dashboard's code and plotly.js, no data) may
  present that cookie instead, since ``<script>`` tags cannot send headers.

The API itself never accepts the cookie, so no other site can act with it.

Without a token, a state-changing request (``POST``, ``PUT``, ``PATCH``, ``DELETE``)
whose ``Origin`` (or, without one, ``Referer``) names another site than the server's
own (its scheme, host and port; ``localhost``, ``127.0.0.1`` and ``::1`` are aliases)
is refused with 403, so a web page the user opens cannot post to a local server.
Requests without either header (curl, scripts, the CLI) are let through.

Bodies larger than the limits are refused with 413 before they are read; a JSON body
nested deeper than :data:`MAX_JSON_DEPTH` is refused with 422 before it is parsed.
See ``docs/security.md``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
from starlette.exceptions import HTTPException

__all__ = ["MAX_JSON_DEPTH", "GuardMiddleware", "json_depth", "same_origin", "static_key"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "chipstress_static"
# Room for the multipart envelope around an uploaded file.
MULTIPART_OVERHEAD = 64 * 1024
# Deepest nesting of arrays and objects accepted in a JSON body (requests need < 10).
MAX_JSON_DEPTH = 100
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def static_key(token: str) -> str:
    """The cookie value for static files: an HMAC of the token, never the token itself."""
    return hmac.new(token.encode(), b"chipstress static files", hashlib.sha256).hexdigest()


def json_depth(body: bytes) -> int:
    """Deepest nesting of arrays and objects in a JSON text (strings skipped).

    Runs at C speed (a regular expression, ``bytes.translate`` and numpy), so a body at
    the size limit is measured in milliseconds without parsing it.

    Parameters
    ----------
    body
        The JSON text (bytes); invalid JSON gives an approximate depth.

    Returns
    -------
    int
        0 for a scalar, 1 for a flat array or object, and so on.
    """
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(np.cumsum(steps, dtype=np.int64).max(initial=0))


def _origin_of(url: str, default_scheme: str = "http") -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL, or None when it has no host."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        scheme = (parts.scheme or default_scheme).lower()
        port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        return None
    return (scheme, host, port) if host else None


def same_origin(scope: Scope) -> bool:
    """Whether a request's ``Origin`` (else ``Referer``) is the server's own origin.

    The server's origin is its scheme, and the host and port it is bound to (ASGI
    ``server``) or, in-process, the ``Host`` header; the loopback names ``localhost``,
    ``127.0.0.1`` and ``::1`` count as one. A request with neither header is same-origin
    (it does not come from a browser page).

    Parameters
    ----------
    scope
        The ASGI HTTP scope.

    Returns
    -------
    bool
        False when the request names another site (or an opaque ``null`` origin).
    """
    headers = dict(scope.get("headers") or [])
    given = headers.get(b"origin")
    if given is None:
        given = headers.get(b"referer")
        if given is None:
            return True
    claimed = _origin_of(given.decode("latin-1"))
    if claimed is None:  # "null" (sandboxed frames, file:// pages) or garbage
        return False
    scheme = str(scope.get("scheme", "http"))
    server = scope.get("server")
    bound: set[tuple[str, int]] = set()
    if server:
        bound.add((str(server[0]).strip("[]").lower(), int(server[1] or 0)))
    else:  # no socket (an in-process client): the Host header is the only address
        named = _origin_of("//" + headers.get(b"host", b"").decode("latin-1"), scheme)
        if named is not None:
            bound.add((named[1].strip("[]"), named[2]))
    names: set[tuple[str, int]] = set()
    for host, port in bound:
        names.add((host, port))
        if host in LOOPBACK_NAMES:
            names.update((alias, port) for alias in LOOPBACK_NAMES)
    return claimed[0] == scheme and (claimed[1].strip("[]"), claimed[2]) in names


class _TooDeep(HTTPException):
    """Raised when a JSON body is nested too deeply to parse safely (422)."""

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(
            422,
            f"request body: JSON nested {depth:,} levels deep; at most {limit} levels",
        )


class _TooLarge(HTTPException):
    """Raised while reading a body that outgrows its limit (FastAPI passes it on as 413)."""

    def __init__(self, detail: dict[str, Any]) -> None:
        super().__init__(413, detail["detail"])
        self.body = detail


async def _json(send: Send, status: int, body: dict[str, Any], headers: list | None = None) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class GuardMiddleware:
    """Checks the token (when set) and the body size of every HTTP request."""

    def __init__(
        self,
        app: ASGIApp,
        token: str | None,
        upload_limit: int,
        body_limit: int,
        upload_paths: tuple[str, ...] = ("/api/networks",),
    ) -> None:
        self.app = app
        self.token = token or None
        self.key = static_key(token) if token else ""
        self.upload_limit = upload_limit
        self.body_limit = body_limit
        self.upload_paths = upload_paths

    def _authorised(self, scope: Scope) -> tuple[bool, bool]:
        """(allowed, set the static cookie)."""
        assert self.token is not None
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, given = auth.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), self.token.encode()
        ):
            return True, scope["path"] in ("/", "/index.html")
        path = scope["path"]
        if path in ("/", "/index.html"):
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            for candidate in query.get("token", []):
                if hmac.compare_digest(candidate.encode(), self.token.encode()):
                    return True, True
        if path.startswith("/static/") or path == "/favicon.ico":
            cookie = SimpleCookie()
            try:
                cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
            except Exception:
                return False, False
            morsel = cookie.get(COOKIE)
            if morsel is not None and hmac.compare_digest(morsel.value.encode(), self.key.encode()):
                return True, False
        return False, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        set_cookie = False
        if self.token is not None:
            allowed, set_cookie = self._authorised(scope)
            if not allowed:
                await _json(
                    send,
                    401,
                    {"detail": "missing or wrong token: send 'Authorization: Bearer <token>'"},
                    [(b"www-authenticate", b"Bearer")],
                )
                return
        elif scope["method"] in STATE_CHANGING and not same_origin(scope):
            await _json(
                send,
                403,
                {
                    "detail": "cross-site request refused: the Origin (or Referer) is not this "
                    "server; send the request from the dashboard or without a browser, "
                    "or start the server with a token"
                },
            )
            return
        is_upload = scope["method"] == "POST" and scope["path"] in self.upload_paths
        limit = self.upload_limit + MULTIPART_OVERHEAD if is_upload else self.body_limit
        refusal = _declared_length_refusal(scope, is_upload, self.upload_limit, limit)
        if refusal is not None:
            await _json(send, *refusal)
            return
        guard = _Guard(
            receive,
            send,
            limit,
            _too_large(is_upload, self.upload_limit, limit),
            f"{COOKIE}={self.key}; Path=/; HttpOnly; SameSite=Strict".encode()
            if set_cookie
            else None,
            check_json=not is_upload and _may_be_json(scope),
        )
        try:
            await self.app(scope, guard.receive, guard.send)
        except _TooLarge as error:
            if not guard.started:
                await _json(send, 413, error.body)
        except _TooDeep as error:
            if not guard.started:
                await _json(send, 422, {"detail": error.detail})


def _may_be_json(scope: Scope) -> bool:
    """Whether FastAPI would parse the body as JSON (no content type, or a JSON one)."""
    kind = dict(scope.get("headers") or []).get(b"content-type", b"").decode("latin-1").lower()
    return not kind or "json" in kind


def _declared_length_refusal(
    scope: Scope, is_upload: bool, upload_limit: int, limit: int
) -> tuple[int, dict[str, Any]] | None:
    """(status, body) refusing a request whose Content-Length is bad or over ``limit``."""
    length = dict(scope.get("headers") or []).get(b"content-length")
    if length is None:
        return None
    try:
        declared = int(length)
    except ValueError:
        return 400, {"detail": "bad Content-Length header"}
    if declared > limit:
        return 413, _too_large(is_upload, upload_limit, limit)
    return None


class _Guard:
    """Wraps receive (counting body bytes up to ``limit``) and send (adding the cookie)."""

    def __init__(
        self,
        receive: Receive,
        send: Send,
        limit: int,
        too_large: dict[str, Any],
        cookie: bytes | None,
        check_json: bool = False,
    ) -> None:
        self._receive = receive
        self._send = send
        self.check_json = check_json
        self._chunks: list[bytes] = []
        self._opened = 0
        self.limit = limit
        self.too_large = too_large
        self.cookie = cookie
        self.received = 0
        self.started = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            self.received += len(chunk)
            if self.received > self.limit:
                raise _TooLarge(self.too_large)
            if self.check_json:
                self._check_depth(chunk, more=bool(message.get("more_body", False)))
        return message

    def _check_depth(self, chunk: bytes, more: bool) -> None:
        """Measure the body's nesting once it is complete, if it could be too deep."""
        self._chunks.append(chunk)
        self._opened += chunk.count(b"[") + chunk.count(b"{")
        if more:
            return
        if self._opened > MAX_JSON_DEPTH:  # fewer brackets cannot nest deeper
            depth = json_depth(b"".join(self._chunks))
            if depth > MAX_JSON_DEPTH:
                self._chunks = []
                raise _TooDeep(depth, MAX_JSON_DEPTH)
        self._chunks = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            if self.cookie is not None:
                message["headers"] = [*message.get("headers", []), (b"set-cookie", self.cookie)]
        await self._send(message)


def _too_large(is_upload: bool, upload_limit: int, limit: int) -> dict[str, Any]:
    if is_upload:
        return {"detail": f"upload too large: the limit is {upload_limit:,} bytes", "field": "file"}
    return {"detail": f"request body too large: the limit is {limit:,} bytes"}
