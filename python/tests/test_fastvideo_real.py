"""The `fastvideo` backend on the REAL FastVideo 0.2.1, on a CPU, with a tiny Wan 2.2 TI2V model (issue 16).

No fake anywhere: tests/tiny_wan.py writes a Diffusers folder of the real architecture with random
weights; the adapter runs as its own process (`python -m stv_adapter serve`) in the FastVideo venv
(scripts/lib/fastvideo-venv.sh), loads it through VideoGenerator.from_pretrained in its worker
process, and FastVideo's own worker runs the text encoder, the DiT and the VAE; ffprobe checks the
MP4s. The only foreign code is tests/fastvideo_cpu/sitecustomize.py (on the adapter's PYTHONPATH),
which patches FastVideo's four GPU-only assumptions; docs/fastvideo-adapter.md lists them.

Runs only with STV_FASTVIDEO_PYTHON set to that venv's Python: scripts/test-fastvideo-real.sh sets
it (and the README's test command runs that script).
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import free_port
from PIL import Image

FV_PYTHON = os.environ.get("STV_FASTVIDEO_PYTHON", "")
if not FV_PYTHON:
    # One skip for the module in the ordinary pytest run; scripts/test.sh runs it for real next.
    pytest.skip("needs the FastVideo venv: scripts/test-fastvideo-real.sh runs these", allow_module_level=True)

TESTS = Path(__file__).resolve().parent
PYTHON_ROOT = TESTS.parent
CPU_PATCH = TESTS / "fastvideo_cpu"
BASE_ID = "Wan-AI/Wan2.2-TI2V-5B-Diffusers"
FASTWAN_ID = "FastVideo/FastWan2.2-TI2V-5B-FullAttn-Diffusers"
# Small enough for two CPU cores; the adapter's own limits (256 px sides, 4k+1 frames) still apply.
SMALL = {"prompt": "a lighthouse at dusk", "width": 256, "height": 256, "numFrames": 9, "fps": 8, "seed": 1, "steps": 2}


def fv_env() -> dict[str, str]:
    env = dict(os.environ)
    # The repository's adapter (not installed into the cached venv) and the CPU patch, in every
    # process FastVideo spawns; no hub: everything is local.
    env["PYTHONPATH"] = os.pathsep.join([str(CPU_PATCH), str(PYTHON_ROOT)])
    env["HF_HUB_OFFLINE"] = "1"
    env["TRANSFORMERS_OFFLINE"] = "1"
    return env


def make_tiny(parent: Path, flavor: str) -> dict[str, Any]:
    out = subprocess.run(
        [FV_PYTHON, str(TESTS / "tiny_wan.py"), str(parent), "--flavor", flavor, "--seed", "0"],
        env=fv_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    info: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return info


def ffprobe(path: str) -> dict[str, Any]:
    exe = shutil.which("ffprobe")
    assert exe, "ffprobe is needed to check the MP4s (apt-get install ffmpeg)"
    out = subprocess.run(
        [
            exe,
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-count_frames",
            "-show_entries",
            "stream=codec_name,width,height,nb_read_frames,avg_frame_rate",
            "-of",
            "json",
            path,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    stream: dict[str, Any] = json.loads(out.stdout)["streams"][0]
    return stream


def png_base64(w: int, h: int) -> str:
    img = Image.new("RGB", (w, h))
    img.putdata([(x * 255 // w, y * 255 // h, 128) for y in range(h) for x in range(w)])
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


class AdapterProcess:
    """`python -m stv_adapter serve --backend fastvideo` in the FastVideo venv, on a free loopback port."""

    def __init__(self, model_id: str, folder: str, out: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = out / "adapter.log"
        self.out = out
        # Offload off: FastVideo's offload shards through a CUDA device mesh (component_loader.py:482).
        cmd = [
            FV_PYTHON,
            "-m",
            "stv_adapter",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--backend",
            "fastvideo",
            "--model",
            model_id,
            "--model-path",
            folder,
            "--attention-backend",
            "TORCH_SDPA",
            "--no-dit-cpu-offload",
            "--no-vae-cpu-offload",
            "--no-text-encoder-cpu-offload",
            "--output-root",
            str(out / "outputs"),
            "--artifacts-dir",
            str(out / "artifacts"),
        ]
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, env=fv_env(), stdout=self.log, stderr=subprocess.STDOUT)
        self.client = httpx.Client(base_url=self.url, timeout=120)

    def health(self) -> dict[str, Any] | None:
        try:
            h: dict[str, Any] = self.client.get("/health", timeout=5).json()
            return h
        except httpx.TransportError:
            return None

    def wait_health(self, status: str, timeout: float = 300) -> dict[str, Any]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.proc.poll() is None, f"the adapter exited ({self.proc.returncode}):\n{self.tail()}"
            h = self.health()
            if h is not None and h["status"] == "error":
                pytest.fail(f"the adapter reports an error: {h['error']}\n{self.tail()}")
            if h is not None and h["status"] == status:
                return h
            time.sleep(0.2)
        pytest.fail(f"no /health status {status!r} within {timeout} s:\n{self.tail()}")

    def tail(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def submit(self, body: dict[str, Any]) -> str:
        r = self.client.post("/jobs", json=body)
        assert r.status_code == 202, r.text
        job_id: str = r.json()["jobId"]
        return job_id

    def events(self, job_id: str, until_stage: str | None = None) -> list[dict[str, Any]]:
        """The job's server-sent events (name + data) up to `done`, or up to the first progress
        event in `until_stage`."""
        seen: list[dict[str, Any]] = []
        with self.client.stream("GET", f"/jobs/{job_id}/events", timeout=httpx.Timeout(600, connect=5)) as r:
            name = None
            for line in r.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                    seen.append({"event": name, "data": data})
                    if name == "done":
                        break
                    if until_stage and name == "progress" and progress_of(data).get("stage") == until_stage:
                        break
        return seen

    def job(self, job_id: str) -> dict[str, Any]:
        j: dict[str, Any] = self.client.get(f"/jobs/{job_id}").json()
        return j

    def stop(self) -> None:
        self.client.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()


def progress_of(data: dict[str, Any]) -> dict[str, Any]:
    p: dict[str, Any] = data.get("progress") or data
    return p


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    root = tmp_path_factory.mktemp("tiny-wan")
    return {flavor: make_tiny(root, flavor) for flavor in ("base", "fastwan")}


@pytest.fixture(scope="module")
def base_adapter(
    tiny: dict[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AdapterProcess, list[dict[str, Any]]]]:
    a = AdapterProcess(BASE_ID, tiny["base"]["folder"], tmp_path_factory.mktemp("adapter-base"))
    # Every /health answer until the model is loaded: the load takes seconds, so "loading" is seen.
    answers: list[dict[str, Any]] = []
    try:
        deadline = time.time() + 300
        while time.time() < deadline:
            assert a.proc.poll() is None, f"the adapter exited:\n{a.tail()}"
            h = a.health()
            if h is not None:
                answers.append(h)
                if h["status"] != "loading":
                    break
            time.sleep(0.1)
        yield a, answers
    finally:
        a.stop()


def test_the_tiny_model_is_small_deterministic_and_shaped_like_the_real_repository(
    tiny: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    for flavor, info in tiny.items():
        folder = Path(info["folder"])
        assert info["bytes"] < 50 * 2**20, f"{flavor}: {info['bytes']} bytes"
        for entry in (
            "model_index.json",
            "transformer",
            "vae",
            "text_encoder",
            "tokenizer/tokenizer.json",
            "scheduler/scheduler_config.json",
        ):
            assert (folder / entry).exists(), f"{flavor} lacks {entry}"
    assert Path(tiny["base"]["folder"]).name == "Wan2.2-TI2V-5B-Diffusers"
    assert Path(tiny["fastwan"]["folder"]).name == "FastWan2.2-TI2V-5B-FullAttn-Diffusers"
    again = make_tiny(tmp_path, "base")
    assert again["sha256"] == tiny["base"]["sha256"], "the same seed must write identical files"


def test_health_says_loading_then_loaded_on_the_cpu_platform(
    base_adapter: tuple[AdapterProcess, list[dict[str, Any]]],
) -> None:
    a, answers = base_adapter
    assert answers[0]["status"] == "loading" and answers[0]["modelLoaded"] is False, answers[0]
    h = answers[-1]
    assert h["status"] == "ok", f"{h}\n{a.tail()}"
    assert h["modelLoaded"] is True and h["details"]["loads"] == 1
    assert h["device"] == "cpu"  # FastVideo's CpuPlatform, reported by the worker
    assert h["attentionBackend"] == "TORCH_SDPA" and h["followsKeyframe"] is True
    assert not any(w["code"] == "KEYFRAME_IGNORED" for w in h["warnings"])


def test_a_render_without_keyframe_gives_the_requested_mp4_with_progress_from_fastvideos_stage_logs(
    base_adapter: tuple[AdapterProcess, list[dict[str, Any]]],
) -> None:
    a, _ = base_adapter
    job_id = a.submit(SMALL)
    events = a.events(job_id)
    assert events[-1]["event"] == "done", events[-3:]
    job = a.job(job_id)
    assert job["status"] == "succeeded", f"{job}\n{a.tail()}"
    res = job["result"]
    probe = ffprobe(res["outputVideoPath"])
    assert (
        probe["codec_name"],
        probe["width"],
        probe["height"],
        probe["avg_frame_rate"],
        int(probe["nb_read_frames"]),
    ) == ("h264", 256, 256, "8/1", 9)
    assert (res["width"], res["height"], res["frames"]) == (256, 256, 9) and res["warnings"] == []

    progress = [progress_of(e["data"]) for e in events if e["event"] == "progress"]
    stages: list[str] = []
    for p in progress:
        if not stages or stages[-1] != p["stage"]:
            stages.append(p["stage"])
    order = ["queued", "loading", "encoding-prompt", "denoising", "decoding", "saving"]
    assert [s for s in stages if s in order] == sorted((s for s in stages if s in order), key=order.index), stages
    assert {"encoding-prompt", "denoising", "decoding", "saving"} <= set(stages), stages
    fractions = [p["fraction"] for p in progress]
    assert fractions == sorted(fractions), fractions
    # These messages exist only because FastVideo's worker logged its stages (FASTVIDEO_STAGE_LOGGING).
    messages = [p.get("message") or "" for p in progress]
    for stage in ("prompt encoding", "latent preparation", "denoising", "decoding"):
        assert f"FastVideo: {stage}" in messages, messages


def test_an_image_job_is_one_frame_of_the_real_pipeline_saved_as_a_png(
    base_adapter: tuple[AdapterProcess, list[dict[str, Any]]],
) -> None:
    """Issue 21: FastVideo 0.2.1 renders Wan 2.2 TI2V with num_frames=1 (one latent frame, decoded
    alone by the causal VAE); the adapter serves it as a PNG keyframe."""
    a, _ = base_adapter
    h = a.health()
    assert h is not None and h["makesKeyframes"] is True
    body = {k: v for k, v in SMALL.items() if k not in ("numFrames", "fps")}
    job_id = a.submit({**body, "output": "image", "width": 384, "height": 256, "seed": 4})
    a.events(job_id)
    job = a.job(job_id)
    assert job["status"] == "succeeded", f"{job}\n{a.tail()}"
    res = job["result"]
    assert res["output"] == "image" and res["outputVideoPath"] is None and res["frames"] == 1
    with Image.open(res["outputImagePath"]) as img:
        assert (img.format, img.size) == ("PNG", (384, 256))
        # Not a blank frame: the tiny model's random weights still draw something.
        low, high = img.convert("L").getextrema()
        assert high > low
    served = a.client.get(f"/jobs/{job_id}/image")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"


def test_a_render_with_a_keyframe_is_sized_by_fastvideo_and_says_so_and_reuses_the_loaded_model(
    base_adapter: tuple[AdapterProcess, list[dict[str, Any]]],
) -> None:
    a, _ = base_adapter
    r = a.client.post("/generate", json={**SMALL, "keyframeBase64": png_base64(256, 256)}, timeout=600)
    assert r.status_code == 200, f"{r.text}\n{a.tail()}"
    res = r.json()
    probe = ffprobe(res["outputVideoPath"])
    # FastVideo 0.2.1 sizes a TI2V clip with an image from the image: its aspect ratio (square here)
    # at up to 480x832 in area, in multiples of 32 (input_validation.py:110, utils.best_output_size).
    w, h = probe["width"], probe["height"]
    assert (res["width"], res["height"]) == (w, h) and w * h <= 480 * 832 and w * h > 256 * 256 and abs(w - h) <= 32
    assert (probe["codec_name"], probe["avg_frame_rate"], int(probe["nb_read_frames"])) == ("h264", "8/1", 9)
    size_changed = [x["message"] for x in res["warnings"] if x["code"] == "SIZE_CHANGED"]
    assert len(size_changed) == 1 and "480x832" in size_changed[0] and f"{w}x{h}" in size_changed[0], res["warnings"]
    assert not any(x["code"] == "KEYFRAME_IGNORED" for x in res["warnings"])
    assert a.health()["details"]["loads"] == 1  # type: ignore[index]  # a second job, no reload


def test_cancel_while_running_stops_fastvideos_worker_and_the_model_reloads(
    base_adapter: tuple[AdapterProcess, list[dict[str, Any]]],
) -> None:
    a, _ = base_adapter
    # Long enough to be inside FastVideo when the cancel arrives (100 steps, 832x480x33).
    job_id = a.submit({**SMALL, "width": 832, "height": 480, "numFrames": 33, "steps": 100})
    seen = a.events(job_id, until_stage="denoising")
    assert progress_of(seen[-1]["data"])["stage"] == "denoising", seen[-3:]
    r = a.client.delete(f"/jobs/{job_id}")
    assert r.status_code == 200, r.text
    job = r.json()
    deadline = time.time() + 60
    while job["status"] not in ("cancelled", "failed", "succeeded") and time.time() < deadline:
        time.sleep(0.2)
        job = a.job(job_id)
    assert job["status"] == "cancelled" and job.get("forced") is True, job
    h = a.health()
    assert h is not None and h["details"]["loads"] == 1 and h["status"] == "loading", h  # the worker is gone
    h = a.wait_health("ok")
    assert h["details"]["loads"] == 2 and h["modelLoaded"] is True
    # The reloaded model renders.
    r = a.client.post("/generate", json=SMALL, timeout=600)
    assert r.status_code == 200, f"{r.text}\n{a.tail()}"
    assert int(ffprobe(r.json()["outputVideoPath"])["nb_read_frames"]) == 9


def test_the_dry_run_passes_on_the_tiny_folder_except_for_the_gpu(tiny: dict[str, dict[str, Any]]) -> None:
    out = subprocess.run(
        [
            FV_PYTHON,
            "-m",
            "stv_adapter",
            "serve",
            "--dry-run",
            "--backend",
            "fastvideo",
            "--model",
            BASE_ID,
            "--model-path",
            tiny["base"]["folder"],
            "--attention-backend",
            "TORCH_SDPA",
        ],
        env=fv_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = out.stdout.splitlines()
    missing = [ln for ln in lines if "[MISSING]" in ln]
    # On a CPU the one honest failure is the GPU; everything the render needs from the folder and
    # the environment passes (python, disk, torch, fastvideo 0.2.1, model, its files, attention).
    assert len(missing) == 1 and " gpu " in missing[0], out.stdout
    for name in ("python", "disk", "torch", "fastvideo", "model", "attention"):
        assert any(f"[    ok ] {name} " in ln for ln in lines), (name, out.stdout)
    assert any("fastvideo" in ln and "0.2.1" in ln for ln in lines), out.stdout
    assert out.returncode == 1


def test_fastwan_ignores_the_keyframe_and_the_adapter_says_so(tiny: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    a = AdapterProcess(FASTWAN_ID, tiny["fastwan"]["folder"], tmp_path)
    try:
        h = a.wait_health("ok")
        assert h["followsKeyframe"] is False and h["modelProfile"] == "fastwan-ti2v-5b"
        assert any(w["code"] == "KEYFRAME_IGNORED" for w in h["warnings"])
        r = a.client.post(
            "/generate", json={**SMALL, "steps": None, "keyframeBase64": png_base64(256, 256)}, timeout=600
        )
        assert r.status_code == 200, f"{r.text}\n{a.tail()}"
        res = r.json()
        codes = [w["code"] for w in res["warnings"]]
        assert codes == ["KEYFRAME_IGNORED", "SIZE_CHANGED"], res["warnings"]
        probe = ffprobe(res["outputVideoPath"])
        assert (probe["width"], probe["height"], int(probe["nb_read_frames"])) == (res["width"], res["height"], 9)
    finally:
        a.stop()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
