"""The front door's view of its workers: which are idle, busy, restarting or gone, and who may take
the next job. Thread-safe: jobs run in threads (one per running job) that reserve and release
workers here, while the asyncio dispatcher hands out idle ones."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from ..schemas import WorkerState

log = logging.getLogger("stv_adapter.cluster.pool")


@dataclass
class WorkerSlot:
    name: str
    handle: Any  # the Ray actor handle
    state: WorkerState = "starting"
    job_id: str | None = None
    info: dict[str, Any] = field(default_factory=dict)  # the actor's describe(): node, GPU, backend health
    jobs_done: int = 0
    error: str | None = None


class WorkerPool:
    def __init__(self, slots: list[WorkerSlot]) -> None:
        self.slots = slots
        self._cond = threading.Condition()
        self._retry_waiters = 0
        self.on_idle: list[Any] = []  # callbacks (thread-safe) run when a worker becomes idle

    # -- handing out workers ----------------------------------------------------------------------
    def try_reserve(self, job_id: str) -> WorkerSlot | None:
        """An idle worker for a new job, or None. Retried jobs waiting for a worker go first."""
        with self._cond:
            if self._retry_waiters:
                return None
            return self._take_idle(job_id, exclude=None)

    def reserve_for_retry(self, job_id: str, exclude: WorkerSlot, cancel: threading.Event) -> WorkerSlot | None:
        """The next idle worker other than `exclude` (the one that was lost; itself only when it is
        the one worker left and Ray restarted it), ahead of every queued job. Waits while any
        worker may still take it (busy ones finish, restarting ones come back: renders take
        minutes); None once every worker is dead, or when the job is cancelled meanwhile."""
        with self._cond:
            self._retry_waiters += 1
            try:
                while not cancel.is_set():
                    others_alive = any(s is not exclude and s.state != "dead" for s in self.slots)
                    slot = self._take_idle(job_id, exclude=exclude if others_alive else None)
                    if slot is not None:
                        return slot
                    if not others_alive and exclude.state == "dead":
                        return None
                    self._cond.wait(0.5)
                return None
            finally:
                self._retry_waiters -= 1

    def _take_idle(self, job_id: str, exclude: WorkerSlot | None) -> WorkerSlot | None:
        for slot in self.slots:
            if slot.state == "idle" and slot is not exclude:
                slot.state, slot.job_id = "busy", job_id
                return slot
        return None

    # -- state changes ------------------------------------------------------------------------------
    def set_state(self, slot: WorkerSlot, state: WorkerState, error: str | None = None) -> None:
        with self._cond:
            slot.state = state
            slot.error = error
            if state != "busy":
                slot.job_id = None
            self._cond.notify_all()
        if state == "idle":
            for callback in list(self.on_idle):
                callback()

    def ready(self, slot: WorkerSlot, info: dict[str, Any]) -> None:
        """A worker answered describe() after starting or restarting: idle when its backend loaded,
        dead (with the backend's own message and hint, e.g. a missing model) when it did not."""
        slot.info = info
        error = (info.get("health") or {}).get("error") if (info.get("health") or {}).get("status") == "error" else None
        if error:
            self.set_state(
                slot, "dead", f"{error.get('code')}: {error.get('message')} {error.get('hint') or ''}".strip()
            )
        else:
            self.set_state(slot, "idle")

    def release(self, slot: WorkerSlot, finished: bool) -> None:
        """A job ended on this worker (not lost): it takes the next one."""
        if finished:
            slot.jobs_done += 1
        if slot.state == "busy":
            self.set_state(slot, "idle")

    # -- queries ---------------------------------------------------------------------------------------
    def count(self, *states: WorkerState) -> int:
        with self._cond:
            return sum(1 for s in self.slots if s.state in states)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._cond:
            return [
                {
                    "name": s.name,
                    "state": s.state,
                    "job_id": s.job_id,
                    "jobs_done": s.jobs_done,
                    "error": s.error,
                    "info": dict(s.info),
                }
                for s in self.slots
            ]
