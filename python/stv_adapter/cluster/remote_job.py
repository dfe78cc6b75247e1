"""One job on the cluster: sent to a reserved worker, its progress polled back, a cancel passed on
(then the actor killed if it does not stop), the MP4 bytes written to the job's temporary file.
A worker or node lost mid-render: the job is tried once more on another worker, then fails with
WORKER_LOST. Runs in the job's thread (JobManager._run_one calls `run` through asyncio.to_thread)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from ..backends import BackendJob, BackendOutput, ProgressFn
from ..errors import AdapterError, JobCancelled
from .pool import WorkerPool, WorkerSlot

log = logging.getLogger("stv_adapter.cluster.remote_job")


@dataclass(frozen=True)
class DispatchSettings:
    poll_s: float = 0.1  # how often a running job's progress is fetched from its worker
    cancel_grace_s: float = 3.0  # after this, a worker that has not stopped a cancelled job is killed
    restart_wait_s: float = 600.0  # how long a lost worker may take to come back (Ray restarts it)


class WorkerLost(Exception):
    """The worker's actor or node died while it held the job."""


def job_spec(job: BackendJob) -> dict[str, Any]:
    """The BackendJob's fields that travel to the worker (not its local path or thread event)."""
    return {
        "job_id": job.job_id,
        "prompt": job.prompt,
        "negative_prompt": job.negative_prompt,
        "keyframe": job.keyframe,
        "width": job.width,
        "height": job.height,
        "num_frames": job.num_frames,
        "fps": job.fps,
        "seed": job.seed,
        "steps": job.steps,
        "end_keyframe": job.end_keyframe,
        "output": job.output,
    }


def lost_errors() -> tuple[type[BaseException], ...]:
    """Ray's ways of saying the worker (actor, process or node) is gone."""
    from ray import exceptions as rex

    return (rex.RayActorError, rex.WorkerCrashedError, rex.NodeDiedError, rex.ObjectLostError)


def watch_restart(pool: WorkerPool, slot: WorkerSlot, settings: DispatchSettings) -> None:
    """Marks a lost worker restarting and, in a thread, back idle once Ray has restarted it (its
    describe() answers), or dead when Ray will not (restarts used up, or killed for good)."""
    pool.set_state(slot, "restarting")

    def probe() -> None:
        import ray

        deadline = time.monotonic() + settings.restart_wait_s
        while time.monotonic() < deadline:
            try:
                pool.ready(slot, ray.get(slot.handle.describe.remote(), timeout=30))
                log.info("worker %s is back on node %s (%s)", slot.name, slot.info.get("nodeIp"), slot.state)
                return
            except ray.exceptions.ActorDiedError as e:
                pool.set_state(slot, "dead", f"{type(e).__name__}: the actor will not be restarted")
                return
            except (ray.exceptions.GetTimeoutError, ray.exceptions.ActorUnavailableError):
                time.sleep(0.5)
        pool.set_state(slot, "dead", f"not back {settings.restart_wait_s:.0f} s after it was lost")

    threading.Thread(target=probe, name=f"stv-probe-{slot.name}", daemon=True).start()


