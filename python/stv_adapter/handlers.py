"""Exception handlers: every refusal leaves the adapter as `{"error": {"code", "message", "hint"}}`."""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from .errors import AdapterError

log = logging.getLogger("stv_adapter")


def _validation_message(exc: RequestValidationError) -> str:
    from . import validation

    parts = []
    for err in exc.errors()[:8]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        value = err.get("input")
        # Size and length errors name the values that would work, whatever bound was missed.
        if loc in ("width", "height") and isinstance(value, int) and not isinstance(value, bool):
            msg = validation.side_problem(loc, value) or msg
        elif loc == "numFrames" and isinstance(value, int) and not isinstance(value, bool):
            msg = validation.frames_problem(value) or msg
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts) or "The request is invalid."


async def _adapter_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AdapterError)
    headers = {"Retry-After": "5"} if exc.code == "BUSY" else None
    return JSONResponse({"error": exc.to_dict()}, status_code=exc.status, headers=headers)


async def _invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(
        {
            "error": {
                "code": "INVALID_REQUEST",
                "message": _validation_message(exc),
                "hint": "See /docs for the request format; sizes are multiples of 16, frame counts 4k+1.",
            }
        },
        status_code=422,
    )


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    routes: list[BaseRoute] = request.app.state.endpoint_routes
    code = {401: "UNAUTHORIZED", 404: "NOT_FOUND", 405: "INVALID_REQUEST", 413: "PAYLOAD_TOO_LARGE"}.get(
        exc.status_code, "INVALID_REQUEST" if exc.status_code < 500 else "INTERNAL"
    )
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        # Starlette names only the first route's methods; a path served by several routes
        # (GET and DELETE /jobs/{id}) must list them all (RFC 9110).
        allowed: set[str] = set()
        for route in routes:
            match, _ = route.matches(request.scope)
            methods = getattr(route, "methods", None)  # routes that are not endpoints have none
            if match != Match.NONE and methods:
                allowed |= set(methods)
        if allowed:
            headers["Allow"] = ", ".join(sorted(allowed))
    return JSONResponse(
        {"error": {"code": code, "message": str(exc.detail), "hint": None}},
        status_code=exc.status_code,
        headers=headers or None,
    )


async def _internal(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error")
    return JSONResponse(
        {
            "error": {
                "code": "INTERNAL",
                "message": f"{type(exc).__name__}: {exc}",
                "hint": "This is a bug in the adapter; see its log.",
            }
        },
        status_code=500,
    )


def install(app: FastAPI, routers: list[APIRouter]) -> None:
    """`routers` are the ones create_app includes: the 405 handler lists their methods (FastAPI
    keeps included routers nested, so app.router.routes does not show their endpoints)."""
    app.state.endpoint_routes = [r for router in routers for r in router.routes]
    app.add_exception_handler(AdapterError, _adapter_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _internal)
