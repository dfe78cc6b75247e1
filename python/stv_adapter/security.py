"""Bearer-token auth, Host/Origin checks against DNS rebinding, and request-size bounds."""

from __future__ import annotations

import hmac
import ipaddress
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException as StarletteHTTPException

from .bodycheck import body_problem

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# Routes that read a JSON body; bodycheck.body_problem vets it before FastAPI parses it.
JSON_BODY_ROUTES = {("POST", "/jobs"), ("POST", "/generate")}
OPEN_PATHS = {"/health", "/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc"}


WILDCARD_BINDS = {"0.0.0.0", "::", ""}


def _host_part(authority: str) -> str:
    """'name:port', '[::1]:port' or 'name' -> the lower-case name or address, without brackets."""
    a = authority.strip().lower()
    if a.startswith("["):
        return a[1 : a.find("]")] if "]" in a else a
    if a.count(":") == 1:
        a = a.split(":", 1)[0]
    return a.rstrip(".")


class HostPolicy:
    """Which names a request may use to reach the adapter (its Host header, and the host of its
    Origin when a browser sends one). A web page can point a DNS name of its own at 127.0.0.1
    (DNS rebinding) and so reach a loopback server from the user's browser: that request carries
    the page's name in Host and Origin, never a loopback name, so refusing foreign names stops it.

    Accepted: 'localhost' and '*.localhost' (browsers resolve them to loopback themselves),
    loopback addresses, the address or name the adapter binds, names given with --allow-host /
    STV_ALLOWED_HOSTS ('*' accepts any), and, when it binds every interface (which needs a token),
    any IP address and this machine's own host names."""

    def __init__(self, bind_host: str, allowed: list[str] | tuple[str, ...] = ()) -> None:
        self.any = "*" in allowed
        self.wildcard_bind = bind_host.strip("[]") in WILDCARD_BINDS
        names = {"localhost", _host_part(bind_host)} | {_host_part(a) for a in allowed if a and a != "*"}
        if self.wildcard_bind:
            try:
                names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
            except OSError:
                pass
        self.names = {n for n in names if n}

    def accepts(self, authority: str) -> bool:
        host = _host_part(authority)
        if self.any or host in self.names or host.endswith(".localhost"):
            return True
        try:
            ip = ipaddress.ip_address(host.split("%", 1)[0])  # fe80::1%eth0: drop the zone
        except ValueError:
            return False
        return (
            ip.is_loopback
            or self.wildcard_bind
            or (isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None and ip.ipv4_mapped.is_loopback)
        )

    def origin_problem(self, origin: str) -> str | None:
        """Why a request's Origin is refused, or None. 'null' (sandboxed frames, file: pages) and
        any origin whose host this adapter does not answer to are refused."""
        parts = urlsplit(origin.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return f"Origin {origin!r} is not a web page this adapter serves."
        if not self.accepts(parts.netloc):
            return f"Origin {origin!r} is another site: web pages may not drive this adapter."
        return None


def token_ok(expected: str, header: str | None) -> bool:
    if not header or not header.startswith("Bearer "):
        return False
    # compare_digest: the time taken does not depend on how much of the token matched.
    return hmac.compare_digest(header[7:].strip().encode(), expected.encode())


async def _send_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    hint: str | None,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "hint": hint}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())] + (
        extra_headers or []
    )
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _TooLarge(StarletteHTTPException):
    """An HTTPException so FastAPI's body parsing re-raises it as is (it wraps other errors as 400)."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="The request body is too large.")


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Reads the whole body (already bounded by the caller's receive), and a receive that hands the
    same body to the app once, then passes on whatever comes next (a disconnect)."""
    chunks: list[bytes] = []
    while True:
        msg = await receive()
        if msg["type"] != "http.request":
            raise _Disconnected()
        chunks.append(msg.get("body", b""))
        if not msg.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> dict[str, Any]:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


class _Disconnected(Exception):
    """The client went away before its body arrived: nothing to answer."""


