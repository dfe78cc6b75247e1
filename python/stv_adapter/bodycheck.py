"""Strict reading of JSON request bodies, before FastAPI parses them, so that every malformed body
gets a message in words (which byte, which line) instead of a parser's internals. Python's json
module alone would accept UTF-16, NaN and duplicate keys, and answer a bare 400 for invalid UTF-8
or a 5,000-digit integer."""

from __future__ import annotations

import json
from typing import Any

MAX_INT_DIGITS = 20  # the largest integer in the API (a seed, 2**32-1) has 10


class BodyProblem(ValueError):
    """A reason to refuse the body, as a sentence for the client."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise BodyProblem(f'The key "{k[:60]}" appears twice in one object of the request body; send it once.')
        out[k] = v
    return out


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise BodyProblem(
            f"A number in the request body has {digits} digits; numbers in this API have at most {MAX_INT_DIGITS}."
        )
    return int(text)


def _no_constants(name: str) -> Any:
    raise BodyProblem(f"{name} is not valid JSON (the request body contains it as a number).")


def body_problem(body: bytes) -> str | None:
    """Why `body` is not a JSON text this adapter reads, or None when it is."""
    if not body.strip():
        return "The request body is empty: send a JSON object (see /docs for its fields)."
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(body) >= 2 and (body[0] == 0 or body[1] == 0)):
        return "The request body is UTF-16 or UTF-32 text; JSON requests must be UTF-8."
    if body[:3] == b"\xef\xbb\xbf":
        return "The request body starts with a byte order mark (EF BB BF); send UTF-8 without it."
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"The request body is not valid UTF-8: byte 0x{body[e.start]:02x} at position {e.start} ({e.reason}). Send UTF-8 text."
    try:
        json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_bounded_int, parse_constant=_no_constants)
    except BodyProblem as e:
        return str(e)
    except json.JSONDecodeError as e:
        return f"The request body is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno} (character {e.pos})."
    except RecursionError:
        return "The request body is nested too deeply (arrays or objects inside each other hundreds of levels deep); a request is one flat object."
    return None
