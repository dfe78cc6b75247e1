"""The worker actor: one per K GPUs, it loads its backend once and renders one job at a time.

Ray runs it as a threaded actor (max_concurrency > 1) so that while `run` renders, the front door
can still call `take_progress`, `cancel` and `describe` on it. The MP4 is returned as bytes (through
Ray's object store); the worker never writes into the outputs, so the front door stays the only
writer there and a lost worker leaves no half-written file behind."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from ..backends import Backend, BackendJob
from ..config import AdapterConfig
from ..errors import AdapterError, JobCancelled

log = logging.getLogger("stv_adapter.cluster.worker")

BackendFactory = Callable[[AdapterConfig], Backend]
# A render's progress events waiting for the front door's next poll: bounded, newest kept.
MAX_PENDING_PROGRESS = 256
LOAD_POLL_S = 0.5


def default_backend(config: AdapterConfig) -> Backend:
    """The backend the single-process adapter would use, built inside the worker."""
    from ..app import make_backend

    return make_backend(config)


def node_identity() -> dict[str, str]:
    """Which Ray node this process runs on: its id and IP (named in each render's sidecar)."""
    import ray

    # Ray leaves this function unannotated, which mypy --strict refuses to call; naming its type here
    # keeps the package free of ignore comments (tests/test_code_health.py checks that).
    node_ip_address: Callable[[], object] = ray.util.get_node_ip_address
    return {"nodeId": ray.get_runtime_context().get_node_id(), "nodeIp": str(node_ip_address())}


class RenderWorker:
    """The actor's body (ray.remote wraps it in remote_worker_class). Plain Python: the methods
    below are what the front door calls remotely."""

    def __init__(
        self, name: str, config: AdapterConfig, gpus: int, backend_factory: BackendFactory | None = None
    ) -> None:
        self.name = name
        # K GPUs per worker: FastVideo's own multi-GPU inference (num_gpus, sequence parallel).
        self.gpus = gpus
        self.config = replace(config, num_gpus=max(1, gpus))
        self.backend = (backend_factory or default_backend)(self.config)
        self.scratch = Path(tempfile.mkdtemp(prefix=f"stv-{name}-"))
        self.identity = node_identity()
        self._lock = threading.Lock()
        self._progress: list[dict[str, Any]] = []
        self._job: BackendJob | None = None
        self.backend.start()  # load the model once; it stays loaded for every job on this worker
        # FastVideo loads in the background: this actor is ready (its describe() answers) once the
        # model is loaded or has failed to load, which describe() then reports.
        while self.backend.health().get("status") == "loading":
            time.sleep(LOAD_POLL_S)

    def describe(self) -> dict[str, Any]:
        """Who and where this worker is, and its backend's health (GPU, VRAM, model state)."""
        return {"name": self.name, **self.identity, "pid": os.getpid(), "health": self.backend.health()}

    def take_progress(self) -> list[dict[str, Any]]:
        """The progress events since the last call (the front door polls while a job runs)."""
        with self._lock:
            events, self._progress = self._progress, []
        return events

    def cancel(self, job_id: str) -> bool:
        """Asks the running job to stop; False when that job is not the one running here."""
        job = self._job
        if job is None or job.job_id != job_id:
            return False
        job.cancel.set()
        return True

    def _record_progress(self, stage: str, fraction: float, **fields: Any) -> None:
        with self._lock:
            self._progress.append({"stage": stage, "fraction": fraction, **fields})
            if len(self._progress) > MAX_PENDING_PROGRESS:
                del self._progress[: len(self._progress) - MAX_PENDING_PROGRESS]

    def run(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Renders one job; returns {"output", "video", "worker"} or {"error"} (errors are returned,
        not raised, so their code survives the trip through Ray unchanged)."""
        out_path = self.scratch / f"{spec['job_id']}{'.png' if spec.get('output') == 'image' else '.mp4'}"
        job = BackendJob(**spec, out_path=out_path)
        with self._lock:
            self._progress = []
        self._job = job
        try:
            output = self.backend.run(job, self._record_progress)
            if job.cancel.is_set():
                raise JobCancelled()
            video = out_path.read_bytes()
            record = self.worker_record()
            return {"output": asdict(output), "video": video, "worker": record, "health": self.backend.health()}
        except AdapterError as e:
            return {"error": e.to_dict() | {"cancelled": isinstance(e, JobCancelled) or job.cancel.is_set()}}
        except Exception as e:  # a bug or a broken backend: say which worker, keep the actor alive
            log.exception("worker %s: job %s crashed", self.name, spec["job_id"][:8])
            return {"error": {"code": "INTERNAL", "message": f"{self.name}: {type(e).__name__}: {e}", "hint": None}}
        finally:
            self._job = None
            out_path.unlink(missing_ok=True)

    def worker_record(self) -> dict[str, Any]:
        """What a render's sidecar says about where it ran (the GPU's free memory after the job)."""
        gpu = self.backend.health().get("gpu")
        return {"worker": self.name, **self.identity, "gpus": self.gpus, "gpu": gpu}

    def close(self) -> None:
        self.backend.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def remote_worker_class() -> Any:
    """RenderWorker as a Ray actor class (ray imported here, in cluster mode only)."""
    import ray

    return ray.remote(RenderWorker)