class RemoteJob:
    """JobManager._run_one's `run` for one job on the cluster."""

    def __init__(self, pool: WorkerPool, slot: WorkerSlot, settings: DispatchSettings) -> None:
        self.pool = pool
        self.slot = slot
        self.settings = settings

    def run(self, job: BackendJob, progress: ProgressFn) -> BackendOutput:
        slot: WorkerSlot | None = self.slot
        attempt = 1
        try:
            while True:
                assert slot is not None
                try:
                    result = self._attempt(slot, job, progress)
                except WorkerLost as lost:
                    watch_restart(self.pool, slot, self.settings)
                    slot = self._next_worker(job, slot, attempt, lost, progress)
                    attempt += 1
                    continue
                if "health" in result:  # the backend's state and the GPU's free memory after this job, for /health
                    slot.info["health"] = result["health"]
                self.pool.release(slot, finished="error" not in result)
                slot = None
                return self._finish(job, result, attempt)
        finally:
            if slot is not None and slot.state == "busy" and slot.job_id == job.job_id:
                self.pool.release(slot, finished=False)

    def _next_worker(
        self, job: BackendJob, lost: WorkerSlot, attempt: int, why: WorkerLost, progress: ProgressFn
    ) -> WorkerSlot:
        """The worker for the job's second try; WORKER_LOST when this was the second, or none comes."""
        log.warning("job %s: worker %s lost (%s), attempt %d", job.job_id[:8], lost.name, why, attempt)
        if job.cancel.is_set():
            raise JobCancelled(f"The job was cancelled; its worker {lost.name} was lost meanwhile.")
        if attempt >= 2:
            raise AdapterError(
                "WORKER_LOST",
                f"The render was lost twice: worker {lost.name} went away ({why}) on the second try too.",
                "Check the Ray cluster (ray status; the nodes' logs under the Ray temp folder); then render again.",
            )
        progress("loading", 0.01, message=f"Worker {lost.name} was lost; trying again on another worker.")
        other = self.pool.reserve_for_retry(job.job_id, exclude=lost, cancel=job.cancel)
        if job.cancel.is_set():
            if other is not None:
                self.pool.release(other, finished=False)
            raise JobCancelled(f"The job was cancelled while it waited for another worker ({lost.name} was lost).")
        if other is None:
            raise AdapterError(
                "WORKER_LOST",
                f"Worker {lost.name} went away mid-render ({why}) and no worker of the cluster is left alive.",
                "Check the Ray cluster (ray status) and the adapter's /health (cluster.workers say why each stopped). Restart the adapter to start new workers.",
            )
        return other

    def _attempt(self, slot: WorkerSlot, job: BackendJob, progress: ProgressFn) -> dict[str, Any]:
        import ray

        lost = lost_errors()
        try:
            ref = slot.handle.run.remote(job_spec(job))
            cancel_sent: float | None = None
            while True:
                ready, _ = ray.wait([ref], timeout=self.settings.poll_s)
                if ready:
                    result: dict[str, Any] = ray.get(ref)
                    return result
                for event in ray.get(slot.handle.take_progress.remote()):
                    progress(**event)
                if job.cancel.is_set():
                    if cancel_sent is None:
                        slot.handle.cancel.remote(job.job_id)
                        cancel_sent = time.monotonic()
                    elif time.monotonic() - cancel_sent > self.settings.cancel_grace_s:
                        self._force_stop(slot, job)
        except lost as e:
            raise WorkerLost(f"{type(e).__name__}") from e

    def _force_stop(self, slot: WorkerSlot, job: BackendJob) -> None:
        """The worker did not stop the job in time: kill its actor (Ray restarts it, reloading the
        model) and report the job cancelled, forced."""
        import ray

        log.warning("job %s: worker %s did not stop; killing its actor", job.job_id[:8], slot.name)
        ray.kill(slot.handle, no_restart=False)
        job.forced = True
        watch_restart(self.pool, slot, self.settings)
        raise JobCancelled(f"The job was force-stopped: worker {slot.name} was restarted.")

    def _finish(self, job: BackendJob, result: dict[str, Any], attempts: int) -> BackendOutput:
        """The worker's answer: its error raised as the adapter's, or the MP4 written to the job's
        temporary file (JobManager publishes it atomically, as for a local render)."""
        error = result.get("error")
        if error is not None:
            if error.get("cancelled"):
                raise JobCancelled(error.get("message") or "The job was cancelled.")
            raise AdapterError(error["code"], error["message"], error.get("hint"))
        job.out_path.write_bytes(result["video"])
        output = BackendOutput(**result["output"])
        output.extra = {**output.extra, "cluster": {**result["worker"], "attempts": attempts}}
        return output
