"""Bookends (a start and an end keyframe) through the adapter: the preview backend dissolves from
the one to the other, so frame 0 is the start image and the last frame the end image; the request
schema carries the end keyframe; FastVideo models that take no end image say END_KEYFRAME_IGNORED."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
from conftest import RunningAdapter, png_base64, probe_mp4, small_request
from PIL import Image
from test_fastvideo_backend import calls as fv_calls
from test_fastvideo_backend import fake_model, fake_nvidia_smi, fv_config, wait_loaded  # noqa: F401 (fixtures)

from stv_adapter.backends import BackendJob
from stv_adapter.backends.fastvideo_worker import _with_last_image
from stv_adapter.backends.preview import PreviewBackend
from stv_adapter.schemas import RENDER_WARNING_CODES

ROOT = Path(__file__).resolve().parents[2]
RED, BLUE = (220, 30, 30), (30, 40, 220)


def frames(path: Path, w: int, h: int) -> list[np.ndarray]:
    reader = imageio_ffmpeg.read_frames(str(path))
    next(reader)
    return [np.frombuffer(f, np.uint8).reshape(h, w, 3).astype(float) for f in reader]


def test_preview_goes_from_the_start_keyframe_to_the_end_one(tmp_path: Path) -> None:
    # Portrait keyframes in a portrait render, and the end image a different shape: both are cover-cropped.
    start = Image.new("RGB", (360, 640), RED)
    end = Image.new("RGB", (400, 400), BLUE)
    out = tmp_path / "b.mp4"
    job = BackendJob(
        job_id="b",
        prompt="p",
        negative_prompt=None,
        keyframe=start,
        width=176,
        height=320,
        num_frames=17,
        fps=8,
        seed=1,
        steps=None,
        out_path=out,
        end_keyframe=end,
    )
    fractions: list[float] = []

    def on_progress(stage: str, fraction: float, **_k: Any) -> None:
        fractions.append(fraction)

    res = PreviewBackend().run(job, on_progress)
    assert (res.width, res.height, res.num_frames) == (176, 320, 17)
    probe = probe_mp4(out)
    assert (probe["size"], probe["fps"], probe["frames"]) == ((176, 320), 8.0, 17), probe
    fs = frames(out, 176, 320)
    assert len(fs) == 17
    mean = [f.reshape(-1, 3).mean(axis=0) for f in fs]
    assert np.abs(mean[0] - RED).max() < 12, mean[0]
    assert np.abs(mean[-1] - BLUE).max() < 12, mean[-1]
    assert 60 < mean[8][0] < 190 and 60 < mean[8][2] < 190, mean[8]  # halfway: a mix of both
    reds = [m[0] for m in mean]
    assert all(a >= b - 2 for a, b in zip(reds, reds[1:], strict=False)), reds  # never goes back
    assert fractions and fractions[-1] > 0.9


def test_the_adapter_takes_an_end_keyframe_and_records_it_without_the_bytes(adapter: RunningAdapter) -> None:
    r = adapter.client.post(
        "/generate", json=small_request(keyframeBase64=png_base64(color=RED), endKeyframeBase64=png_base64(color=BLUE))
    )
    assert r.status_code == 200, r.text
    res = r.json()
    side = json.loads(Path(res["sidecarPath"]).read_text())
    assert side["request"]["hasEndKeyframe"] is True and "endKeyframeBase64" not in side["request"]
    fs = frames(Path(res["outputVideoPath"]), 256, 256)
    assert np.abs(fs[-1].reshape(-1, 3).mean(axis=0) - BLUE).max() < 12
    bad = adapter.client.post("/jobs", json=small_request(endKeyframeBase64="not base64!!"))
    assert bad.status_code == 422 and bad.json()["error"]["message"].startswith("End keyframe (endKeyframeBase64): "), (
        bad.text
    )


def test_the_worker_hands_fastvideo_the_end_image_as_a_pil_image(tmp_path: Path) -> None:
    p = tmp_path / "end.png"
    Image.new("RGB", (32, 16), BLUE).save(p)
    req: dict[str, Any] = {"prompt": "x", "inputs": {"image_path": "/k.png", "last_image_path": str(p)}}
    out = _with_last_image(req)
    assert out["inputs"]["image_path"] == "/k.png" and "last_image_path" not in out["inputs"]
    assert isinstance(out["inputs"]["last_image"], Image.Image) and out["inputs"]["last_image"].size == (32, 16)
    assert _with_last_image({"prompt": "y"}) == {"prompt": "y"}


def test_warning_codes_are_the_extensions() -> None:
    ts = (ROOT / "src/core/providers/types.ts").read_text()
    m = re.search(r"export const WARNING_CODES = \[([^\]]*)\]", ts)
    assert m
    assert tuple(re.findall(r"'([A-Z_]+)'", m.group(1))) == RENDER_WARNING_CODES


def test_fastvideo_says_end_keyframe_ignored_for_wan_ti2v(
    tmp_path: Path,
    fake_model: Path,  # noqa: F811 (a fixture imported from test_fastvideo_backend)
    fake_nvidia_smi: Path,  # noqa: F811
) -> None:
    with RunningAdapter(fv_config(tmp_path, fake_model)) as a:
        wait_loaded(a)
        r = a.client.post(
            "/generate",
            json=small_request(
                keyframeBase64=png_base64(),
                endKeyframeBase64=png_base64(color=BLUE),
                width=1280,
                height=704,
                numFrames=9,
                fps=24,
            ),
        )
        assert r.status_code == 200, r.text
        codes = [w["code"] for w in r.json()["warnings"]]
        assert "END_KEYFRAME_IGNORED" in codes, codes
        # The Wan 2.2 TI2V pipeline takes no end image: none was sent to FastVideo.
        sent = [c for c in fv_calls(tmp_path) if c.get("type") == "generate" or "request" in c]
        assert all("last_image" not in json.dumps(c) for c in sent)
