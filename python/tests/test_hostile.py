"""The hostile-input corpus (issue 14): what a web page, an attacker or a clumsy client sends, each
with the status, code and words the adapter must answer with. Against a real server (uvicorn on a
loopback port, preview backend); raw sockets where an HTTP client would fix the input up."""

from __future__ import annotations

import base64
import io
import json
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import RunningAdapter, make_config, small_request
from PIL import Image

from stv_adapter.security import HostPolicy


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with RunningAdapter(make_config(tmp_path_factory.mktemp("hostile"), allowed_hosts=["tunnel.example"])) as a:
        yield a


def raw(a: RunningAdapter, request: bytes) -> tuple[int, dict[str, Any]]:
    """Sends bytes as they are and returns the status and the JSON body."""
    with socket.create_connection(("127.0.0.1", a.config.port), timeout=30) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def post_bytes(body: bytes, content_type: str = "application/json") -> bytes:
    return (
        f"POST /jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


OK_BODY = json.dumps(small_request()).encode()

# (case id, raw body, content type, status, code, words the message must contain)
BODIES = [
    (
        "invalid-utf8",
        b'{"prompt":"\xff\xfe lighthouse","seed":1}',
        "application/json",
        400,
        "INVALID_REQUEST",
        "not valid UTF-8: byte 0xff at position 11",
    ),
    ("utf16", json.dumps(small_request()).encode("utf-16"), "application/json", 400, "INVALID_REQUEST", "UTF-16"),
    ("utf8-bom", b"\xef\xbb\xbf" + OK_BODY, "application/json", 400, "INVALID_REQUEST", "byte order mark"),
    (
        "huge-integer",
        b'{"prompt":"a","width":256,"height":256,"numFrames":9,"seed":' + b"9" * 5000 + b"}",
        "application/json",
        400,
        "INVALID_REQUEST",
        "has 5000 digits",
    ),
    (
        "malformed-json",
        b'{"prompt": "a",, "seed": 1}',
        "application/json",
        400,
        "INVALID_REQUEST",
        "not valid JSON: Expecting property name enclosed in double quotes at line 1, column 16",
    ),
    ("truncated-json", OK_BODY[:-5], "application/json", 400, "INVALID_REQUEST", "not valid JSON"),
    ("deep-nesting", b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "INVALID_REQUEST", "nested too deeply"),
    (
        "duplicate-key",
        b'{"prompt":"a","seed":1,"seed":2}',
        "application/json",
        400,
        "INVALID_REQUEST",
        'key "seed" appears twice',
    ),
    ("nan", b'{"prompt":"a","seed":NaN}', "application/json", 400, "INVALID_REQUEST", "NaN is not valid JSON"),
    (
        "infinity",
        b'{"prompt":"a","seed":-Infinity}',
        "application/json",
        400,
        "INVALID_REQUEST",
        "-Infinity is not valid JSON",
    ),
    ("empty", b"", "application/json", 400, "INVALID_REQUEST", "body is empty"),
    ("not-json-type", OK_BODY, "text/plain", 415, "INVALID_REQUEST", "must be JSON"),
    ("form", b"prompt=a&seed=1", "application/x-www-form-urlencoded", 415, "INVALID_REQUEST", "must be JSON"),
    ("array", b"[1,2]", "application/json", 422, "INVALID_REQUEST", "valid dictionary"),
    ("lone-surrogate", b'{"prompt":"a\\ud800","seed":1}', "application/json", 422, "INVALID_REQUEST", "prompt"),
    ("float-seed", b'{"prompt":"a","seed":1e400}', "application/json", 422, "INVALID_REQUEST", "seed"),
    ("unknown-field", b'{"prompt":"a","seed":1,"evil":true}', "application/json", 422, "INVALID_REQUEST", "evil"),
]


@pytest.mark.parametrize(
    ("body", "ctype", "status", "code", "words"), [c[1:] for c in BODIES], ids=[c[0] for c in BODIES]
)
def test_malformed_bodies_get_the_error_shape_in_words(
    shared: RunningAdapter, body: bytes, ctype: str, status: int, code: str, words: str
) -> None:
    got, payload = raw(shared, post_bytes(body, ctype))
    assert got == status, payload
    assert set(payload) == {"error"} and payload["error"]["code"] == code, payload
    assert words in payload["error"]["message"], payload


def png_bytes(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (w, h), 128).save(buf, format="PNG")
    return buf.getvalue()


def bomb_png() -> bytes:
    """A PNG whose header declares 200,000 x 200,000 pixels (Pillow refuses it at open)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 200_000, 200_000, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )


KEYFRAMES = [
    ("decompression-bomb", base64.b64encode(bomb_png()).decode(), 413, "PAYLOAD_TOO_LARGE", "pixel bound"),
    ("over-pixel-bound", base64.b64encode(png_bytes(8000, 6000)).decode(), 413, "PAYLOAD_TOO_LARGE", "8000x6000"),
    ("not-base64", "!!!not base64!!!", 422, "INVALID_REQUEST", "not valid base64"),
    (
        "text-as-image",
        base64.b64encode(b"root:x:0:0:root:/root:/bin/bash\n").decode(),
        422,
        "INVALID_REQUEST",
        "could not be decoded",
    ),
    ("gif", base64.b64encode(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").decode(), 422, "INVALID_REQUEST", ""),
    ("extreme-wide", base64.b64encode(png_bytes(20000, 1)).decode(), 422, "INVALID_REQUEST", "20000:1"),
    ("extreme-tall", base64.b64encode(png_bytes(1, 20000)).decode(), 422, "INVALID_REQUEST", "1:20000"),
]


@pytest.mark.parametrize(("kf", "status", "code", "words"), [c[1:] for c in KEYFRAMES], ids=[c[0] for c in KEYFRAMES])
def test_hostile_keyframes(shared: RunningAdapter, kf: str, status: int, code: str, words: str) -> None:
    r = shared.client.post("/jobs", json=small_request(keyframeBase64=kf))
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and words in err["message"], err


# (case id, Host header, Origin header or None, allowed?)
HOSTS = [
    ("loopback-ip", "127.0.0.1:8055", None, True),
    ("localhost", "localhost:8055", None, True),
    ("localhost-subdomain", "app.localhost:8055", None, True),
    ("ipv6-loopback", "[::1]:8055", None, True),
    ("allowed-tunnel-name", "TUNNEL.example:9000", None, True),
    ("docs-page-origin", "127.0.0.1:8055", "http://127.0.0.1:8055", True),
    ("rebinding-name", "evil.example:8055", "http://evil.example:8055", False),
    ("foreign-host-no-origin", "evil.example", None, False),
    ("localhost-lookalike", "localhost.evil.example", None, False),
    ("foreign-origin", "127.0.0.1:8055", "https://evil.example", False),
    ("null-origin", "127.0.0.1:8055", "null", False),
    ("file-origin", "127.0.0.1:8055", "file://", False),
    ("lan-ip-on-loopback-bind", "192.168.1.20:8055", None, False),
]


@pytest.mark.parametrize(("host", "origin", "allowed"), [c[1:] for c in HOSTS], ids=[c[0] for c in HOSTS])
def test_host_and_origin_checks(shared: RunningAdapter, host: str, origin: str | None, allowed: bool) -> None:
    headers = {"Host": host, **({"Origin": origin} if origin else {})}
    r = httpx.post(f"{shared.url}/jobs", json=small_request(numFrames=5), headers=headers)
    h = httpx.get(f"{shared.url}/health", headers=headers)
    if allowed:
        assert r.status_code == 202 and h.status_code == 200, r.text
    else:
        for resp in (r, h):  # refused before routing: /health says nothing either
            assert resp.status_code == 403 and resp.json()["error"]["code"] == "ORIGIN_FORBIDDEN", resp.text
        assert ("Origin" in r.json()["error"]["message"]) == (
            origin is not None and HostPolicy("127.0.0.1", ["tunnel.example"]).accepts(host)
        )


def test_a_wildcard_bind_accepts_addresses_and_its_own_names() -> None:
    p = HostPolicy("0.0.0.0", [])
    assert p.accepts("192.168.1.20:8055") and p.accepts(socket.gethostname()) and not p.accepts("evil.example")
    assert HostPolicy("127.0.0.1", ["*"]).accepts("anything.example")
    assert HostPolicy("gpu-box.lan").accepts("GPU-BOX.lan.:8055")


def test_env_and_flag_add_allowed_hosts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from stv_adapter.__main__ import build_parser, config_from_args

    monkeypatch.setenv("STV_ALLOWED_HOSTS", "a.example, b.example")
    cfg = config_from_args(build_parser().parse_args(["serve", "--allow-host", "c.example"]))
    assert cfg.allowed_hosts == ["a.example", "b.example", "c.example"]
