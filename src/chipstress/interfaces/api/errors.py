"""How the API reports bad input: always a 4xx with the precise problem, never a 500.

Every error response is JSON with a ``detail`` message; some add ``field`` (the request
field at fault) or ``problems`` (every problem of an invalid network, each with
``file``, ``location``, ``field`` and ``message``):

* :class:`ApiError` — raised by the routes (404 unknown id, 409 wrong state, 413 too
  big, 415 wrong file type, 422 bad value, 503 optional module missing);
* :class:`~chipstress.errors.InvalidNetwork` — 422 with the list of problems;
* any other :class:`~chipstress.errors.ChipstressError` — 422 with its message;
* request validation errors — 422 listing each field (``loc``) and what is wrong;
* input nested too deeply to read (``RecursionError``) — 422;
* anything else — 500 ``internal error`` with the exception's type only (the details go
  to the server log), answered by :class:`CatchAllMiddleware` so the connection stays
  open for the client's next request.

Every body is an :class:`~chipstress.interfaces.api.models.ErrorOut`, and
:func:`documented` gives the OpenAPI ``responses`` of the codes a route may return.
Messages are passed through :func:`scrub`: the server's file paths (the results
database, the uploads folder, any absolute path) never reach the client.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from chipstress.errors import ChipstressError, InvalidNetwork, Problem
from chipstress.interfaces.api.models import ErrorOut

__all__ = [
    "ApiError",
    "CatchAllMiddleware",
    "documented",
    "install_handlers",
    "problem_list",
    "scrub",
]

log = logging.getLogger("chipstress.api")


class ApiError(Exception):
    """An error response: HTTP status, message, and optionally the field or problems."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        *,
        field: str | None = None,
        problems: Sequence[Problem] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.field = field
        self.problems = list(problems) if problems is not None else None

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle support (a job or an upload parsed in a child process may raise one)."""
        return (_api_error, (self.status_code, self.detail, self.field, self.problems))

    def body(self) -> dict[str, Any]:
        """The JSON body of the response."""
        out: dict[str, Any] = {"detail": self.detail}
        if self.field is not None:
            out["field"] = self.field
        if self.problems is not None:
            out["problems"] = problem_list(self.problems)
        return out


def _api_error(
    status_code: int, detail: str, field: str | None, problems: Sequence[Problem] | None
) -> ApiError:
    return ApiError(status_code, detail, field=field, problems=problems)


def problem_list(problems: Sequence[Problem]) -> list[dict[str, str]]:
    """Problems as JSON objects with file, location, field and message."""
    return [asdict(problem) for problem in problems]


def not_found(
    what: str, value: str, known: Sequence[str] = (), field: str | None = None
) -> ApiError:
    """A 404 naming the unknown id and, when short, the known ones.

    Parameters
    ----------
    what
        The kind of thing not found (``network``, ``run``, ``node``, ...).
    value
        The unknown id.
    known
        The ids that do exist (the first 20 are listed).
    field
        The request field that named it, if any.

    Returns
    -------
    ApiError
        A 404 error to raise.
    """
    hint = ""
    if known:
        shown = ", ".join(list(known)[:20]) + (" ..." if len(known) > 20 else "")
        hint = f"; known: {shown}"
    return ApiError(404, f"no {what} {value!r}{hint}", field=field)


_DESCRIPTIONS = {
    400: "Malformed request (e.g. a bad Content-Length header).",
    401: "Missing or wrong token (only when the server was started with one).",
    403: "Cross-site request refused: the Origin or Referer is not this server.",
    404: "Unknown id (network, node, job, run, table or catalogue event).",
    409: "The resource is not in a state that allows this (named in detail).",
    413: "Body or upload larger than the server's limit.",
    415: "Not a .json, .yaml/.yml, .xlsx or .zip file.",
    422: "Invalid request: the fields at fault (list), or the problem (text, with field).",
    500: "Internal error; details are in the server log.",
    503: "The results database is unavailable (e.g. locked by another process).",
}
# Every route may answer these (401 only when the server has a token).
COMMON_CODES = (400, 401, 500)


def documented(*codes: int, by_reference: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error codes a route returns, each with :class:`ErrorOut`.

    Parameters
    ----------
    codes
        HTTP status codes (keys of the module's descriptions).
    by_reference
        Name the JSON schema by reference instead of by model: for a route whose own
        responses are not JSON (e.g. HTML), where FastAPI would file the model under the
        route's media type.

    Returns
    -------
    dict
        ``{code: {"model": ErrorOut, "description": ...}}`` for FastAPI's ``responses``.
    """
    if by_reference:
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        return {code: {"description": _DESCRIPTIONS[code], "content": content} for code in codes}
    return {code: {"model": ErrorOut, "description": _DESCRIPTIONS[code]} for code in codes}


