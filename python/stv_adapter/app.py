"""The HTTP API (FastAPI). The OpenAPI page at /docs is the API's reference; docs/adapter-api.md
explains it for the extension's side. Routes live in routes/*, their dependencies in deps.py, the
error handlers in handlers.py; this module only assembles them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import __version__, handlers
from .backends import Backend
from .config import AdapterConfig
from .jobs import JobManager
from .outputs import remove_stale_temp_files
from .routes import health, jobs
from .security import GuardMiddleware, HostPolicy

log = logging.getLogger("stv_adapter")


def make_backend(config: AdapterConfig) -> Backend:
    if config.backend == "preview":
        from .backends.preview import PreviewBackend

        return PreviewBackend(crf=config.preview_crf)
    from .backends.fastvideo_backend import FastVideoBackend

    return FastVideoBackend(config)


def make_manager(config: AdapterConfig, backend: Backend | None) -> tuple[Backend, JobManager]:
    """The backend and job queue: local, or (serve --cluster ray) the front door of a Ray cluster,
    whose modules, and ray, are imported only then."""
    if config.cluster == "ray":
        from .cluster.dispatcher import ClusterJobManager
        from .cluster.frontdoor import ClusterBackend

        cluster = backend if isinstance(backend, ClusterBackend) else ClusterBackend(config)
        return cluster, ClusterJobManager(config, cluster)
    backend = backend or make_backend(config)
    return backend, JobManager(config, backend)


def create_app(config: AdapterConfig, backend: Backend | None = None) -> FastAPI:
    backend, manager = make_manager(config, backend)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        config.output_root.mkdir(parents=True, exist_ok=True)
        stale = await asyncio.to_thread(remove_stale_temp_files, [config.output_root, config.artifacts_dir])
        log.info(
            "removed %d stale temporary file%s under %s and %s",
            stale,
            "" if stale == 1 else "s",
            config.output_root,
            config.artifacts_dir,
        )
        backend.start()
        manager.start()
        try:
            yield
        finally:
            await manager.stop()
            await asyncio.to_thread(backend.close)

    app = FastAPI(
        title="Scene to Video FastVideo adapter",
        version=__version__,
        description="Renders prompt + keyframe to MP4 with FastVideo (FastWan2.2-TI2V-5B) or the CPU preview backend. Errors are `{error: {code, message, hint}}`.",
        lifespan=lifespan,
    )
    app.state.manager = manager
    app.state.backend = backend
    app.state.config = config
    app.add_middleware(
        GuardMiddleware,
        max_body=config.max_body_bytes,
        token=config.token,
        hosts=HostPolicy(config.host, config.allowed_hosts),
    )
    routers = [health.router, jobs.router]
    handlers.install(app, routers)
    for router in routers:
        app.include_router(router)
    return app
