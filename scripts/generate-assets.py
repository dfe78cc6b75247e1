#!/usr/bin/env python3
"""Draws the sample project's keyframes and the extension icon, deterministically, with Pillow.

No third-party images: everything here is procedural, so the repository can ship it. Run with the
adapter's environment: python/.venv/bin/python scripts/generate-assets.py
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
W, H = 640, 352


def vertical_gradient(w: int, h: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    img = Image.new("RGB", (w, h))
    px = img.load()
    for y in range(h):
        t = y / max(1, h - 1)
        c = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom))
        for x in range(w):
            px[x, y] = c
    return img


def lighthouse() -> Image.Image:
    img = vertical_gradient(W, H, (38, 42, 92), (246, 152, 96))
    d = ImageDraw.Draw(img)
    d.ellipse((430, 150, 500, 220), fill=(255, 214, 150))  # setting sun
    d.rectangle((0, 250, W, H), fill=(28, 54, 84))  # sea
    rnd = random.Random(1)
    for _ in range(60):  # wave glints
        x, y = rnd.randrange(W), rnd.randrange(255, H)
        d.line((x, y, x + rnd.randrange(8, 30), y), fill=(120, 160, 190), width=2)
    d.polygon([(120, 250), (200, 250), (185, 215), (135, 215)], fill=(40, 40, 48))  # rock
    d.polygon([(145, 215), (175, 215), (168, 110), (152, 110)], fill=(236, 236, 236))  # tower
    for y in (130, 160, 190):
        d.rectangle((150, y, 171, y + 10), fill=(196, 48, 48))
    d.rectangle((148, 96, 172, 110), fill=(255, 240, 170))  # lamp
    d.polygon([(172, 100), (W, 60), (W, 140)], fill=(255, 240, 190))  # beam
    return Image.blend(img, img.filter(ImageFilter.GaussianBlur(1.2)), 0.4)


def forest_stream() -> Image.Image:
    img = vertical_gradient(W, H, (150, 196, 168), (34, 70, 44))
    d = ImageDraw.Draw(img)
    rnd = random.Random(2)
    for i in range(22):  # trees, back to front
        x = rnd.randrange(-20, W)
        h = rnd.randrange(120, 260)
        shade = 40 + i * 3
        d.polygon([(x, H - 60), (x + 40, H - 60), (x + 20, H - 60 - h)], fill=(20, shade, 30))
    d.polygon([(250, H), (390, H), (345, 220), (300, 220)], fill=(96, 150, 190))  # stream
    for _ in range(40):
        x, y = rnd.randrange(290, 380), rnd.randrange(225, H)
        d.line((x, y, x + 10, y), fill=(200, 228, 240), width=1)
    return img


def city_rain() -> Image.Image:
    img = vertical_gradient(W, H, (18, 20, 36), (52, 40, 70))
    d = ImageDraw.Draw(img)
    rnd = random.Random(3)
    x = 0
    while x < W:  # skyline with lit windows
        bw, bh = rnd.randrange(40, 90), rnd.randrange(90, 260)
        d.rectangle((x, H - bh, x + bw, H), fill=(26, 26, 40))
        for wy in range(H - bh + 10, H - 10, 16):
            for wx in range(x + 6, x + bw - 8, 12):
                if rnd.random() < 0.35:
                    d.rectangle((wx, wy, wx + 5, wy + 7), fill=(250, 200, 110))
        x += bw + rnd.randrange(2, 8)
    for _ in range(500):  # rain
        rx, ry = rnd.randrange(W), rnd.randrange(H)
        d.line((rx, ry, rx - 3, ry + 12), fill=(150, 160, 200), width=1)
    return img


def lighthouse_night() -> Image.Image:
    """The lighthouse after nightfall: the end keyframe of the sample's bookend scene (same framing as lighthouse())."""
    img = vertical_gradient(W, H, (8, 10, 30), (30, 34, 70))
    d = ImageDraw.Draw(img)
    rnd = random.Random(4)
    for _ in range(70):  # stars
        x, y = rnd.randrange(W), rnd.randrange(0, 240)
        d.point((x, y), fill=(230, 230, 255))
    d.ellipse((60, 40, 100, 80), fill=(236, 236, 220))  # moon
    d.rectangle((0, 250, W, H), fill=(10, 20, 40))  # sea
    for _ in range(60):  # moonlit glints
        x, y = rnd.randrange(W), rnd.randrange(255, H)
        d.line((x, y, x + rnd.randrange(8, 30), y), fill=(70, 90, 130), width=2)
    d.polygon([(120, 250), (200, 250), (185, 215), (135, 215)], fill=(16, 16, 22))  # rock
    d.polygon([(145, 215), (175, 215), (168, 110), (152, 110)], fill=(120, 120, 140))  # tower
    for y in (130, 160, 190):
        d.rectangle((150, y, 171, y + 10), fill=(90, 30, 40))
    d.rectangle((148, 96, 172, 110), fill=(255, 250, 200))  # lamp
    d.polygon([(172, 100), (W, 40), (W, 160)], fill=(255, 246, 200))  # brighter beam
    return Image.blend(img, img.filter(ImageFilter.GaussianBlur(1.2)), 0.4)


def icon() -> Image.Image:
    size = 128
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((4, 4, size - 4, size - 4), radius=22, fill=(34, 40, 92))
    for i in range(3):  # three stacked frames: scenes on a timeline
        o = 18 + i * 12
        d.rounded_rectangle((o, o, o + 62, o + 44), radius=6, outline=(246, 152, 96), width=4, fill=(52, 60, 130))
    cx, cy = 84, 80  # play triangle
    r = 20
    pts = [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in (0, 2 * math.pi / 3, 4 * math.pi / 3)]
    d.polygon(pts, fill=(255, 230, 170))
    return img


def main() -> None:
    out = ROOT / "media" / "sample" / "keyframes"
    out.mkdir(parents=True, exist_ok=True)
    keyframes = (
        ("lighthouse.png", lighthouse),
        ("forest-stream.png", forest_stream),
        ("city-rain.png", city_rain),
        ("lighthouse-night.png", lighthouse_night),
    )
    for name, fn in keyframes:
        fn().save(out / name, optimize=True)
    icon().save(ROOT / "media" / "icon.png", optimize=True)
    print("wrote media/sample/keyframes/*.png and media/icon.png")


if __name__ == "__main__":
    main()
