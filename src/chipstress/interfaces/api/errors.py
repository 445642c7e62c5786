"""How the API reports bad input: always a 4xx with the precise problem, never a 500.

Every error response is JSON with a ``detail`` message; some add ``field`` (the request
field at fault) or ``problems`` (every problem of an invalid network, each with
``file``, ``location``, ``field`` and ``message``):

* :class:`ApiError` — raised by the routes (404 unknown id, 409 wrong state, 413 too
  big, 415 wrong file type, 422 bad value, 503 optional module missing);
* :class:`~chipstress.errors.InvalidNetwork` — 422 with the list of problems;
* any other :class:`~chipstress.errors.ChipstressError` — 422 with its message;
* request validation errors — 422 listing each field (``loc``) and what is wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from chipstress.errors import ChipstressError, InvalidNetwork, Problem

__all__ = ["ApiError", "install_handlers", "problem_list"]

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

    def body(self) -> dict[str, Any]:
        """The JSON body of the response."""
        out: dict[str, Any] = {"detail": self.detail}
        if self.field is not None:
            out["field"] = self.field
        if self.problems is not None:
            out["problems"] = problem_list(self.problems)
        return out


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


def _safe_loc(loc: Sequence[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


def install_handlers(app: FastAPI) -> None:
    """Map chipstress errors and validation errors to 4xx responses, anything else to 500."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
        return JSONResponse(error.body(), status_code=error.status_code, headers=headers)

    @app.exception_handler(InvalidNetwork)
    async def _invalid_network(request: Request, error: InvalidNetwork) -> JSONResponse:
        count = len(error.problems)
        detail = f"not a valid network: {count} problem{'s' if count != 1 else ''}"
        return JSONResponse(
            {"detail": detail, "problems": problem_list(error.problems)}, status_code=422
        )

    @app.exception_handler(ChipstressError)
    async def _chipstress_error(request: Request, error: ChipstressError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=422)

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

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:  # pragma: no cover
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {"detail": f"internal error: {type(error).__name__}: {error}"}, status_code=500
        )
