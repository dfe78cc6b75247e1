"""Image jobs (output: image, issue 21): a keyframe drawn from the prompt, through the real /jobs API
with the preview backend; the PNG comes back at /jobs/{id}/image and never as a video."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from conftest import RunningAdapter, make_config, png_base64, small_request
from PIL import Image

from stv_adapter.backends.fastvideo_backend import FastVideoBackend
from stv_adapter.backends.preview_keyframe import keyframe_image


def image_request(**overrides: object) -> dict[str, object]:
    body = small_request(output="image", width=384, height=256, sceneId="s1", outputDir="keyframes")
    body.pop("numFrames")
    body.update(overrides)
    return body


def test_health_says_the_preview_backend_makes_keyframes(adapter: RunningAdapter) -> None:
    h = adapter.client.get("/health").json()
    assert h["makesKeyframes"] is True and h["keyframesProblem"] is None


def test_an_image_job_writes_a_png_of_the_requested_size_served_at_its_image_route(adapter: RunningAdapter) -> None:
    job_id = adapter.client.post("/jobs", json=image_request()).json()["jobId"]
    job = adapter.wait(job_id)
    assert job["status"] == "succeeded", job
    res = job["result"]
    assert res["output"] == "image" and res["outputVideoPath"] is None
    png = Path(res["outputImagePath"])
    assert png.parent == (adapter.config.output_root / "keyframes").resolve() and png.name.endswith("_s3.png")
    with Image.open(png) as img:
        assert (img.format, img.size) == ("PNG", (384, 256))
    served = adapter.client.get(f"/jobs/{job_id}/image")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content == png.read_bytes()
    # An image job has no video, and says so rather than serving the PNG as one.
    video = adapter.client.get(f"/jobs/{job_id}/video")
    assert video.status_code == 404 and "output is image" in video.json()["error"]["message"]
    side = json.loads(Path(res["sidecarPath"]).read_text())
    assert side["outputImagePath"] == str(png) and side["request"]["output"] == "image"
    assert [w["code"] for w in res["warnings"]] == ["NOT_AI"] and res["frames"] == 1
    assert not [p for p in png.parent.iterdir() if p.name.startswith(".stv-")]


def test_the_same_prompt_and_seed_draw_the_same_pixels_and_another_seed_does_not(adapter: RunningAdapter) -> None:
    def pixels(seed: int) -> str:
        res = adapter.client.post("/generate", json=image_request(seed=seed)).json()
        with Image.open(res["outputImagePath"]) as img:
            return hashlib.sha256(img.tobytes()).hexdigest()

    assert pixels(7) == pixels(7)
    assert pixels(7) != pixels(8)
    # The drawing itself, outside the server: a different prompt changes it too.
    a = keyframe_image("a red barn", 256, 256, 1).tobytes()
    assert (
        a == keyframe_image("a red barn", 256, 256, 1).tobytes() != keyframe_image("a blue sea", 256, 256, 1).tobytes()
    )


def test_an_image_job_never_overwrites_an_earlier_one(adapter: RunningAdapter) -> None:
    a = adapter.client.post("/generate", json=image_request()).json()["outputImagePath"]
    b = adapter.client.post("/generate", json=image_request()).json()["outputImagePath"]
    assert a != b and Path(a).is_file() and Path(b).is_file()


def test_an_image_job_refuses_a_keyframe_and_a_video_job_still_needs_4k_plus_1_frames(adapter: RunningAdapter) -> None:
    r = adapter.client.post("/jobs", json=image_request(keyframeBase64=png_base64()))
    assert r.status_code == 422 and "takes no keyframeBase64" in r.json()["error"]["message"]
    r = adapter.client.post("/jobs", json=small_request(numFrames=1))
    assert r.status_code == 422 and "4k+1" in r.json()["error"]["message"]
    r = adapter.client.post("/jobs", json=image_request(output="gif"))
    assert r.status_code == 422


def test_a_backend_that_cannot_make_keyframes_refuses_image_jobs_and_says_what_can(tmp_path: Path) -> None:
    with RunningAdapter(make_config(tmp_path)) as a:
        backend = a.app.state.backend
        backend.makes_keyframes = False
        backend.keyframes_problem = "This model renders clips only."
        assert a.client.get("/health").json()["keyframesProblem"] == "This model renders clips only."
        r = a.client.post("/jobs", json=image_request())
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["code"] == "KEYFRAMES_UNSUPPORTED" and err["message"] == "This model renders clips only."
        assert "ComfyUI" in err["hint"]


def test_the_fastvideo_backend_asks_for_one_frame_for_an_image_job(tmp_path: Path) -> None:
    from stv_adapter.backends import BackendJob

    backend = FastVideoBackend(make_config(tmp_path, backend="fastvideo"))
    job = BackendJob(
        job_id="j",
        prompt="p",
        negative_prompt=None,
        keyframe=None,
        width=256,
        height=256,
        num_frames=121,
        fps=24,
        seed=1,
        steps=None,
        out_path=tmp_path / "x.png",
        output="image",
    )
    assert backend.build_request(job, None)["sampling"]["num_frames"] == 1
    job.output = "video"
    assert backend.build_request(job, None)["sampling"]["num_frames"] == 121
