"""/health's `cluster` part: the Ray nodes, and the worker actors with their state, node and GPU."""

from __future__ import annotations

from typing import Any

from ..schemas import ClusterHealth, ClusterNode, ClusterWorker, GpuInfo
from .pool import WorkerPool


def ray_nodes() -> list[ClusterNode]:
    """The cluster's nodes as Ray's GCS lists them (dead ones included, marked so)."""
    import ray

    nodes = []
    for n in ray.nodes():
        resources: dict[str, Any] = n.get("Resources") or {}
        nodes.append(
            ClusterNode(
                node_id=str(n.get("NodeID", "")),
                ip=str(n.get("NodeManagerAddress", "")),
                alive=bool(n.get("Alive")),
                cpus=float(resources.get("CPU", 0)),
                gpus=float(resources.get("GPU", 0)),
            )
        )
    return nodes


def worker_entry(entry: dict[str, Any], gpus: int) -> ClusterWorker:
    info = entry["info"]
    gpu = (info.get("health") or {}).get("gpu")
    return ClusterWorker(
        name=entry["name"],
        state=entry["state"],
        node_id=info.get("nodeId"),
        node_ip=info.get("nodeIp"),
        job_id=entry["job_id"],
        jobs_done=entry["jobs_done"],
        gpus=gpus,
        gpu=GpuInfo.model_validate(gpu) if gpu else None,
        error=entry["error"],
    )


def cluster_health(pool: WorkerPool, address: str | None, gpus_per_worker: int) -> ClusterHealth:
    """Asks Ray's GCS for the nodes (a blocking call: run it off the event loop)."""
    workers = [worker_entry(e, gpus_per_worker) for e in pool.snapshot()]
    return ClusterHealth(
        address=address,
        gpus_per_worker=gpus_per_worker,
        nodes=ray_nodes(),
        workers=workers,
        workers_ready=sum(1 for w in workers if w.state in ("idle", "busy")),
        workers_busy=sum(1 for w in workers if w.state == "busy"),
    )
