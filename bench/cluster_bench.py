"""The Ray front door (serve --cluster ray) against the single-process adapter, in one run, on a Ray
instance this script starts on loopback:

1. Per-job overhead: the same small preview jobs through POST /generate on the single adapter and
   on a front door with one worker, interleaved; the median of the paired differences.
2. Throughput: jobs that sleep in the backend (a GPU's time, without a GPU) and then hand over a
   small MP4, on a front door with two workers against one; the ratio of wall times.

    python/.venv/bin/python bench/cluster_bench.py [--runs 20] [--jobs 8] [--sleep 1.0] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
from stv_adapter.app import create_app  # noqa: E402
from stv_adapter.backends import BackendJob, BackendOutput, ProgressFn  # noqa: E402
from stv_adapter.backends.preview import PreviewBackend  # noqa: E402
from stv_adapter.config import AdapterConfig  # noqa: E402

BODY = {
    "prompt": "bench",
    "width": 256,
    "height": 256,
    "numFrames": 9,
    "fps": 8,
    "seed": 1,
}


TINY_MP4 = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "video" / "tiny.mp4"


class SleepThenCopy(PreviewBackend):
    """Sleeps `delay_s` (a GPU busy with a job: no CPU used), then hands over a small finished MP4,
    so the figure is the farm's parallelism, not the two cores' share of ffmpeg encodes. Defined
    in __main__, so Ray ships it to the workers by value."""

    def __init__(self, config: AdapterConfig, delay_s: float) -> None:
        super().__init__(crf=config.preview_crf)
        self.delay_s = delay_s

    def run(self, job: BackendJob, progress: ProgressFn) -> BackendOutput:
        time.sleep(self.delay_s)
        shutil.copyfile(TINY_MP4, job.out_path)
        return BackendOutput(
            width=job.width,
            height=job.height,
            num_frames=job.num_frames,
            fps=job.fps,
            model_id="copy",
        )


def make_sleeper(delay_s: float) -> Any:
    return lambda config: SleepThenCopy(config, delay_s)


class Server:
    """An adapter (single or front door) in a thread of this process, on a free loopback port."""

    def __init__(self, root: Path, workers: int = 0, factory: Any = None, local: Any = None) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        cfg = AdapterConfig(
            port=port,
            backend="preview",
            output_root=root / "out",
            artifacts_dir=root / "artifacts",
            preview_crf=30,
            cluster="ray" if workers else None,
            cluster_workers=workers,
        )
        backend = local(cfg) if local else None
        if workers:
            from stv_adapter.cluster.frontdoor import ClusterBackend

            backend = ClusterBackend(cfg, factory)
        self.backend = backend
        self.server = uvicorn.Server(
            uvicorn.Config(
                create_app(cfg, backend),
                host="127.0.0.1",
                port=port,
                log_level="warning",
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600)
        self.workers = workers

    def __enter__(self) -> Server:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        while self.workers and self.backend.pool.count("idle") < self.workers:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def generate(self, seed: int) -> float:
        t0 = time.perf_counter()
        self.client.post("/generate", json={**BODY, "seed": seed}).raise_for_status()
        return (time.perf_counter() - t0) * 1000


def overhead(root: Path, runs: int, factory: Any = None) -> dict[str, Any]:
    """Median of paired differences (front door minus single adapter, both with the backend that
    `factory` makes: the preview one by default), each pair back to back, alternating which goes
    first so neither always meets a cooler machine."""
    single_ms, ray_ms = [], []
    with Server(root / "single", local=factory) as single, Server(root / "front", workers=1, factory=factory) as front:
        single.generate(0), front.generate(0)  # warm-up: imports, the worker's first job
        for i in range(runs):
            pair = (single, front) if i % 2 == 0 else (front, single)
            for server in pair:
                (single_ms if server is single else ray_ms).append(server.generate(i + 1))
    diffs = [r - s for r, s in zip(ray_ms, single_ms, strict=True)]
    q = statistics.quantiles(diffs, n=4)
    return {
        "runs": runs,
        "singleMedianMs": round(statistics.median(single_ms), 1),
        "frontDoorMedianMs": round(statistics.median(ray_ms), 1),
        "overheadMs": round(statistics.median(diffs), 1),
        "spreadMs": round(q[2] - q[0], 1),
    }


def throughput(root: Path, jobs: int, delay_s: float) -> dict[str, Any]:
    """Wall time for `jobs` sleeping jobs submitted at once, with one worker and with two."""
    walls: dict[int, float] = {}
    for workers in (1, 2):
        with Server(root / f"w{workers}", workers=workers, factory=make_sleeper(delay_s)) as s:
            s.generate(0)  # warm-up
            t0 = time.perf_counter()
            with ThreadPoolExecutor(jobs) as pool:
                list(pool.map(s.generate, range(1, jobs + 1)))
            walls[workers] = time.perf_counter() - t0
    return {
        "jobs": jobs,
        "sleepS": delay_s,
        "oneWorkerS": round(walls[1], 2),
        "twoWorkersS": round(walls[2], 2),
        "speedup": round(walls[1] / walls[2], 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--sleep", type=float, default=1.0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    import ray

    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")  # CPU workers: no warning
    tmp = Path(tempfile.mkdtemp(prefix="stv-cb-", dir="/tmp" if sys.platform != "win32" else None))
    ray.init(
        num_cpus=4,
        num_gpus=0,
        _node_ip_address="127.0.0.1",
        include_dashboard=False,
        object_store_memory=100 * 1024 * 1024,
        _temp_dir=str(tmp / "ray"),
        log_to_driver=False,
    )
    try:
        res = {
            "overhead": overhead(tmp / "preview", a.runs),
            # The same with a backend that only hands over an MP4: the front door's own cost, without
            # the two cores' ffmpeg encodes in the figure (their noise is larger than that cost).
            "ownCost": overhead(tmp / "copy", a.runs, make_sleeper(0.0)),
            "throughput": throughput(tmp, a.jobs, a.sleep),
        }
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    if a.json:
        print(json.dumps(res))
    else:
        for part, values in res.items():
            print(part)
            for k, v in values.items():
                print(f"{k:>22}: {v}")


if __name__ == "__main__":
    main()
