"""Bearer-token authentication and request-size limits, as one ASGI middleware.

With a token configured, every request must carry ``Authorization: Bearer <token>``,
with two exceptions that browsers need:

* the dashboard page (``/``) may give it once as ``?token=``; the page then keeps it
  in ``sessionStorage`` and sends the header on every API call, and the response sets
  an HttpOnly, SameSite=Strict cookie holding a key *derived* from the token;
* the static files (``/static/...``: the dashboard's code and plotly.js, no data) may
  present that cookie instead, since ``<script>`` tags cannot send headers.

The API itself never accepts the cookie, so no other site can act with it. Bodies
larger than the limits are refused with 413 before they are read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from starlette.exceptions import HTTPException

__all__ = ["GuardMiddleware", "static_key"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "chipstress_static"
# Room for the multipart envelope around an uploaded file.
MULTIPART_OVERHEAD = 64 * 1024


def static_key(token: str) -> str:
    """The cookie value for static files: an HMAC of the token, never the token itself."""
    return hmac.new(token.encode(), b"chipstress static files", hashlib.sha256).hexdigest()


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
        )
        try:
            await self.app(scope, guard.receive, guard.send)
        except _TooLarge as error:
            if not guard.started:
                await _json(send, 413, error.body)


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
    ) -> None:
        self._receive = receive
        self._send = send
        self.limit = limit
        self.too_large = too_large
        self.cookie = cookie
        self.received = 0
        self.started = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise _TooLarge(self.too_large)
        return message

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
