"""The front door's stand-in for a backend: it reaches the Ray cluster, starts the worker actors and
reports their health; the rendering itself happens in the workers (remote_job.RemoteJob)."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from ..backends import BackendJob, BackendOutput, ProgressFn
from ..config import AdapterConfig
from ..errors import AdapterError
from ..schemas import ClusterHealth
from .health import cluster_health
from .pool import WorkerPool, WorkerSlot
from .remote_job import DispatchSettings
from .worker import BackendFactory, remote_worker_class

log = logging.getLogger("stv_adapter.cluster.frontdoor")
NAMESPACE = "scene-to-video"
# Worker actors run several methods at once: `run`, and meanwhile take_progress, cancel, describe.
WORKER_CONCURRENCY = 4


def connect(config: AdapterConfig) -> bool:
    """Joins the Ray cluster at --ray-address, or starts one on this box bound to loopback (its
    ports then stay off every network). True when this call started Ray in this process (so
    closing ends it); False when Ray was already initialised (a test's, or an embedding program's)."""
    import ray

    if ray.is_initialized():
        return False
    # ray.init replaces SIGTERM's handler with an immediate exit; the server's own (uvicorn's
    # graceful shutdown: cancel running jobs, end the workers, remove temporary files) stays.
    term = signal.getsignal(signal.SIGTERM)
    try:
        if config.ray_address:
            ray.init(address=config.ray_address, namespace=NAMESPACE)
        else:
            ray.init(_node_ip_address="127.0.0.1", include_dashboard=False, namespace=NAMESPACE)
    finally:
        if threading.current_thread() is threading.main_thread() and term is not None:
            signal.signal(signal.SIGTERM, term)
    return True


def plan_workers(config: AdapterConfig, resources: dict[str, Any], alive_nodes: int) -> tuple[int, int]:
    """(number of workers, GPUs each): --workers if given, else one per K GPUs in the cluster, else
    (no GPU anywhere) one CPU worker per node, which only the preview backend can use."""
    k = max(1, config.gpus_per_worker)
    gpus = int(resources.get("GPU", 0))
    if gpus == 0:
        if config.backend != "preview" and not config.cluster_workers:
            raise AdapterError(
                "MODEL_NOT_FOUND",
                "The Ray cluster has no GPU: FastVideo workers cannot run there.",
                "Join GPU machines to the cluster (ray start --address=HEAD:6379 --num-gpus=N), or use --backend preview.",
            )
        return (config.cluster_workers or max(1, alive_nodes)), 0
    if config.cluster_workers:
        return config.cluster_workers, k
    if gpus < k:
        raise AdapterError(
            "INVALID_REQUEST",
            f"The Ray cluster has {gpus} GPU(s), fewer than --gpus-per-worker {k}.",
            f"Use --gpus-per-worker {gpus} or add GPUs to the cluster.",
        )
    return gpus // k, k


class ClusterBackend:
    """What the app sees as its backend in cluster mode (name, health, start, close)."""

    # The workers run the preview or FastVideo backend, and both draw keyframes (image jobs travel to a
    # worker like video jobs: the PNG comes back as the MP4 does).
    makes_keyframes = True
    keyframes_problem: str | None = None

    def __init__(
        self,
        config: AdapterConfig,
        backend_factory: BackendFactory | None = None,
        settings: DispatchSettings | None = None,
    ) -> None:
        self.config = config
        self.name = config.backend
        self.is_ai = config.backend != "preview"
        self.settings = settings or DispatchSettings()
        self.backend_factory = backend_factory
        self.pool = WorkerPool([])
        self.address: str | None = None
        self.gpus_per_worker = 0
        self._owns_ray = False

    def start(self) -> None:
        """Reaches the cluster and starts the worker actors; each loads its model in the background
        and takes jobs once its describe() answers."""
        import ray

        self._owns_ray = connect(self.config)
        self.address = str(ray.get_runtime_context().gcs_address)
        alive = sum(1 for n in ray.nodes() if n.get("Alive"))
        count, self.gpus_per_worker = plan_workers(self.config, ray.cluster_resources(), alive)
        actor = remote_worker_class()
        for i in range(count):
            name = f"worker-{i}"
            handle = actor.options(
                num_gpus=self.gpus_per_worker,
                num_cpus=1,
                max_restarts=self.config.cluster_max_restarts,
                max_task_retries=0,  # the front door retries a lost job itself, on another worker
                max_concurrency=WORKER_CONCURRENCY,
                scheduling_strategy="SPREAD",
            ).remote(name, self.config, self.gpus_per_worker, self.backend_factory)
            self.pool.slots.append(WorkerSlot(name=name, handle=handle))
        for slot in self.pool.slots:
            threading.Thread(target=self._await_ready, args=(slot,), name=f"stv-{slot.name}", daemon=True).start()
        log.info("Ray cluster %s: %d worker(s), %d GPU(s) each", self.address, count, self.gpus_per_worker)

    def _await_ready(self, slot: WorkerSlot) -> None:
        """Waits for a new worker to load its backend (minutes for FastVideo); idle when it has."""
        import ray

        try:
            self.pool.ready(slot, ray.get(slot.handle.describe.remote()))
        except Exception as e:  # noqa: BLE001 - whatever stopped it, the worker is unusable: say why in /health
            log.error("worker %s did not start: %s", slot.name, e)
            self.pool.set_state(slot, "dead", f"did not start: {type(e).__name__}: {e}")

    def health(self) -> dict[str, Any]:
        """The backend health of a worker that takes jobs (else of any that has reported: a dead
        one's says why), the cluster's state on top."""
        ready = self.pool.count("idle", "busy")
        reported = sorted(
            (s for s in self.pool.slots if s.info.get("health")), key=lambda s: s.state not in ("idle", "busy")
        )
        first = reported[0].info["health"] if reported else None
        h: dict[str, Any] = dict(first) if first else self._placeholder_health()
        if ready == 0:
            dead = self.pool.count("dead")
            h["status"] = "error" if self.pool.slots and dead == len(self.pool.slots) else "loading"
            if h["status"] == "error" and not h.get("error"):  # a worker's own error (a missing model) says more
                h["error"] = {
                    "code": "WORKER_LOST",
                    "message": "No worker of the Ray cluster is alive.",
                    "hint": "See /health's cluster.workers for why, and the adapter's log.",
                }
        return h

    def _placeholder_health(self) -> dict[str, Any]:
        return {
            "status": "loading",
            "model_id": self.config.model,
            "model_profile": self.config.backend,
            "model_loaded": False,
            "follows_keyframe": self.config.backend == "preview",
            "device": "ray",
        }

    def cluster_health(self) -> ClusterHealth:
        return cluster_health(self.pool, self.address, self.gpus_per_worker)

    def run(self, job: BackendJob, progress: ProgressFn) -> BackendOutput:
        raise AdapterError("INTERNAL", "The cluster's front door renders nothing itself.", "This is a bug.")

    def force_stop(self) -> bool:
        return False

    def close(self) -> None:
        """Ends the worker actors this front door started (the cluster itself keeps running)."""
        import ray

        for slot in self.pool.slots:
            try:
                ray.get(slot.handle.close.remote(), timeout=5)
            except Exception:  # noqa: BLE001 - gone already, or stuck: killed below either way
                pass
            ray.kill(slot.handle, no_restart=True)
            self.pool.set_state(slot, "dead", "the adapter stopped")
        if self._owns_ray:
            ray.shutdown()
