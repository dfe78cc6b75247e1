"""The HTTP API (FastAPI). The OpenAPI page at /docs is the API's reference; docs/adapter-api.md
explains it for the extension's side."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psutil
from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from . import __version__
from .backends import Backend
from .config import AdapterConfig
from .errors import AdapterError
from .jobs import TERMINAL, JobManager
from .schemas import ErrorResponse, GenerateRequest, GenerateResult, Health, Job, JobAccepted
from .security import GuardMiddleware, token_ok

log = logging.getLogger("stv_adapter")
KEEPALIVE_SECONDS = 15.0
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": desc}
    for code, desc in {400: "Bad request", 401: "Missing or wrong token", 404: "No such job", 409: "Conflict", 413: "Body too large", 422: "Invalid parameters", 429: "Queue full (BUSY)", 500: "Internal error", 503: "Model not available", 507: "GPU out of memory (CUDA_OOM) or disk full (DISK_FULL)"}.items()
}


def make_backend(config: AdapterConfig) -> Backend:
    if config.backend == "preview":
        from .backends.preview import PreviewBackend

        return PreviewBackend(crf=config.preview_crf)
    from .backends.fastvideo_backend import FastVideoBackend

    return FastVideoBackend(config)


def _validation_message(exc: RequestValidationError) -> str:
    from . import validation

    parts = []
    for err in exc.errors()[:8]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        value = err.get("input")
        # Size and length errors name the values that would work, whatever bound was missed.
        if loc in ("width", "height") and isinstance(value, int) and not isinstance(value, bool):
            msg = validation.side_problem(loc, value) or msg
        elif loc == "numFrames" and isinstance(value, int) and not isinstance(value, bool):
            msg = validation.frames_problem(value) or msg
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts) or "The request is invalid."


def create_app(config: AdapterConfig, backend: Backend | None = None) -> FastAPI:
    backend = backend or make_backend(config)
    manager = JobManager(config, backend)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        config.output_root.mkdir(parents=True, exist_ok=True)
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
    app.add_middleware(GuardMiddleware, max_body=config.max_body_bytes, token=config.token)

    @app.exception_handler(AdapterError)
    async def _adapter_error(_: Request, exc: AdapterError) -> JSONResponse:
        headers = {"Retry-After": "5"} if exc.code == "BUSY" else None
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": {"code": "INVALID_REQUEST", "message": _validation_message(exc), "hint": "See /docs for the request format; sizes are multiples of 16, frame counts 4k+1."}}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "UNAUTHORIZED", 404: "NOT_FOUND", 405: "INVALID_REQUEST", 413: "PAYLOAD_TOO_LARGE"}.get(exc.status_code, "INVALID_REQUEST" if exc.status_code < 500 else "INTERNAL")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette names only the first route's methods; a path served by several routes
            # (GET and DELETE /jobs/{id}) must list them all (RFC 9110).
            allowed: set[str] = set()
            for route in app.router.routes:
                match, _ = route.matches(request.scope)
                methods = getattr(route, "methods", None)  # routes that are not endpoints have none
                if match != Match.NONE and methods:
                    allowed |= set(methods)
            if allowed:
                headers["Allow"] = ", ".join(sorted(allowed))
        return JSONResponse({"error": {"code": code, "message": str(exc.detail), "hint": None}}, status_code=exc.status_code, headers=headers or None)

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse({"error": {"code": "INTERNAL", "message": f"{type(exc).__name__}: {exc}", "hint": "This is a bug in the adapter; see its log."}}, status_code=500)

    @app.get("/health", response_model=Health, responses=ERRORS, summary="Is the adapter up, which model, how much memory")
    async def health(authorization: str | None = Header(default=None)) -> Health:
        h = backend.health()
        rss = 0
        try:
            me = psutil.Process()
            rss = sum(p.memory_info().rss for p in [me, *me.children(recursive=True)]) // 2**20
        except psutil.Error:
            pass
        authed = config.token is None or token_ok(config.token, authorization)  # strangers get no paths
        return Health(
            status=h["status"], backend=backend.name, is_ai=backend.is_ai, model_id=h["model_id"], model_profile=h["model_profile"],  # type: ignore[arg-type]
            model_loaded=h["model_loaded"], follows_keyframe=h["follows_keyframe"], attention_backend=h.get("attention_backend"),
            device=h["device"], gpu=h.get("gpu"), memory={"rssMb": rss}, queue_depth=manager.queue_depth, max_queue=config.max_queue,  # type: ignore[arg-type]
            running_job_id=manager.running.job_id if manager.running else None, version=__version__,
            output_root=str(config.output_root) if authed else None, error=h.get("error"), warnings=h.get("warnings", []),
            details=h.get("details", {}) if authed else {},
        )

    @app.post("/jobs", status_code=202, response_model=JobAccepted, responses=ERRORS, summary="Queue a render")
    async def submit(req: GenerateRequest) -> JobAccepted:
        rec = await manager.submit(req)
        return JobAccepted(job_id=rec.job_id, queue_position=manager.position(rec) or 0)

    @app.post("/generate", response_model=GenerateResult, responses=ERRORS, summary="Render and wait (queued like any job)")
    async def generate(req: GenerateRequest) -> GenerateResult:
        rec = await manager.submit(req)
        await rec.done.wait()
        if rec.status == "succeeded" and rec.result is not None:
            return rec.result
        err = rec.error
        raise AdapterError(err.code if err else "INTERNAL", err.message if err else "The job failed.", err.hint if err else None, status=409 if rec.status == "cancelled" else None)

    @app.get("/jobs/{job_id}", response_model=Job, responses=ERRORS, summary="A job's state, progress and result")
    async def get_job(job_id: str) -> Job:
        return manager.snapshot(manager.get(job_id))

    @app.delete("/jobs/{job_id}", response_model=Job, responses=ERRORS, summary="Cancel a job (a running FastVideo job is force-stopped and the model reloads)")
    async def cancel_job(job_id: str) -> Job:
        rec = await manager.cancel(job_id)
        return manager.snapshot(rec)

    @app.get("/jobs/{job_id}/video", responses={**ERRORS, 200: {"content": {"video/mp4": {}}, "description": "The MP4"}}, response_class=FileResponse, summary="The finished MP4's bytes")
    async def get_video(job_id: str) -> FileResponse:
        rec = manager.get(job_id)
        if rec.status != "succeeded" or rec.result is None:
            raise AdapterError("NOT_FOUND", f"Job {job_id} has no video ({rec.status}).", "Wait for the job to succeed.", status=404)
        path = Path(rec.result.output_video_path)
        if not path.is_file():
            raise AdapterError("NOT_FOUND", f"The video of job {job_id} is no longer on disk.", "Render again.", status=404)
        return FileResponse(path, media_type="video/mp4", filename=path.name)

    @app.get("/jobs/{job_id}/events", responses={**ERRORS, 200: {"content": {"text/event-stream": {}}, "description": "Server-sent progress events"}}, response_class=StreamingResponse, summary="Progress as server-sent events")
    async def events(job_id: str, last_event_id: str | None = Header(default=None)) -> StreamingResponse:
        rec = manager.get(job_id)
        try:
            after = int(last_event_id) if last_event_id else 0
        except ValueError:
            after = 0

        async def stream() -> AsyncIterator[str]:
            sent = after
            yield "retry: 1000\n\n"
            while True:
                for seq, name, data in list(rec.events):
                    if seq > sent:
                        sent = seq
                        yield f"id: {seq}\nevent: {name}\ndata: {data}\n\n"
                        if name == "done":
                            return
                if rec.status in TERMINAL and (not rec.events or rec.events[-1][0] <= sent):
                    # The done event was already delivered before a reconnect: say it again.
                    snap = manager.snapshot(rec).model_dump_json(by_alias=True)
                    yield f"id: {rec.seq}\nevent: done\ndata: {snap}\n\n"
                    return
                async with rec.changed:
                    try:
                        # Awaited here, within this iteration, so the lambda sees this `sent`.
                        await asyncio.wait_for(rec.changed.wait_for(lambda: rec.seq > sent), timeout=KEEPALIVE_SECONDS)  # noqa: B023
                    except asyncio.TimeoutError:
                        yield f": keep-alive {int(time.time())}\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return app
