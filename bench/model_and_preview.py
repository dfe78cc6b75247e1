"""Adapter benchmarks that need no GPU:
  - model loaded once: N consecutive jobs on the `fastvideo` backend (FastVideo's library replaced by
    the recording fake, loading in a real worker process), loads counted, first vs warm latency;
  - preview backend: 121 frames at 1280x704 against plain ffmpeg doing the same motion (zoompan);
  - load: hundreds of jobs from concurrent clients that retry on BUSY; adapter RSS before/after.
Prints one JSON object. python/.venv/bin/python bench/model_and_preview.py [--jobs 5]"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "python" / "tests"))
sys.path.insert(0, str(ROOT / "python" / "tests" / "fake_fastvideo"))

import httpx  # noqa: E402
import imageio_ffmpeg  # noqa: E402
import psutil  # noqa: E402
from conftest import RunningAdapter, make_config, small_request  # noqa: E402
from PIL import Image  # noqa: E402

from stv_adapter.backends import BackendJob  # noqa: E402
from stv_adapter.backends.preview import PreviewBackend  # noqa: E402


def model_loaded_once(n: int, tmp: Path) -> dict:
    model = tmp / "FastWan2.2-TI2V-5B-FullAttn-Diffusers"
    for e in ("transformer", "vae", "text_encoder", "tokenizer"):
        (model / e).mkdir(parents=True)
    (model / "model_index.json").write_text("{}")
    os.environ["STV_FAKE_FASTVIDEO_LOG"] = str(tmp / "calls.jsonl")
    os.environ["STV_FAKE_FASTVIDEO_LOAD_SECONDS"] = "1.5"  # stands in for reading ~24 GB of weights
    cfg = make_config(tmp, backend="fastvideo", model_path=str(model), lazy=True, attention_backend="TORCH_SDPA")
    lat = []
    with RunningAdapter(cfg) as a:
        for i in range(n):
            t0 = time.perf_counter()
            r = a.client.post("/generate", json=small_request(seed=i))
            r.raise_for_status()
            lat.append((time.perf_counter() - t0) * 1000)
        loads = a.client.get("/health").json()["details"]["loads"]
    calls = [json.loads(line) for line in (tmp / "calls.jsonl").read_text().splitlines()]
    return {
        "jobs": n,
        "loads": loads,
        "fromPretrainedCalls": sum(c["event"] == "from_pretrained" for c in calls),
        "firstJobMs": round(lat[0]),
        "warmMedianMs": round(statistics.median(lat[1:])),
    }


def preview_vs_ffmpeg(tmp: Path, runs: int = 3) -> dict:
    w, h, n, fps = 1280, 704, 121, 24
    key = tmp / "key.png"
    Image.open(ROOT / "media/sample/keyframes/lighthouse.png").resize((w, h)).save(key)
    backend = PreviewBackend()
    ours, theirs = [], []
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    for i in range(runs):
        out = tmp / f"ours-{i}.mp4"
        job = BackendJob(
            job_id="b",
            prompt="x",
            negative_prompt=None,
            keyframe=Image.open(key).convert("RGB"),
            width=w,
            height=h,
            num_frames=n,
            fps=fps,
            seed=2,
            steps=None,
            out_path=out,
        )  # seed 2: a push-in, like the baseline
        t0 = time.perf_counter()
        backend.run(job, lambda *a, **k: None)
        ours.append(time.perf_counter() - t0)
        # The same work for plain ffmpeg: a slow push-in on the keyframe, H.264, same preset and CRF.
        t0 = time.perf_counter()
        subprocess.run(
            [
                ffmpeg,
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-loop",
                "1",
                "-i",
                str(key),
                "-vf",
                f"scale={int(w * 1.18)}:{int(h * 1.18)},zoompan=z='min(zoom+0.0015,1.18)':d={n}:s={w}x{h}:fps={fps}",
                "-frames:v",
                str(n),
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "20",
                "-pix_fmt",
                "yuv420p",
                "-movflags",
                "+faststart",
                str(tmp / f"ffmpeg-{i}.mp4"),
            ],
            check=True,
        )
        theirs.append(time.perf_counter() - t0)
    o, t = statistics.median(ours), statistics.median(theirs)
    return {
        "frames": n,
        "size": f"{w}x{h}",
        "previewFps": round(n / o, 1),
        "ffmpegFps": round(n / t, 1),
        "ratio": round(o / t, 3),
    }


def load(tmp: Path, jobs: int = 200, clients: int = 10, warmup: int = 20) -> dict:
    """A real adapter process (its RSS is what is measured, not this script's clients): warmed up
    with a few jobs, then `jobs` small jobs from `clients` threads at a queue bound of 24."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stv_adapter",
            "serve",
            "--backend",
            "preview",
            "--port",
            str(port),
            "--output-root",
            str(tmp / "out"),
            "--artifacts-dir",
            str(tmp / "artifacts"),
            "--max-queue",
            "24",
            "--log-level",
            "warning",
        ],
        cwd=ROOT / "python",
    )
    try:
        with httpx.Client(base_url=url, timeout=120) as c:
            deadline = time.time() + 60
            while True:
                try:
                    if c.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.time() > deadline:
                    raise RuntimeError("the adapter did not start")
                time.sleep(0.1)
            for i in range(warmup):
                c.post("/generate", json=small_request(numFrames=5, seed=i)).raise_for_status()
            adapter = psutil.Process(proc.pid)
            rss0 = adapter.memory_info().rss
            done, refused, lock = [], [0], threading.Lock()

            def client(k: int) -> None:
                with httpx.Client(base_url=url, timeout=120) as cc:
                    for i in range(k):
                        while True:
                            r = cc.post("/jobs", json=small_request(numFrames=5, seed=i))
                            if r.status_code == 202:
                                with lock:
                                    done.append(r.json()["jobId"])
                                break
                            assert r.status_code == 429 and r.json()["error"]["code"] == "BUSY", r.text
                            with lock:
                                refused[0] += 1
                            time.sleep(0.05)

            t0 = time.perf_counter()
            ts = [threading.Thread(target=client, args=(jobs // clients,)) for _ in range(clients)]
            [t.start() for t in ts]
            [t.join() for t in ts]

            def finished(job: str) -> dict:
                while (j := c.get(f"/jobs/{job}").json())["status"] in ("queued", "running"):
                    time.sleep(0.05)
                return j

            ok = sum(finished(j)["status"] == "succeeded" for j in done)
            seconds = time.perf_counter() - t0
            rss1 = adapter.memory_info().rss
        return {
            "jobs": jobs,
            "succeeded": ok,
            "lost": jobs - ok,
            "busyRefusals": refused[0],
            "seconds": round(seconds, 1),
            "rssBeforeMb": round(rss0 / 2**20, 1),
            "rssGrowthMb": round((rss1 - rss0) / 2**20, 1),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for sub in ("m", "p", "l"):
            (tmp / sub).mkdir()
        res = {
            "modelLoadedOnce": model_loaded_once(a.jobs, tmp / "m"),
            "previewVsFfmpeg": preview_vs_ffmpeg(tmp / "p"),
            "load": load(tmp / "l"),
        }
    print(json.dumps(res))


if __name__ == "__main__":
    main()
