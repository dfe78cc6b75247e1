"""What sizes and lengths Wan 2.2 TI2V 5B accepts (mirrors src/core/timeline/validSizes.ts):
width/height multiples of 16 (the VAE's spatial stride x patch size), frames 4k+1 (temporal stride 4)."""

from __future__ import annotations

SIZE_MULTIPLE = 16
MIN_SIDE, MAX_SIDE = 256, 1920
MIN_FRAMES, MAX_FRAMES = 5, 241
MIN_FPS, MAX_FPS = 1, 60


def _clamp(n: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, n))


def nearest_sides(n: int) -> list[int]:
    lo = _clamp((n // SIZE_MULTIPLE) * SIZE_MULTIPLE, MIN_SIDE, MAX_SIDE)
    hi = _clamp(-(-n // SIZE_MULTIPLE) * SIZE_MULTIPLE, MIN_SIDE, MAX_SIDE)
    return [lo] if lo == hi else [lo, hi]


def nearest_frames(n: int) -> list[int]:
    lo = _clamp(((n - 1) // 4) * 4 + 1, MIN_FRAMES, MAX_FRAMES)
    hi = _clamp(-(-(n - 1) // 4) * 4 + 1, MIN_FRAMES, MAX_FRAMES)
    return [lo] if lo == hi else [lo, hi]


def side_problem(name: str, n: int) -> str | None:
    if MIN_SIDE <= n <= MAX_SIDE and n % SIZE_MULTIPLE == 0:
        return None
    near = " or ".join(str(v) for v in nearest_sides(n))
    return f"{name} {n} cannot be rendered: it must be a multiple of {SIZE_MULTIPLE} between {MIN_SIDE} and {MAX_SIDE}. Nearest valid: {near}."


def frames_problem(n: int) -> str | None:
    if MIN_FRAMES <= n <= MAX_FRAMES and (n - 1) % 4 == 0:
        return None
    near = " or ".join(str(v) for v in nearest_frames(n))
    return f"numFrames {n} cannot be rendered: it must be 4k+1 between {MIN_FRAMES} and {MAX_FRAMES}. Nearest valid: {near} (121 frames = 5 s at 24 fps)."
