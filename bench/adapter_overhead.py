"""Adapter overhead: the whole path (HTTP -> queue -> backend -> MP4 on disk -> client sees the
result) against the same backend work called in-process, interleaved in one run so both see the
same machine state. Reports medians, the overhead in ms, and the ratio.

    python/.venv/bin/python bench/adapter_overhead.py [--runs 15] [--size 1280x704] [--frames 121]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
from stv_adapter.app import create_app  # noqa: E402
from stv_adapter.backends import BackendJob  # noqa: E402
from stv_adapter.backends.preview import PreviewBackend  # noqa: E402
from stv_adapter.config import AdapterConfig  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--size", default="1280x704")
    ap.add_argument("--frames", type=int, default=121)
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    w, h = (int(x) for x in a.size.split("x"))
    # A real keyframe (the sample's, at the render size): its PNG is what a client base64-encodes.
    key = (
        Image.open(Path(__file__).resolve().parent.parent / "media/sample/keyframes/lighthouse.png")
        .convert("RGB")
        .resize((w, h), Image.Resampling.BICUBIC)
    )
    buf = io.BytesIO()
    key.save(buf, "PNG")
    key_b64 = base64.b64encode(buf.getvalue()).decode()
    tmp = Path(tempfile.mkdtemp(prefix="stv-bench-"))
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = AdapterConfig(port=port, backend="preview", output_root=tmp / "out", artifacts_dir=tmp / "artifacts")
    server = uvicorn.Server(uvicorn.Config(create_app(cfg), host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    while not server.started:
        time.sleep(0.02)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600)
    backend = PreviewBackend()
    body = {
        "prompt": "bench",
        "width": w,
        "height": h,
        "numFrames": a.frames,
        "fps": a.fps,
        "seed": 1,
        "keyframeBase64": key_b64,
    }

    direct, full = [], []
    client.post("/generate", json=body)  # warm-up (imports, page cache)

    def run_direct(i: int) -> None:
        # The backend's own work, given the decoded keyframe as the adapter would; the same seed
        # (so the same camera move) as the request of the same run.
        t0 = time.perf_counter()
        job = BackendJob(
            job_id="d",
            prompt="bench",
            negative_prompt=None,
            keyframe=Image.open(io.BytesIO(base64.b64decode(key_b64))).convert("RGB"),
            width=w,
            height=h,
            num_frames=a.frames,
            fps=a.fps,
            seed=i,
            steps=None,
            out_path=tmp / f"direct-{i}.mp4",
        )
        backend.run(job, lambda *args, **kw: None)
        direct.append((time.perf_counter() - t0) * 1000)

    def run_full(i: int) -> None:
        t0 = time.perf_counter()
        r = client.post("/generate", json={**body, "seed": i})
        r.raise_for_status()
        full.append((time.perf_counter() - t0) * 1000)

    for i in range(a.runs):
        # Alternate which goes first, so neither always runs on a cooler machine.
        for step in (run_direct, run_full) if i % 2 == 0 else (run_full, run_direct):
            step(i)
    server.should_exit = True
    t.join(timeout=10)
    d, f = statistics.median(direct), statistics.median(full)
    # The overhead is the median of the paired differences (each run's two measurements are taken
    # back to back), which cancels the machine's drift better than a difference of medians.
    diffs = [x - y for x, y in zip(full, direct, strict=True)]
    half = a.runs // 2
    overhead = statistics.median(diffs)
    res = {
        "size": a.size,
        "frames": a.frames,
        "runs": a.runs,
        "directMedianMs": round(d, 1),
        "fullPathMedianMs": round(f, 1),
        "overheadMs": round(overhead, 1),
        "ratio": round((d + overhead) / d, 4),
        "spreadMs": round(statistics.quantiles(diffs, n=4)[2] - statistics.quantiles(diffs, n=4)[0], 1),
        "firstHalfOverheadMs": round(statistics.median(diffs[:half]), 1),
        "secondHalfOverheadMs": round(statistics.median(diffs[half:]), 1),
    }
    print(json.dumps(res) if a.json else "\n".join(f"{k:>22}: {v}" for k, v in res.items()))


if __name__ == "__main__":
    main()
