"""The preview backend's keyframe: a still drawn from the prompt and the seed, no AI. The same prompt,
seed and size always give the same pixels (the prompt picks the palette, the seed the composition), so
the whole keyframe path (generate variants, compare, pick, render from the pick) is testable and
reproducible without a GPU, and different seeds give visibly different variants to choose from."""

from __future__ import annotations

import hashlib
import random
import textwrap
from typing import Any

from PIL import Image, ImageDraw, ImageFont

MODEL_ID = "preview (not AI: a still drawn from the prompt)"
Rgb = tuple[int, int, int]


def _rng(prompt: str, seed: int, salt: str) -> random.Random:
    # hashlib, not hash(): Python salts str hashes per process, which would change the image per run.
    digest = hashlib.sha256(f"{salt}\x00{seed}\x00{prompt}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _mix(a: Rgb, b: Rgb, t: float) -> Rgb:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _palette(prompt: str) -> tuple[Rgb, Rgb, Rgb]:
    """Sky top, sky bottom, land: from the prompt alone, so one shot's variants share a mood."""
    rnd = _rng(prompt, 0, "palette")
    top: Rgb = (rnd.randrange(10, 90), rnd.randrange(20, 110), rnd.randrange(60, 160))
    bottom: Rgb = (rnd.randrange(150, 250), rnd.randrange(90, 200), rnd.randrange(60, 190))
    land: Rgb = (rnd.randrange(15, 70), rnd.randrange(25, 80), rnd.randrange(20, 70))
    return top, bottom, land


def _font(size: int) -> Any:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def _ridges(draw: ImageDraw.ImageDraw, rnd: random.Random, width: int, height: int, land: Rgb, sky: Rgb) -> None:
    """Three ranges of hills, far (pale, high) to near (dark, low), each a seeded polyline."""
    for layer in range(3):
        base = height * (0.55 + 0.12 * layer)
        amp = height * (0.16 - 0.04 * layer)
        colour = _mix(sky, land, 0.45 + 0.27 * layer)
        n = rnd.randrange(5, 11)
        pts = [(width * i / n, base - amp * rnd.random()) for i in range(n + 1)]
        draw.polygon([(0.0, float(height)), *pts, (float(width), float(height))], fill=colour)


def keyframe_image(prompt: str, width: int, height: int, seed: int) -> Image.Image:
    """A width x height RGB still: sky, a sun where the seed puts it, hills, and the prompt written on it."""
    top, bottom, land = _palette(prompt)
    rnd = _rng(prompt, seed, "composition")
    grad = Image.linear_gradient("L").resize((width, height))
    img = Image.composite(Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), grad)
    draw = ImageDraw.Draw(img)
    r = min(width, height) * rnd.uniform(0.05, 0.12)
    cx, cy = width * rnd.uniform(0.1, 0.9), height * rnd.uniform(0.12, 0.45)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_mix(bottom, (255, 244, 214), 0.7))
    _ridges(draw, rnd, width, height, land, bottom)
    size = max(12, height // 22)
    font = _font(size)
    lines = textwrap.wrap(prompt, width=max(16, int(width / (size * 0.55))))[:3]
    band = len(lines) * size * 1.3 + size
    overlay = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(overlay).rectangle((0, height - band, width, height), fill=(0, 0, 0, 110))
    img = Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")
    draw = ImageDraw.Draw(img)
    y = height - band + size / 2
    for line in lines:
        draw.text((width / 2, y), line, fill=(245, 245, 245), font=font, anchor="ma")
        y += size * 1.3
    draw.text(
        (size / 2, size / 2), f"seed {seed} · preview, not AI", fill=(245, 245, 245), font=_font(max(10, size * 2 // 3))
    )
    return img
