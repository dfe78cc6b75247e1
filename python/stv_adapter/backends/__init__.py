"""Backends turn one validated job into an MP4 file (or, for an image job, one PNG). The job queue runs one at a time, in a worker
thread, and passes a cancel event and a progress callback."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from PIL import Image


class ProgressFn(Protocol):
    def __call__(
        self,
        stage: str,
        fraction: float,
        *,
        step: int | None = None,
        total_steps: int | None = None,
        eta_ms: int | None = None,
        message: str | None = None,
    ) -> None: ...


@dataclass
class BackendJob:
    job_id: str
    prompt: str
    negative_prompt: str | None
    keyframe: Image.Image | None
    width: int
    height: int
    num_frames: int
    fps: int
    seed: int
    steps: int | None
    out_path: Path  # a temporary file in the destination folder; the backend writes the MP4 here
    cancel: threading.Event = field(default_factory=threading.Event)
    # The end keyframe (bookends), already fitted like `keyframe`; None when the request has none.
    end_keyframe: Image.Image | None = None
    # "image": write one PNG of width x height to out_path (a keyframe from the prompt) instead of an MP4.
    output: str = "video"
    # Set by a backend that had to end its worker to honour a cancel (FastVideo cannot interrupt).
    forced: bool = False


@dataclass
class BackendOutput:
    width: int
    height: int
    num_frames: int
    fps: int
    model_id: str
    warnings: list[dict[str, str]] = field(default_factory=list)
    load_ms: int = 0
    generate_ms: int = 0
    encode_ms: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class Backend(Protocol):
    name: str
    is_ai: bool
    # Whether run() can make image jobs (BackendJob.output == "image"), and if not, why and what can.
    makes_keyframes: bool
    keyframes_problem: str | None

    def start(self) -> None: ...
    def health(self) -> dict[str, Any]: ...
    def run(self, job: BackendJob, progress: ProgressFn) -> BackendOutput: ...
    def force_stop(self) -> bool: ...
    def close(self) -> None: ...
