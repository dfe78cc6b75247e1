"""The job queue: FIFO, one job at a time on the backend, bounded, with progress events that the
SSE endpoint replays from any event id. Finished jobs are kept in a bounded history and as
sidecars on disk, so a restarted adapter still serves their videos."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from PIL import Image

from . import __version__
from .backends import Backend, BackendJob, BackendOutput, ProgressFn
from .config import AdapterConfig
from .errors import AdapterError, JobCancelled, from_os_error
from .keyframe import decode_keyframe, fit_keyframe
from .outputs import (
    SIDECAR_KIND,
    base_name,
    publish_unique,
    read_sidecars,
    resolve_output_dir,
    temp_path_in,
    write_json_atomic,
)
from .schemas import ErrorBody, GenerateRequest, GenerateResult, Job, JobStatus, Progress, Timings, Warning_, is_stage
from .telemetry import write_run_summary

log = logging.getLogger("stv_adapter.jobs")
MAX_EVENTS_PER_JOB = 512
RunFn = Callable[[BackendJob, ProgressFn], BackendOutput]
TERMINAL: frozenset[JobStatus] = frozenset({"succeeded", "failed", "cancelled"})


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class JobRecord:
    job_id: str
    request: GenerateRequest | None
    status: JobStatus = "queued"
    progress: Progress = field(default_factory=Progress)
    created_at: str = field(default_factory=now_iso)
    started_at: str | None = None
    finished_at: str | None = None
    result: GenerateResult | None = None
    error: ErrorBody | None = None
    forced: bool = False
    cancel_requested: bool = False
    keyframe: Image.Image | None = None
    has_keyframe: bool = False
    end_keyframe: Image.Image | None = None
    has_end_keyframe: bool = False
    output_dir: Path | None = None
    backend_job: BackendJob | None = None
    enqueued_mono: float = field(default_factory=time.monotonic)
    events: list[tuple[int, str, str]] = field(default_factory=list)  # (id, event name, json data)
    seq: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    done: asyncio.Event = field(default_factory=asyncio.Event)


class JobManager:
    def __init__(self, config: AdapterConfig, backend: Backend) -> None:
        self.config = config
        self.backend = backend
        self.jobs: OrderedDict[str, JobRecord] = OrderedDict()
        self.pending: list[JobRecord] = []
        self.running: JobRecord | None = None
        self._wakeup = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.served = 0

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._recover_history()
        self._runner = asyncio.create_task(self._run_forever(), name="stv-job-runner")

    async def stop(self) -> None:
        if self.running and self.running.backend_job:
            self.running.backend_job.cancel.set()
        if self._runner:
            self._runner.cancel()
            try:
                await self._runner
            except (asyncio.CancelledError, Exception):
                pass

    def _recover_history(self) -> None:
        for data in reversed(read_sidecars(self.config.output_root, self.config.history_size)):
            try:
                result = GenerateResult.model_validate(data["result"])
            except Exception:
                continue
            rec = JobRecord(
                job_id=result.job_id,
                request=None,
                status="succeeded",
                result=result,
                created_at=data.get("createdAt", now_iso()),
                finished_at=data.get("finishedAt"),
            )
            rec.progress = Progress(stage="done", fraction=1.0)
            rec.done.set()
            self.jobs[rec.job_id] = rec

    # -- queries ---------------------------------------------------------------------------------
    def get(self, job_id: str) -> JobRecord:
        rec = self.jobs.get(job_id)
        if rec is None:
            raise AdapterError(
                "NOT_FOUND",
                f"No job {job_id!r} on this adapter.",
                "The adapter may have restarted before the job finished; render again.",
            )
        return rec

    def position(self, rec: JobRecord) -> int | None:
        try:
            return self.pending.index(rec) + 1
        except ValueError:
            return None

    def snapshot(self, rec: JobRecord) -> Job:
        return Job(
            job_id=rec.job_id,
            status=rec.status,
            progress=rec.progress,
            queue_position=self.position(rec),
            created_at=rec.created_at,
            started_at=rec.started_at,
            finished_at=rec.finished_at,
            result=rec.result,
            error=rec.error,
            forced=rec.forced,
        )

    @property
    def queue_depth(self) -> int:
        return len(self.pending) + (1 if self.running else 0)

    async def _decode_end_keyframe(self, req: GenerateRequest) -> Image.Image | None:
        """The end keyframe, decoded and fitted to the render under the same bounds as the start one."""
        if not req.end_keyframe_base64:
            return None
        try:
            img = await asyncio.to_thread(
                decode_keyframe,
                req.end_keyframe_base64,
                self.config.max_keyframe_bytes,
                self.config.max_keyframe_pixels,
            )
        except AdapterError as e:
            # decode_keyframe speaks of "the keyframe": say which one.
            raise AdapterError(e.code, f"End keyframe (endKeyframeBase64): {e.message}", e.hint, e.status) from e
        return fit_keyframe(img, req.width, req.height)

    # -- submission ------------------------------------------------------------------------------
    async def submit(self, req: GenerateRequest) -> JobRecord:
        if len(self.pending) >= self.config.max_queue:
            raise AdapterError(
                "BUSY",
                f"The adapter's queue is full ({self.config.max_queue} jobs waiting).",
                "Wait for queued renders to finish, or start the adapter with a larger --max-queue.",
            )
        if req.output == "image" and not self.backend.makes_keyframes:
            raise AdapterError(
                "KEYFRAMES_UNSUPPORTED",
                self.backend.keyframes_problem or f"The {self.backend.name} backend cannot make keyframe images.",
                "Make keyframes with ComfyUI (its built-in Wan 2.2 text-to-image workflow) or the preview backend.",
            )
        output_dir = resolve_output_dir(self.config.output_root, req.output_dir)
        keyframe = None
        if req.keyframe_base64:
            keyframe = await asyncio.to_thread(
                decode_keyframe, req.keyframe_base64, self.config.max_keyframe_bytes, self.config.max_keyframe_pixels
            )
        # Re-check after the await: other submissions may have filled the queue meanwhile.
        if len(self.pending) >= self.config.max_queue:
            raise AdapterError(
                "BUSY",
                f"The adapter's queue is full ({self.config.max_queue} jobs waiting).",
                "Wait for queued renders to finish, or start the adapter with a larger --max-queue.",
            )
        if keyframe is not None:
            # A queued job keeps neither the base64 text nor a needlessly large image: memory per
            # waiting job stays bounded by the render size, not by what the client sent.
            keyframe = fit_keyframe(keyframe, req.width, req.height)
            req = req.model_copy(update={"keyframe_base64": None})
        end_keyframe = await self._decode_end_keyframe(req)
        if end_keyframe is not None:
            req = req.model_copy(update={"end_keyframe_base64": None})
        rec = JobRecord(
            job_id=uuid.uuid4().hex,
            request=req,
            keyframe=keyframe,
            has_keyframe=keyframe is not None,
            output_dir=output_dir,
        )
        rec.end_keyframe, rec.has_end_keyframe = end_keyframe, end_keyframe is not None
        self.jobs[rec.job_id] = rec
        self.pending.append(rec)
        self._trim_history()
        self._emit(rec, "progress")
        self._wakeup.set()
        log.info(
            "job %s queued (position %d): %dx%d, %d frames @ %d fps, seed %d",
            rec.job_id[:8],
            len(self.pending),
            req.width,
            req.height,
            req.num_frames,
            req.fps,
            req.seed,
        )
        return rec

    def _trim_history(self) -> None:
        while len(self.jobs) > self.config.history_size + self.config.max_queue + 1:
            for jid, r in self.jobs.items():
                if r.status in TERMINAL:
                    del self.jobs[jid]
                    break
            else:
                break

    # -- cancellation ----------------------------------------------------------------------------
    async def cancel(self, job_id: str) -> JobRecord:
        rec = self.get(job_id)
        if rec.status in TERMINAL:
            raise AdapterError(
                "INVALID_REQUEST", f"Job {job_id} already ended ({rec.status}); nothing to cancel.", None, status=409
            )
        if rec.status == "queued":
            self.pending.remove(rec)
            self._finish(rec, "cancelled", error=ErrorBody(code="CANCELLED", message="Cancelled before it started."))
            return rec
        # Running: the backend sees the event between frames (preview) or ends its worker (FastVideo).
        if rec.backend_job is not None:
            rec.backend_job.cancel.set()
        rec.cancel_requested = True
        await rec.done.wait()
        return rec

    # -- events ----------------------------------------------------------------------------------
    def _emit(self, rec: JobRecord, event: str) -> None:
        rec.seq += 1
        payload = self.snapshot(rec).model_dump_json(by_alias=True) if event == "done" else self._progress_payload(rec)
        rec.events.append((rec.seq, event, payload))
        if len(rec.events) > MAX_EVENTS_PER_JOB:
            del rec.events[: len(rec.events) - MAX_EVENTS_PER_JOB]
        asyncio.ensure_future(self._notify(rec))

    def _progress_payload(self, rec: JobRecord) -> str:
        data = rec.progress.model_dump(by_alias=True, exclude_none=True)
        data.update({"jobId": rec.job_id, "status": rec.status})
        pos = self.position(rec)
        if pos is not None:
            data["queuePosition"] = pos

        return json.dumps(data)

    @staticmethod
    async def _notify(rec: JobRecord) -> None:
        async with rec.changed:
            rec.changed.notify_all()

    def _progress_from_thread(self, rec: JobRecord) -> Any:
        loop = self._loop
        assert loop is not None

        def progress(
            stage: str,
            fraction: float,
            *,
            step: int | None = None,
            total_steps: int | None = None,
            eta_ms: int | None = None,
            message: str | None = None,
        ) -> None:
            emitted_at = time.time() * 1000

            def apply() -> None:
                if rec.status != "running":
                    return
                if not is_stage(stage):
                    log.warning("job %s: the backend reported an unknown stage %r", rec.job_id[:8], stage)
                    return
                # Monotonic against what the job last showed, the adapter's own 1% "loading" mark
                # included: a backend's first step can be smaller (ffmpeg's first frame of 121).
                shown = rec.progress.fraction if rec.progress else 0.0
                rec.progress = Progress(
                    stage=stage,
                    fraction=round(max(shown, min(1.0, fraction)), 4),
                    step=step,
                    total_steps=total_steps,
                    eta_ms=eta_ms,
                    message=message,
                    emitted_at=emitted_at,
                )
                self._emit(rec, "progress")

            loop.call_soon_threadsafe(apply)

        return progress

    def _finish(
        self, rec: JobRecord, status: JobStatus, *, result: GenerateResult | None = None, error: ErrorBody | None = None
    ) -> None:
        rec.status = status
        rec.finished_at = now_iso()
        rec.result = result
        rec.error = error
        rec.keyframe = None  # free the decoded image
        rec.end_keyframe = None
        if status == "succeeded":
            rec.progress = Progress(stage="done", fraction=1.0)
        self._emit(rec, "done")
        rec.done.set()

    # -- the runner ------------------------------------------------------------------------------
    async def _run_forever(self) -> None:
        while True:
            if not self.pending:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            rec = self._dequeue()
            self.running = rec
            try:
                await self._run_one(rec)
            finally:
                self.running = None
                self.served += 1

    def _dequeue(self) -> JobRecord:
        """Takes the first waiting job; every job behind it moved up a place, so each is told."""
        rec = self.pending.pop(0)
        for other in self.pending:
            self._emit(other, "progress")
        return rec

    async def _run_one(self, rec: JobRecord, runner: RunFn | None = None) -> None:
        """Runs one job on `runner` (default: this adapter's backend; the cluster's front door
        passes one that sends the job to a worker) and publishes its video."""
        req = rec.request
        assert req is not None and rec.output_dir is not None
        rec.status = "running"
        rec.started_at = now_iso()
        queue_ms = int((time.monotonic() - rec.enqueued_mono) * 1000)
        rec.progress = Progress(stage="loading", fraction=0.01)
        self._emit(rec, "progress")
        t0 = time.perf_counter()
        tmp: Path | None = None
        status: JobStatus = "failed"
        error: ErrorBody | None = None
        try:
            tmp = temp_path_in(rec.output_dir, ".png" if req.output == "image" else ".mp4")
            bj = self._backend_job(rec, req, tmp)
            rec.backend_job = bj
            if rec.cancel_requested:
                bj.cancel.set()
            out = await asyncio.to_thread(runner or self.backend.run, bj, self._progress_from_thread(rec))
            if bj.cancel.is_set():
                raise JobCancelled()
            result = await asyncio.to_thread(self._publish, rec, req, tmp, out, queue_ms, t0)
            tmp = None
            rec.backend_job = None
            self._finish(rec, "succeeded", result=result)
            log.info(
                "job %s succeeded in %d ms -> %s",
                rec.job_id[:8],
                result.timings.total_ms,
                result.output_video_path or result.output_image_path,
            )
            return
        except JobCancelled as e:
            rec.forced = bool(rec.backend_job and rec.backend_job.forced)
            status, error = "cancelled", ErrorBody(code="CANCELLED", message=e.message)
        except AdapterError as e:
            error = ErrorBody(code=e.code, message=e.message, hint=e.hint)
            log.warning("job %s failed: %s %s", rec.job_id[:8], e.code, e.message)
        except OSError as e:
            ae = from_os_error(e, "the video")
            error = ErrorBody(code=ae.code, message=ae.message, hint=ae.hint)
        except Exception as e:  # a bug: keep the server alive and say so
            log.exception("job %s crashed", rec.job_id[:8])
            error = ErrorBody(
                code="INTERNAL", message=f"{type(e).__name__}: {e}", hint="This is a bug in the adapter; see its log."
            )
        finally:
            if tmp is not None:  # a cancelled or failed render leaves no partial file behind
                tmp.unlink(missing_ok=True)
            rec.backend_job = None
        # Failed and cancelled runs get a summary too (an OOM or a force-stop is worth a record),
        # written before the job is reported finished so whoever sees it finished also sees that.
        assert error is not None
        await self._write_failure_summary(rec, req, status, error, queue_ms, t0)
        self._finish(rec, status, error=error)

    @staticmethod
    def _backend_job(rec: JobRecord, req: GenerateRequest, tmp: Path) -> BackendJob:
        """What the backend renders for this job, written to tmp."""
        return BackendJob(
            job_id=rec.job_id,
            prompt=req.prompt,
            negative_prompt=req.negative_prompt,
            keyframe=rec.keyframe,
            width=req.width,
            height=req.height,
            num_frames=req.num_frames,
            fps=req.fps,
            seed=req.seed,
            steps=req.steps,
            out_path=tmp,
            end_keyframe=rec.end_keyframe,
            output=req.output,
        )

    async def _write_failure_summary(
        self, rec: JobRecord, req: GenerateRequest, status: JobStatus, error: ErrorBody, queue_ms: int, t0: float
    ) -> None:
        """The run summary of a failed or cancelled job (succeeded jobs get theirs in _publish)."""
        await asyncio.to_thread(
            write_run_summary,
            self.config.artifacts_dir,
            rec.job_id,
            {
                "jobId": rec.job_id,
                "status": status,
                "errorCode": error.code,
                "finishedAt": now_iso(),
                "backend": self.backend.name,
                "queueWaitMs": queue_ms,
                "totalMs": int((time.perf_counter() - t0) * 1000) + queue_ms,
                "frames": req.num_frames,
                "fps": req.fps,
                "width": req.width,
                "height": req.height,
                "seed": req.seed,
                "forced": rec.forced,
            },
        )

    def _publish(
        self, rec: JobRecord, req: GenerateRequest, tmp: Path, out: Any, queue_ms: int, t0: float
    ) -> GenerateResult:
        image = req.output == "image"
        size = tmp.stat().st_size if tmp.exists() else 0
        if size == 0:
            raise AdapterError(
                "EXECUTION_ERROR",
                f"The backend finished without writing {'an image' if image else 'a video'}.",
                "See the adapter's log.",
            )
        assert rec.output_dir is not None
        final = publish_unique(
            tmp, rec.output_dir, base_name(req.scene_id, req.prompt, req.seed), ".png" if image else ".mp4"
        )
        sidecar = final.with_suffix(".json")
        total_ms = int((time.perf_counter() - t0) * 1000) + queue_ms
        timings = Timings(
            queue_ms=queue_ms,
            load_ms=out.load_ms,
            generate_ms=out.generate_ms,
            encode_ms=out.encode_ms,
            total_ms=total_ms,
        )
        result = GenerateResult(
            job_id=rec.job_id,
            output=req.output,
            output_image_path=str(final) if image else None,
            output_video_path=None if image else str(final),
            sidecar_path=str(sidecar),
            frames=out.num_frames,
            fps=out.fps,
            width=out.width,
            height=out.height,
            duration_ms=int(out.num_frames / out.fps * 1000),
            seed=req.seed,
            model_id=out.model_id,
            backend=self.backend.name,
            warnings=[Warning_(**w) for w in out.warnings],
            timings=timings,
        )
        finished = now_iso()
        request_record = req.model_dump(by_alias=True, exclude={"keyframe_base64", "end_keyframe_base64"})
        request_record["hasKeyframe"] = rec.has_keyframe
        request_record["hasEndKeyframe"] = rec.has_end_keyframe
        sidecar_data: dict[str, Any] = {
            "kind": SIDECAR_KIND,
            "adapterVersion": __version__,
            "jobId": rec.job_id,
            "createdAt": rec.created_at,
            "finishedAt": finished,
            ("outputImagePath" if image else "outputVideoPath"): str(final),
            "request": request_record,
            "backend": self.backend.name,
            "modelId": out.model_id,
            "extra": out.extra,
            "result": result.model_dump(by_alias=True),
        }
        try:
            write_json_atomic(sidecar, sidecar_data)
        except AdapterError:
            final.unlink(missing_ok=True)  # a video without its sidecar would be invisible after a restart
            raise
        self._write_success_summary(rec, req, out, final, finished, timings)
        return result

    def _write_success_summary(
        self, rec: JobRecord, req: GenerateRequest, out: Any, final: Path, finished: str, timings: Timings
    ) -> None:
        """The run summary of a succeeded job (telemetry.py), beside the failed ones'."""
        write_run_summary(
            self.config.artifacts_dir,
            rec.job_id,
            {
                "jobId": rec.job_id,
                "status": "succeeded",
                "finishedAt": finished,
                "backend": self.backend.name,
                "modelId": out.model_id,
                "queueWaitMs": timings.queue_ms,
                "modelLoadMs": out.load_ms,
                "generationMs": out.generate_ms,
                "encodeMs": out.encode_ms,
                "totalMs": timings.total_ms,
                "frames": out.num_frames,
                "fps": out.fps,
                "width": out.width,
                "height": out.height,
                "outputPath": str(final),
                "seed": req.seed,
            },
        )
