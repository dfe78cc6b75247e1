"""GET /health: is the adapter up, which model, how much memory."""

from __future__ import annotations

import asyncio

import psutil
from fastapi import APIRouter

from .. import __version__
from ..deps import AuthorizedDep, BackendDep, ConfigDep, ManagerDep
from ..schemas import BackendHealth, Health, HealthAlive, MemoryInfo, backend_name
from . import ERRORS

router = APIRouter()


def _rss_mb() -> int:
    """The adapter's resident memory with its children (the FastVideo worker, ffmpeg), in MB."""
    try:
        me = psutil.Process()
        return sum(p.memory_info().rss for p in [me, *me.children(recursive=True)]) // 2**20
    except psutil.Error:
        return 0


@router.get(
    "/health",
    response_model=Health | HealthAlive,
    responses=ERRORS,
    summary="Is the adapter up, which model, how much memory",
)
async def health(
    backend: BackendDep, manager: ManagerDep, config: ConfigDep, authed: AuthorizedDep
) -> Health | HealthAlive:
    if not authed:
        return HealthAlive()
    h = BackendHealth.model_validate(backend.health())
    # A cluster front door's backend also reports the Ray cluster (a GCS call: off the event loop).
    cluster_health = getattr(backend, "cluster_health", None)
    cluster = await asyncio.to_thread(cluster_health) if cluster_health else None
    return Health(
        status=h.status,
        backend=backend_name(backend.name),
        is_ai=backend.is_ai,
        model_id=h.model_id,
        model_profile=h.model_profile,
        model_loaded=h.model_loaded,
        follows_keyframe=h.follows_keyframe,
        makes_keyframes=backend.makes_keyframes,
        keyframes_problem=backend.keyframes_problem,
        attention_backend=h.attention_backend,
        device=h.device,
        gpu=h.gpu,
        memory=MemoryInfo(rss_mb=_rss_mb()),
        queue_depth=manager.queue_depth,
        max_queue=config.max_queue,
        running_job_id=manager.running.job_id if manager.running else None,
        version=__version__,
        output_root=str(config.output_root),
        error=h.error,
        warnings=h.warnings,
        details=h.details,
        cluster=cluster,
    )
