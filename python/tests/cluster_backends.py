"""Backends for the cluster tests, built inside Ray's worker processes. Ray pickles this module by
value (test_cluster registers it), so the workers need not find the tests folder on their path."""

from __future__ import annotations

import functools
import time
from typing import Any

from stv_adapter.backends import BackendJob, BackendOutput, ProgressFn
from stv_adapter.backends.preview import PreviewBackend
from stv_adapter.config import AdapterConfig
from stv_adapter.errors import JobCancelled


class SleepyPreview(PreviewBackend):
    """The preview backend after `delay_s` of "denoising" (a model's time, without a model), with
    progress each 50 ms. honour_cancel=False: a backend that cannot be interrupted (like FastVideo's
    generate call), which only killing its worker stops."""

    def __init__(self, config: AdapterConfig, delay_s: float, honour_cancel: bool = True) -> None:
        super().__init__(crf=config.preview_crf)
        self.delay_s = delay_s
        self.honour_cancel = honour_cancel

    def run(self, job: BackendJob, progress: ProgressFn) -> BackendOutput:
        steps = max(1, round(self.delay_s / 0.05))
        for i in range(steps):
            if self.honour_cancel and job.cancel.is_set():
                raise JobCancelled("The job was cancelled while denoising.")
            time.sleep(self.delay_s / steps)
            progress("denoising", 0.5 * (i + 1) / steps, step=i + 1, total_steps=steps)
        return super().run(job, progress)


class ModelMissing(PreviewBackend):
    """A backend whose model could not be loaded (as FastVideo's reports a missing model)."""

    def __init__(self, config: AdapterConfig) -> None:
        super().__init__(crf=config.preview_crf)

    def health(self) -> dict[str, Any]:
        return {
            **super().health(),
            "status": "error",
            "model_loaded": False,
            "error": {"code": "MODEL_NOT_FOUND", "message": "The model is not on this node.", "hint": "Download it."},
        }


def sleepy(delay_s: float, honour_cancel: bool = True) -> Any:
    """A backend factory for ClusterBackend: SleepyPreview with these settings."""
    return functools.partial(SleepyPreview, delay_s=delay_s, honour_cancel=honour_cancel)
