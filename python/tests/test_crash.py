"""Clean restart (issue 14): the adapter is killed with SIGKILL mid-render; its ffmpeg must die with
it, and the next adapter on the same output root removes the temp file left behind, and says so."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import psutil
import pytest
from conftest import free_port, start_preview_process

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGKILL semantics; Windows uses a job object (childproc.py)")


def start(out: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    return start_preview_process(out, port, log)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_kill_9_mid_render_leaves_no_orphan_and_the_restart_removes_the_temp_file(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    adapter = start(tmp_path, port, tmp_path / "first.log")
    try:
        # A long render: the largest frame and frame count, so it is surely still encoding.
        job = httpx.post(
            f"{url}/jobs",
            json={"prompt": "a long pan", "width": 1920, "height": 1088, "numFrames": 241, "fps": 24, "seed": 1},
            timeout=30,
        ).json()["jobId"]
        deadline = time.time() + 60
        while True:
            state = httpx.get(f"{url}/jobs/{job}", timeout=10).json()
            ffmpegs = [c for c in psutil.Process(adapter.pid).children(recursive=True) if "ffmpeg" in c.name().lower()]
            if state["status"] == "running" and state["progress"]["fraction"] > 0.02 and ffmpegs:
                break
            assert state["status"] in ("queued", "running") and time.time() < deadline, state
            time.sleep(0.05)
        parts = list((tmp_path / "o").glob(".stv-*.part"))
        assert len(parts) == 1 and parts[0].name.startswith(f".stv-{adapter.pid}-"), parts
        adapter.send_signal(signal.SIGKILL)
        adapter.wait(10)
        deadline = time.time() + 5
        while not all(gone(f.pid) for f in ffmpegs):
            assert time.time() < deadline, f"ffmpeg {[f.pid for f in ffmpegs]} outlived the adapter by 5 s"
            time.sleep(0.05)
        assert parts[0].exists()  # what the crash left; the next start removes it
    finally:
        if adapter.poll() is None:
            adapter.kill()
            adapter.wait(10)
        for f in locals().get("ffmpegs", []):  # a failed run must not leave an orphan encoding
            if not gone(f.pid):
                f.kill()
    second = start(tmp_path, port, tmp_path / "second.log")
    try:
        assert not parts[0].exists()
        assert not list((tmp_path / "o").rglob(".stv-*.part"))
        assert "removed 1 stale temporary file under" in (tmp_path / "second.log").read_text()
    finally:
        second.terminate()
        second.wait(10)
