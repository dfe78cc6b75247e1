"""A recording stand-in for FastVideo's library boundary, used by the adapter's tests.

It is a real importable package (the adapter's spawned worker imports it from sys.path), records
every call it receives as JSON lines in $STV_FAKE_FASTVIDEO_LOG, and writes a real MP4 where
FastVideo would. It mirrors what tests/test_fastvideo_contract.py checks in the real wheel:
`from_pretrained(model_path, log_queue=..., **convenience_kwargs)`, `generate(request_mapping)`
refusing unknown fields, a GenerationResult-like object, and FASTVIDEO_STAGE_LOGGING's
"[<stage>|<Class>] Starting execution" records sent to the log queue.

Prompts steer it: "slow" sleeps (force-stop), "oom" raises a CUDA OOM in-process, "gpu-worker-oom"
behaves like an OOM in FastVideo's GPU worker process (an error record on the log queue, SIGQUIT
to its parent -- our worker -- and a dead pipe), "fail" raises a plain error.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import signal
import time
from dataclasses import dataclass
from typing import Any

_ATTENTION_AT_IMPORT = os.environ.get("FASTVIDEO_ATTENTION_BACKEND")
_STAGE_LOGGING_AT_IMPORT = os.environ.get("FASTVIDEO_STAGE_LOGGING")
_HF_OFFLINE_AT_IMPORT = os.environ.get("HF_HUB_OFFLINE")

# The fields of the real GenerationRequest sections (fastvideo/api/schema.py) the adapter may use.
_SECTIONS = {
    "inputs": {"image_path", "pil_image", "prompt_path", "video_path"},
    "sampling": {"num_frames", "height", "width", "fps", "seed", "num_inference_steps", "guidance_scale"},
    "output": {"output_path", "output_video_name", "save_video", "return_frames"},
}
_TOP = {"prompt", "negative_prompt", *_SECTIONS}
_WAN_DMD_STAGES = [
    ("input_validation_stage", "InputValidationStage"),
    ("prompt_encoding_stage", "TextEncodingStage"),
    ("conditioning_stage", "ConditioningStage"),
    ("timestep_preparation_stage", "TimestepPreparationStage"),
    ("latent_preparation_stage", "LatentPreparationStage"),
    ("denoising_stage", "DmdDenoisingStage"),
    ("decoding_stage", "DecodingStage"),
]


def _record(event: str, **data: Any) -> None:
    with open(os.environ["STV_FAKE_FASTVIDEO_LOG"], "a", encoding="utf-8") as f:
        f.write(json.dumps({"event": event, "pid": os.getpid(), **data}) + "\n")


class OutOfMemoryError(RuntimeError):
    """Named like torch.cuda.OutOfMemoryError so the adapter's detection is exercised."""


class ConfigValidationError(ValueError):
    pass


@dataclass
class GenerationResult:
    video_path: str | None = None
    size: tuple[int, int, int] | None = None
    generation_time: float | None = None
    peak_memory_mb: float | None = None


class VideoGenerator:
    def __init__(self, model: str, kwargs: dict[str, Any], log_queue: Any) -> None:
        self.model = model
        self.kwargs = kwargs
        self.log = logging.getLogger("fastvideo.fake_worker")
        self.log.setLevel(logging.INFO)
        self.log.propagate = False
        if log_queue is not None:  # FastVideo's GPU worker forwards its "fastvideo" logs like this
            self.log.addHandler(logging.handlers.QueueHandler(log_queue))

    @classmethod
    def from_pretrained(cls, model_path: str, **kwargs: Any) -> VideoGenerator:
        log_queue = kwargs.pop("log_queue", None)
        _record(
            "from_pretrained",
            model_path=model_path,
            kwargs=kwargs,
            attention=_ATTENTION_AT_IMPORT,
            stage_logging=_STAGE_LOGGING_AT_IMPORT,
            hf_offline=_HF_OFFLINE_AT_IMPORT,
            has_log_queue=log_queue is not None,
        )
        delay = float(os.environ.get("STV_FAKE_FASTVIDEO_LOAD_SECONDS", "0"))
        if delay:
            time.sleep(delay)
        if os.environ.get("STV_FAKE_FASTVIDEO_LOAD_OOM"):
            raise OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return cls(model_path, kwargs, log_queue)

    def generate(self, request: Any, *, log_queue: Any = None) -> GenerationResult:
        if not isinstance(request, dict):
            raise TypeError("the fake takes the mapping form of GenerationRequest")
        for key, value in request.items():  # FastVideo's parser refuses unknown fields
            if key not in _TOP:
                raise ConfigValidationError(f"{key}: unknown field")
            if key in _SECTIONS:
                unknown = set(value) - _SECTIONS[key]
                if unknown:
                    raise ConfigValidationError(f"{key}.{sorted(unknown)[0]}: unknown field")
        _record("generate", request=request)
        prompt = request["prompt"]
        sampling, output = request.get("sampling", {}), request["output"]
        for stage, cls in _WAN_DMD_STAGES:
            self.log.info("[%s|%s] Starting execution", stage, cls)
            if stage == "denoising_stage":
                if "gpu-worker-oom" in prompt:
                    self.log.error(
                        "Worker 0 hit an exception: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 GiB"
                    )
                    time.sleep(0.2)
                    os.kill(os.getpid(), signal.SIGQUIT)  # the GPU worker's parent is our worker process
                    raise EOFError()  # what collective_rpc's pipe.recv() raises when the GPU worker is gone
                if "oom" in prompt:
                    raise OutOfMemoryError("CUDA out of memory. Tried to allocate 9.00 GiB")
                if "fail" in prompt:
                    raise RuntimeError("the fake pipeline failed")
                if "slow" in prompt:
                    time.sleep(60)
                time.sleep(float(os.environ.get("STV_FAKE_FASTVIDEO_DENOISE_SECONDS", "0")))
        out = output["output_path"]
        if os.path.exists(out):  # mirrors FastVideo: an existing target gets a numeric suffix
            raise AssertionError(f"output_path {out} already exists")
        import imageio_ffmpeg
        import numpy as np

        w, h, n = sampling.get("width", 1280), sampling.get("height", 704), sampling.get("num_frames", 121)
        if (
            request.get("inputs", {}).get("image_path") and "fastwan" in self.model.lower()
        ):  # FastWan caps the area when an image is given
            w, h = 832, 480
        writer = imageio_ffmpeg.write_frames(
            out, (w, h), fps=sampling.get("fps", 24), codec="libx264", pix_fmt_out="yuv420p", macro_block_size=16
        )
        writer.send(None)
        for i in range(n):
            writer.send(np.full((h, w, 3), (i * 7) % 255, dtype=np.uint8))
        writer.close()
        return GenerationResult(video_path=out, size=(h, w, n), generation_time=0.1, peak_memory_mb=1234.0)

    def shutdown(self) -> None:
        _record("shutdown")