# An absolute POSIX path of two or more parts (not an API route, not inside a URL).
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])/(?!api/)(?:[\w.@+~-]+/)+[\w.@+~-]*")


def scrub(text: str, known: Iterable[tuple[str, str]] = ()) -> str:
    """``text`` without server file paths.

    Parameters
    ----------
    text
        A message about to be sent to a client.
    known
        ``(path, label)`` pairs replaced first (e.g. the database file by
        ``"the results database"``).

    Returns
    -------
    str
        The message with the known paths replaced by their labels and any other absolute
        path by ``<path>``.
    """
    for path, label in sorted(known, key=lambda pair: -len(pair[0])):
        if path:
            text = text.replace(path, label)
    text = text.replace(tempfile.gettempdir(), "<tmp>")
    return _ABSOLUTE_PATH.sub("<path>", text)


def _known_paths(request: Request) -> list[tuple[str, str]]:
    state = getattr(request.app.state, "chipstress", None)
    if state is None:
        return []
    return [
        (str(state.store.location), "the results database"),
        (str(state.registry.folder), "<upload>"),
    ]


def _body(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with every message scrubbed of server paths."""
    known = _known_paths(request)
    out = dict(body)
    if isinstance(out.get("detail"), str):
        out["detail"] = scrub(out["detail"], known)
    if out.get("problems"):
        out["problems"] = [
            {k: scrub(str(v), known) for k, v in problem.items()} for problem in out["problems"]
        ]
    return out


def _safe_loc(loc: Sequence[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


def install_handlers(app: FastAPI) -> None:
    """Map chipstress errors and validation errors to 4xx responses, anything else to 500."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
        return JSONResponse(
            _body(request, error.body()), status_code=error.status_code, headers=headers
        )

    @app.exception_handler(InvalidNetwork)
    async def _invalid_network(request: Request, error: InvalidNetwork) -> JSONResponse:
        count = len(error.problems)
        detail = f"not a valid network: {count} problem{'s' if count != 1 else ''}"
        body = {"detail": detail, "problems": problem_list(error.problems)}
        return JSONResponse(_body(request, body), status_code=422)

    @app.exception_handler(ChipstressError)
    async def _chipstress_error(request: Request, error: ChipstressError) -> JSONResponse:
        return JSONResponse(_body(request, {"detail": str(error)}), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        headers = dict(error.headers or {})
        if error.status_code == 405:  # every method the path has, not the first route's
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return JSONResponse(
            {"detail": error.detail}, status_code=error.status_code, headers=headers
        )

    @app.exception_handler(RecursionError)
    async def _too_deep(request: Request, error: RecursionError) -> JSONResponse:
        detail = "input nested too deeply to read; flatten it"
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": _safe_loc(item.get("loc", ())),
                "msg": str(item.get("msg", "")),
                "type": str(item.get("type", "")),
            }
            for item in error.errors()
        ]
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors[:5])
        return JSONResponse(
            {"detail": errors, "message": f"invalid request: {fields}"}, status_code=422
        )


def _allowed_methods(request: Request) -> list[str]:
    """The methods the OpenAPI document gives the request's path.

    A literal path (``/api/jobs/sweep``) has its own methods only, not those of a
    template it also matches (``/api/jobs/{job_id}``).
    """
    table = getattr(request.app.state, "allowed_methods", None)
    if table is None:
        table = []
        for template, operations in request.app.openapi().get("paths", {}).items():
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            methods = sorted(m.upper() for m in operations)
            table.append((template, re.compile(pattern + "$"), methods))
        request.app.state.allowed_methods = table
    path = request.url.path
    literal = [methods for template, _, methods in table if template == path]
    if literal:
        return literal[0]
    allowed: set[str] = set()
    for _, pattern, methods in table:
        if pattern.match(path):
            allowed.update(methods)
    return sorted(allowed)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class CatchAllMiddleware:
    """Answers an unexpected exception with a 500 :class:`ErrorOut` and swallows it.

    Starlette's own last-resort handler re-raises after answering, and the server then
    closes the connection, resetting the client's next request on it; this middleware
    sits inside it, so the exception never gets that far.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # nothing more can be said on this response
                return
            body = JSONResponse(
                {"detail": f"internal error ({type(error).__name__}); see the server log"},
                status_code=500,
            )
            await body(scope, receive, send)
