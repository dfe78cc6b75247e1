"""The front door's job queue: JobManager's queue, events, history and atomic outputs, with jobs
run concurrently, one per idle worker, instead of one at a time on a local backend."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from ..config import AdapterConfig
from ..jobs import JobManager, JobRecord
from .frontdoor import ClusterBackend
from .pool import WorkerSlot
from .remote_job import RemoteJob

log = logging.getLogger("stv_adapter.cluster.dispatcher")


class ClusterJobManager(JobManager):
    def __init__(self, config: AdapterConfig, backend: ClusterBackend) -> None:
        super().__init__(config, backend)
        self.cluster = backend
        self.active: dict[str, JobRecord] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        super().start()
        loop = asyncio.get_running_loop()
        # Each running job holds a thread while its worker renders (asyncio.to_thread), and the
        # default pool has min(32, CPUs + 4): a small head node would cap the farm at a few jobs.
        threads = 2 * len(self.cluster.pool.slots) + 8
        loop.set_default_executor(ThreadPoolExecutor(max_workers=threads, thread_name_prefix="stv-front-door"))
        # A worker coming free (a job ended, a worker finished loading or came back) wakes the dispatcher.
        self.cluster.pool.on_idle.append(lambda: loop.call_soon_threadsafe(self._wakeup.set))

    async def stop(self) -> None:
        for rec in self.active.values():
            if rec.backend_job is not None:
                rec.backend_job.cancel.set()
        await super().stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def queue_depth(self) -> int:
        return len(self.pending) + len(self.active)

    async def _run_forever(self) -> None:
        pool = self.cluster.pool
        while True:
            slot = pool.try_reserve(self.pending[0].job_id) if self.pending else None
            if slot is None:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            rec = self._dequeue()
            self.active[rec.job_id] = rec
            self.running = rec
            task = asyncio.create_task(self._run_on(rec, slot), name=f"stv-job-{rec.job_id[:8]}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run_on(self, rec: JobRecord, slot: WorkerSlot) -> None:
        log.info("job %s -> %s", rec.job_id[:8], slot.name)
        try:
            await self._run_one(rec, RemoteJob(self.cluster.pool, slot, self.cluster.settings).run)
        finally:
            if slot.state == "busy" and slot.job_id == rec.job_id:  # the job failed before it reached the worker
                self.cluster.pool.release(slot, finished=False)
            self.active.pop(rec.job_id, None)
            self.running = next(iter(self.active.values()), None)
            self.served += 1
