"""Fixtures: a real adapter (uvicorn on a free loopback port, in a thread of this process so tests
can also inject faults), and helpers to decode the MP4s it writes."""

from __future__ import annotations

import base64
import io
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg
import pytest
import uvicorn
from PIL import Image

from stv_adapter.app import create_app
from stv_adapter.config import AdapterConfig


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RunningAdapter:
    def __init__(self, config: AdapterConfig, backend: Any = None) -> None:
        self.config = config
        self.app = create_app(config, backend)
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=config.port, log_level="warning", lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{config.port}"
        headers = {"Authorization": f"Bearer {config.token}"} if config.token else {}
        self.client = httpx.Client(base_url=self.url, timeout=60, headers=headers)

    def __enter__(self) -> RunningAdapter:
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("adapter did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=30)

    @property
    def manager(self) -> Any:
        return self.app.state.manager

    def wait(self, job_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            job = self.client.get(f"/jobs/{job_id}").json()
            if job["status"] in ("succeeded", "failed", "cancelled"):
                return job
            time.sleep(0.05)
        raise TimeoutError(job_id)


def make_config(tmp_path: Path, **overrides: Any) -> AdapterConfig:
    base: dict[str, Any] = dict(
        port=free_port(),
        backend="preview",
        output_root=tmp_path / "out",
        artifacts_dir=tmp_path / "artifacts",
        preview_crf=30,
    )
    base.update(overrides)
    return AdapterConfig(**base)


@pytest.fixture
def adapter(tmp_path: Path) -> Iterator[RunningAdapter]:
    with RunningAdapter(make_config(tmp_path)) as a:
        yield a


def small_request(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt": "a lighthouse at dusk",
        "width": 256,
        "height": 256,
        "numFrames": 9,
        "fps": 8,
        "seed": 3,
    }
    body.update(overrides)
    return body


def png_base64(w: int = 320, h: int = 192, color: tuple[int, int, int] = (200, 80, 40)) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def probe_mp4(path: str | Path) -> dict[str, Any]:
    """Decodes every frame with the ffmpeg from imageio-ffmpeg: codec, size, fps and the real count."""
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    count = sum(1 for _ in reader)
    return {"codec": meta.get("codec"), "size": tuple(meta["size"]), "fps": meta["fps"], "frames": count}


def start_preview_process(out: Path, port: int, stderr: Path | None = None, *extra: str) -> subprocess.Popen[bytes]:
    """`python -m stv_adapter serve --backend preview` as a process of its own (for tests that kill it
    or measure its memory), outputs under `out`; returns once /health answers."""
    log = stderr.open("wb") if stderr is not None else subprocess.DEVNULL
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
            str(out / "o"),
            "--artifacts-dir",
            str(out / "a"),
            *extra,
        ],
        cwd=Path(__file__).parent.parent,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    deadline = time.time() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return proc
        except httpx.HTTPError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                said = stderr.read_text() if stderr is not None else ""
                raise RuntimeError(f"the adapter did not start: {said}") from None
            time.sleep(0.1)
