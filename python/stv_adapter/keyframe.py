"""Decodes the request's base64 keyframe with bounds, so a hostile or huge image cannot exhaust memory."""

from __future__ import annotations

import base64
import binascii
import io

from PIL import Image

from .errors import AdapterError

ACCEPTED_FORMATS = {"PNG", "JPEG", "WEBP"}


def _strict_b64decode(text: str) -> bytes:
    """Refuses anything but base64. binascii's strict mode (Python 3.11+) does in C what
    b64decode(validate=True) does with a regular expression, about 10x faster on megabytes."""
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except TypeError:  # Python 3.10
        return base64.b64decode(text, validate=True)


def decode_keyframe(b64: str, max_bytes: int, max_pixels: int) -> Image.Image:
    if b64.startswith("data:"):
        _, _, b64 = b64.partition(",")
    if len(b64) * 3 // 4 > max_bytes + 3:
        raise AdapterError(
            "PAYLOAD_TOO_LARGE",
            f"The keyframe is larger than {max_bytes // (1024 * 1024)} MB.",
            "Use a PNG or JPEG at the render size.",
        )
    try:
        raw = _strict_b64decode(b64)
    except (binascii.Error, ValueError) as e:
        raise AdapterError(
            "INVALID_REQUEST", "keyframeBase64 is not valid base64.", "Send the image file's bytes base64-encoded."
        ) from e
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt = probe.format
            w, h = probe.size
        if fmt not in ACCEPTED_FORMATS:
            raise AdapterError(
                "INVALID_REQUEST",
                f"The keyframe is a {fmt} image; PNG, JPEG or WebP are accepted.",
                "Convert it to PNG.",
            )
        if w * h > max_pixels:
            raise AdapterError(
                "PAYLOAD_TOO_LARGE",
                f"The keyframe is {w}x{h} pixels, more than the {max_pixels} pixel bound.",
                "Resize it to the render size first.",
            )
        img = Image.open(io.BytesIO(raw))
        img.load()
        return img if img.mode == "RGB" else img.convert("RGB")  # no second copy of a large image
    except AdapterError:
        raise
    except Image.DecompressionBombError as e:  # Pillow's own bound, met before ours on huge headers
        raise AdapterError(
            "PAYLOAD_TOO_LARGE",
            f"The keyframe declares more pixels than the {max_pixels} pixel bound ({e}).",
            "Resize it to the render size first.",
        ) from e
    except Exception as e:  # Pillow raises many types for corrupt data
        raise AdapterError(
            "INVALID_REQUEST",
            f"The keyframe could not be decoded as an image ({type(e).__name__}).",
            "Check that the file is a valid PNG, JPEG or WebP.",
        ) from e


# Backends crop and scale the keyframe to the render size; keep a little more than that for the
# preview's camera move (it overscans by 18%).
KEEP_FACTOR = 1.25


# How far a keyframe's aspect ratio may differ from the render's. Every backend covers the frame
# with the keyframe, so an image scaled to cover it has (mismatch x render area) pixels: at 10,
# what FastVideo's own resize derives stays within ten frames' worth. Beyond it the keyframe is
# a sliver (20000x1 asked the preview for 7 GB before this bound) and is refused, naming the ratio.
MAX_ASPECT_MISMATCH = 10.0


def _ratio(w: int, h: int) -> str:
    from math import gcd

    g = gcd(w, h) or 1
    return f"{w // g}:{h // g}"


def fit_keyframe(img: Image.Image, width: int, height: int) -> Image.Image:
    """Shrinks a keyframe that is much larger than the render (never enlarges one); refuses one
    whose aspect ratio is too far from the render's (see MAX_ASPECT_MISMATCH)."""
    mismatch = max(img.width * height / (img.height * width), img.height * width / (img.width * height))
    if mismatch > MAX_ASPECT_MISMATCH:
        raise AdapterError(
            "INVALID_REQUEST",
            f"The keyframe is {img.width}x{img.height} (aspect ratio {_ratio(img.width, img.height)}), {mismatch:.0f} times wider or taller than the {width}x{height} render ({_ratio(width, height)}); at most {MAX_ASPECT_MISMATCH:.0f} times is accepted.",
            "Crop the keyframe to roughly the render's shape first.",
        )
    scale = max(width * KEEP_FACTOR / img.width, height * KEEP_FACTOR / img.height)
    if scale >= 1:
        return img
    return img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.Resampling.LANCZOS)