class GuardMiddleware:
    """Pure ASGI, so it acts before FastAPI reads anything: refuses bodies over the bound (by the
    declared Content-Length at once, or while streaming for chunked uploads) and checks the token."""

    def __init__(self, app: Any, *, max_body: int, token: str | None, hosts: HostPolicy | None = None) -> None:
        self.app = app
        self.max_body = max_body
        self.token = token
        self.hosts = hosts or HostPolicy("127.0.0.1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode(errors="replace") for k, v in scope.get("headers", [])}
        if await self._refused(scope, headers, send):
            return
        await self._guarded(scope, headers, receive, send)

    async def _refused(self, scope: Scope, headers: dict[str, str], send: Send) -> bool:
        """The checks that need no body, in order (Host, Origin, token, declared Content-Length): answers
        the first that fails and returns True, or returns False when the request may go on."""
        host = headers.get("host")
        if host is not None and not self.hosts.accepts(host):
            await _send_error(
                send,
                403,
                "ORIGIN_FORBIDDEN",
                f"This adapter does not answer to the name {_host_part(host)!r} (the request's Host header).",
                f"Use http://127.0.0.1 or localhost, or start the adapter with --allow-host {_host_part(host) or 'NAME'} (STV_ALLOWED_HOSTS) if that name is yours (an SSH tunnel, a LAN name).",
            )
            return True
        origin = headers.get("origin")
        problem = self.hosts.origin_problem(origin) if origin is not None else None
        if problem:
            await _send_error(
                send,
                403,
                "ORIGIN_FORBIDDEN",
                problem,
                "Call the adapter from the extension, the CLI or curl; a browser page may only call it from a page the adapter itself serves (/docs).",
            )
            return True
        if (
            self.token
            and scope.get("path") not in OPEN_PATHS
            and not token_ok(self.token, headers.get("authorization"))
        ):
            await _send_error(
                send,
                401,
                "UNAUTHORIZED",
                "This adapter requires a token.",
                "Set it with 'Scene to Video: Set FastVideo adapter token' (the adapter's STV_ADAPTER_TOKEN).",
                [(b"www-authenticate", b"Bearer")],
            )
            return True
        declared = headers.get("content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_body
            except ValueError:
                too_big = False
            if too_big:
                await _send_error(
                    send,
                    413,
                    "PAYLOAD_TOO_LARGE",
                    f"The request body is larger than {self.max_body // (1024 * 1024)} MB.",
                    "Use a smaller keyframe (a PNG or JPEG at the render size).",
                )
                return True
        return False

    async def _guarded(self, scope: Scope, headers: dict[str, str], receive: Receive, send: Send) -> None:
        """Runs the app with the body bounded while it streams, checking a JSON route's body first;
        answers 413 if the bound is passed before the app has started its response."""
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

        app_receive: Receive = limited_receive
        try:
            if (scope.get("method"), scope.get("path")) in JSON_BODY_ROUTES:
                ctype = headers.get("content-type", "").split(";", 1)[0].strip().lower()
                if ctype != "application/json":
                    await _send_error(
                        send,
                        415,
                        "INVALID_REQUEST",
                        f"The request body must be JSON (Content-Type: application/json), not {ctype or 'unlabelled'}.",
                        "Send the GenerateRequest as JSON; see /docs.",
                    )
                    return
                body, app_receive = await _buffered(limited_receive)
                problem = body_problem(body)
                del body
                if problem:
                    await _send_error(
                        send,
                        400,
                        "INVALID_REQUEST",
                        problem,
                        "Send the GenerateRequest as a UTF-8 JSON object; see /docs.",
                    )
                    return
            await self.app(scope, app_receive, tracking_send)
        except _Disconnected:
            return
        except _TooLarge:
            if not started:
                await _send_error(
                    send,
                    413,
                    "PAYLOAD_TOO_LARGE",
                    f"The request body is larger than {self.max_body // (1024 * 1024)} MB.",
                    "Use a smaller keyframe.",
                )
