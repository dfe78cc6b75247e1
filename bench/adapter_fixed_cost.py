"""The adapter's own overhead per request: everything except the backend's work.

A real adapter (uvicorn on loopback, the real app, queue, files) runs with a backend whose work is
nothing but copying a finished MP4 into place, so the time a client waits for POST /generate is
the adapter's: HTTP, JSON and pydantic validation, keyframe decoding, the queue and its thread hop,
the temporary file, the never-overwriting publish, the fsync'd sidecar and run summary, the
response. Each scenario runs sequentially (one request in flight), after a warm-up.

    python/.venv/bin/python bench/adapter_fixed_cost.py [--runs 200] [--json]

Compare with bench/adapter_overhead.py, which measures the same thing as (full path - in-process
preview encode) for real-sized jobs.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg
import numpy as np
import uvicorn
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
from stv_adapter.app import create_app  # noqa: E402
from stv_adapter.backends import BackendJob, BackendOutput, ProgressFn  # noqa: E402
from stv_adapter.config import AdapterConfig  # noqa: E402


class CopyBackend:
    """No backend work: a finished MP4 is copied where the backend would have written it."""

    name = "preview"
    is_ai = False

    def __init__(self, mp4: Path) -> None:
        self.mp4 = mp4
        self.runs = 0

    def start(self) -> None: ...

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "model_id": "copy",
            "model_profile": "copy",
            "model_loaded": True,
            "follows_keyframe": True,
            "attention_backend": None,
            "device": "cpu",
            "gpu": None,
        }

    def run(self, job: BackendJob, progress: ProgressFn) -> BackendOutput:
        progress("encoding", 0.5)
        shutil.copyfile(self.mp4, job.out_path)
        self.runs += 1
        return BackendOutput(
            width=job.width, height=job.height, num_frames=job.num_frames, fps=job.fps, model_id="copy"
        )

    def force_stop(self) -> bool:
        return False

    def close(self) -> None: ...


def tiny_mp4(path: Path) -> None:
    w = imageio_ffmpeg.write_frames(str(path), (256, 256), fps=8, codec="libx264", pix_fmt_out="yuv420p")
    w.send(None)
    for i in range(9):
        w.send(np.full((256, 256, 3), i * 20, dtype=np.uint8))
    w.close()


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="stv-overhead-"))
    try:
        mp4 = tmp / "tiny.mp4"
        tiny_mp4(mp4)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        backend = CopyBackend(mp4)
        cfg = AdapterConfig(
            port=port, backend="preview", output_root=tmp / "out", artifacts_dir=tmp / "artifacts", max_queue=8
        )
        server = uvicorn.Server(
            uvicorn.Config(create_app(cfg, backend), host="127.0.0.1", port=port, log_level="warning", access_log=False)
        )
        t = threading.Thread(target=server.run, daemon=True)
        t.start()
        while not server.started:
            time.sleep(0.02)
        buf = io.BytesIO()
        Image.effect_noise((1280, 704), 64).convert("RGB").save(buf, "PNG")  # a realistic, poorly compressible keyframe
        key_b64 = base64.b64encode(buf.getvalue()).decode()
        scenarios = {
            "no keyframe": {"prompt": "overhead", "width": 1280, "height": 704, "numFrames": 121, "fps": 24, "seed": 1},
            f"1280x704 PNG keyframe ({len(buf.getvalue()) // 1024} KB)": {
                "prompt": "overhead",
                "width": 1280,
                "height": 704,
                "numFrames": 121,
                "fps": 24,
                "seed": 1,
                "keyframeBase64": key_b64,
            },
        }
        results: dict[str, Any] = {}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for name, body in scenarios.items():
                for i in range(10):  # warm-up
                    client.post("/generate", json={**body, "seed": i}).raise_for_status()
                times = []
                for i in range(a.runs):
                    t0 = time.perf_counter()
                    r = client.post("/generate", json={**body, "seed": 1000 + i})
                    times.append((time.perf_counter() - t0) * 1000)
                    r.raise_for_status()
                half = a.runs // 2  # does the cost grow with the jobs already served?
                results[name] = {
                    "runs": a.runs,
                    "medianMs": round(statistics.median(times), 2),
                    "p95Ms": round(percentile(times, 0.95), 2),
                    "minMs": round(min(times), 2),
                    "firstHalfMedianMs": round(statistics.median(times[:half]), 2),
                    "secondHalfMedianMs": round(statistics.median(times[half:]), 2),
                }
        server.should_exit = True
        t.join(timeout=10)
        out = {
            "what": "POST /generate round trip with a backend that only copies a finished MP4",
            "backendRuns": backend.runs,
            "scenarios": results,
        }
        if a.json:
            print(json.dumps(out))
        else:
            print(out["what"])
            for name, r in results.items():
                print(
                    f"  {name:<34} median {r['medianMs']:>7} ms   p95 {r['p95Ms']:>7} ms   min {r['minMs']:>7} ms   ({r['runs']} runs)"
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
