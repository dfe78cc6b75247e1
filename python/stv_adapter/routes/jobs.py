"""The job routes: queue a render, render and wait, a job's state, cancel, the MP4 (or PNG), progress events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import FileResponse, StreamingResponse

from ..deps import ManagerDep, require_token
from ..errors import AdapterError
from ..jobs import TERMINAL, JobRecord
from ..schemas import GenerateRequest, GenerateResult, Job, JobAccepted, OutputKind
from . import ERRORS

KEEPALIVE_SECONDS = 15.0
router = APIRouter(dependencies=[Depends(require_token)])


@router.post("/jobs", status_code=202, response_model=JobAccepted, responses=ERRORS, summary="Queue a render")
async def submit(req: GenerateRequest, manager: ManagerDep) -> JobAccepted:
    rec = await manager.submit(req)
    return JobAccepted(job_id=rec.job_id, queue_position=manager.position(rec) or 0)


@router.post(
    "/generate", response_model=GenerateResult, responses=ERRORS, summary="Render and wait (queued like any job)"
)
async def generate(req: GenerateRequest, manager: ManagerDep) -> GenerateResult:
    rec = await manager.submit(req)
    await rec.done.wait()
    if rec.status == "succeeded" and rec.result is not None:
        return rec.result
    err = rec.error
    raise AdapterError(
        err.code if err else "INTERNAL",
        err.message if err else "The job failed.",
        err.hint if err else None,
        status=409 if rec.status == "cancelled" else None,
    )


@router.get("/jobs/{job_id}", response_model=Job, responses=ERRORS, summary="A job's state, progress and result")
async def get_job(job_id: str, manager: ManagerDep) -> Job:
    return manager.snapshot(manager.get(job_id))


@router.delete(
    "/jobs/{job_id}",
    response_model=Job,
    responses=ERRORS,
    summary="Cancel a job (a running FastVideo job is force-stopped and the model reloads)",
)
async def cancel_job(job_id: str, manager: ManagerDep) -> Job:
    rec = await manager.cancel(job_id)
    return manager.snapshot(rec)


@router.get(
    "/jobs/{job_id}/video",
    responses={**ERRORS, 200: {"content": {"video/mp4": {}}, "description": "The MP4"}},
    response_class=FileResponse,
    summary="The finished MP4's bytes",
)
async def get_video(job_id: str, manager: ManagerDep) -> FileResponse:
    return _output_file(manager, job_id, "video")


@router.get(
    "/jobs/{job_id}/image",
    responses={**ERRORS, 200: {"content": {"image/png": {}}, "description": "The PNG"}},
    response_class=FileResponse,
    summary="The finished image's bytes (a job with output: image)",
)
async def get_image(job_id: str, manager: ManagerDep) -> FileResponse:
    return _output_file(manager, job_id, "image")


def _output_file(manager: ManagerDep, job_id: str, kind: OutputKind) -> FileResponse:
    """The finished job's file of this kind; 404 while it runs, for the other kind, or once deleted."""
    rec = manager.get(job_id)
    result = rec.result
    name = "a video" if kind == "video" else "an image"
    found = (result.output_video_path if kind == "video" else result.output_image_path) if result else None
    if rec.status != "succeeded" or result is None or found is None:
        what = rec.status if result is None else f"its output is {result.output}"
        raise AdapterError(
            "NOT_FOUND",
            f"Job {job_id} has no {kind} ({what}).",
            f"Wait for the job to succeed; only a job with output: {kind} has {name}.",
            status=404,
        )
    path = Path(found)
    if not path.is_file():
        raise AdapterError(
            "NOT_FOUND", f"The {kind} of job {job_id} is no longer on disk.", "Render again.", status=404
        )
    return FileResponse(path, media_type="video/mp4" if kind == "video" else "image/png", filename=path.name)


async def _event_stream(manager: ManagerDep, rec: JobRecord, after: int) -> AsyncIterator[str]:
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


@router.get(
    "/jobs/{job_id}/events",
    responses={**ERRORS, 200: {"content": {"text/event-stream": {}}, "description": "Server-sent progress events"}},
    response_class=StreamingResponse,
    summary="Progress as server-sent events",
)
async def events(
    job_id: str, manager: ManagerDep, last_event_id: Annotated[str | None, Header()] = None
) -> StreamingResponse:
    rec = manager.get(job_id)
    try:
        after = int(last_event_id) if last_event_id else 0
    except ValueError:
        after = 0
    return StreamingResponse(
        _event_stream(manager, rec, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
