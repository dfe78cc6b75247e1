"""The preview backend on its own: ffmpeg draws the seeded camera move (zoompan), and what it draws
is the move camera_path() describes, frame by frame; cancel ends ffmpeg; progress counts frames."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from stv_adapter.backends import BackendJob
from stv_adapter.backends.preview import PreviewBackend, _ease, camera_path
from stv_adapter.errors import AdapterError, JobCancelled

ROOT = Path(__file__).resolve().parents[2]
KEYFRAME = Image.open(ROOT / "media/sample/keyframes/lighthouse.png").convert("RGB")
MOVES = ["push-in", "pull-out", "pan-right", "pan-left", "tilt-down", "tilt-up"]


def seed_for(move: str) -> int:
    return next(s for s in range(100) if random.Random(s).choice(MOVES) == move)


def job(tmp_path: Path, seed: int, **kw: object) -> BackendJob:
    args: dict[str, object] = {
        "job_id": "t",
        "prompt": "a lighthouse",
        "negative_prompt": None,
        "keyframe": KEYFRAME,
        "width": 320,
        "height": 176,
        "num_frames": 25,
        "fps": 16,
        "seed": seed,
        "steps": None,
        "out_path": tmp_path / f"s{seed}.mp4",
    }
    args.update(kw)
    return BackendJob(**args)  # type: ignore[arg-type]


def frames(path: Path, w: int, h: int) -> list[np.ndarray]:
    reader = imageio_ffmpeg.read_frames(str(path))
    next(reader)
    return [np.frombuffer(f, np.uint8).reshape(h, w, 3).astype(float) for f in reader]


@pytest.mark.parametrize("move", MOVES)
def test_the_video_follows_the_seeded_camera_path(tmp_path: Path, move: str) -> None:
    b = PreviewBackend()
    j = job(tmp_path, seed_for(move))
    b.run(j, lambda *a, **k: None)
    got = frames(j.out_path, j.width, j.height)
    assert len(got) == j.num_frames
    region = b.source_image(j)
    start, end = camera_path(j.seed, region.width, region.height, j.width, j.height)

    def expected(i: int) -> np.ndarray:
        t = _ease(i / (j.num_frames - 1))
        box = tuple(a + (z - a) * t for a, z in zip(start, end, strict=True))
        return np.asarray(region.resize((j.width, j.height), Image.Resampling.BICUBIC, box=box), float)  # type: ignore[arg-type]

    for i in (0, j.num_frames // 3, j.num_frames // 2, j.num_frames - 1):
        want = expected(i)
        err = np.abs(got[i] - want).mean()
        off = np.abs(got[i][:, 8:] - want[:, :-8]).mean()  # the same frame eight pixels off
        # Within a pixel of the path (ffmpeg crops on whole pixels; H.264 adds a little), and clearly
        # closer than eight pixels off, so a wrong origin, ease or direction fails.
        assert err < 4.0 and err < off / 2, f"{move} frame {i}: mean abs error {err:.2f} (eight pixels off: {off:.2f})"


def test_a_title_card_when_there_is_no_keyframe_and_odd_sizes_work(tmp_path: Path) -> None:
    b = PreviewBackend()
    j = job(tmp_path, 4, keyframe=None, width=200, height=120, num_frames=9)
    out = b.run(j, lambda *a, **k: None)
    assert (out.width, out.height, out.num_frames) == (200, 120, 9)
    assert len(frames(j.out_path, 200, 120)) == 9


def test_progress_counts_encoded_frames_up_to_the_last(tmp_path: Path) -> None:
    steps: list[tuple[float, int]] = []
    j = job(tmp_path, 2, width=1280, height=704, num_frames=121)
    PreviewBackend().run(j, lambda stage, fraction, **k: steps.append((fraction, k["step"])))
    assert len(steps) >= 3 and steps[-1][1] == 121
    assert [s for _, s in steps] == sorted(s for _, s in steps) and all(0 < f <= 0.97 for f, _ in steps)


def test_cancel_ends_ffmpeg_mid_encode(tmp_path: Path) -> None:
    b = PreviewBackend()
    j = job(tmp_path, 2, width=1280, height=704, num_frames=481)

    def on_progress(*_a: object, **k: object) -> None:
        j.cancel.set()  # the first frames are out: cancel now

    with pytest.raises(JobCancelled):
        b.run(j, on_progress)
    assert b._proc is None  # noqa: SLF001 - ffmpeg was reaped, not left running


def test_an_ffmpeg_failure_is_reported_with_its_message(tmp_path: Path) -> None:
    j = job(tmp_path, 2, out_path=tmp_path / "missing-dir" / "x.mp4")
    with pytest.raises(AdapterError) as e:
        PreviewBackend().run(j, lambda *a, **k: None)
    assert e.value.code == "EXECUTION_ERROR" and "ffmpeg failed" in e.value.message


def test_a_cancel_from_another_thread_stops_a_long_encode(tmp_path: Path) -> None:
    b = PreviewBackend()
    j = job(tmp_path, 3, width=1280, height=704, num_frames=2000)
    threading.Timer(0.3, j.cancel.set).start()
    with pytest.raises(JobCancelled):
        b.run(j, lambda *a, **k: None)
    assert b._proc is None  # noqa: SLF001
