"""Bearer-token auth and request-size bounds."""
from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

OPEN_PATHS = {"/health", "/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc"}


def token_ok(expected: str, header: str | None) -> bool:
    if not header or not header.startswith("Bearer "):
        return False
    # compare_digest: the time taken does not depend on how much of the token matched.
    return hmac.compare_digest(header[7:].strip().encode(), expected.encode())


async def _send_error(send: Send, status: int, code: str, message: str, hint: str | None, extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "hint": hint}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())] + (extra_headers or [])
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _TooLarge(StarletteHTTPException):
    """An HTTPException so FastAPI's body parsing re-raises it as is (it wraps other errors as 400)."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="The request body is too large.")


class GuardMiddleware:
    """Pure ASGI, so it acts before FastAPI reads anything: refuses bodies over the bound (by the
    declared Content-Length at once, or while streaming for chunked uploads) and checks the token."""

    def __init__(self, app: Any, *, max_body: int, token: str | None) -> None:
        self.app = app
        self.max_body = max_body
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode(errors="replace") for k, v in scope.get("headers", [])}
        if self.token and scope.get("path") not in OPEN_PATHS and not token_ok(self.token, headers.get("authorization")):
            await _send_error(send, 401, "UNAUTHORIZED", "This adapter requires a token.", "Set it with 'Scene to Video: Set FastVideo adapter token' (the adapter's STV_ADAPTER_TOKEN).", [(b"www-authenticate", b"Bearer")])
            return
        declared = headers.get("content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_body
            except ValueError:
                too_big = False
            if too_big:
                await _send_error(send, 413, "PAYLOAD_TOO_LARGE", f"The request body is larger than {self.max_body // (1024 * 1024)} MB.", "Use a smaller keyframe (a PNG or JPEG at the render size).")
                return
        seen = 0
        started = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge()
            return msg

        async def tracking_send(msg: dict[str, Any]) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_error(send, 413, "PAYLOAD_TOO_LARGE", f"The request body is larger than {self.max_body // (1024 * 1024)} MB.", "Use a smaller keyframe.")
