"""A recording stand-in for FastVideo's library boundary, used by the adapter's tests.

It is a real importable package (the adapter's spawned worker imports it from sys.path), records
every call it receives as JSON lines in $STV_FAKE_FASTVIDEO_LOG, and writes a real MP4 where
FastVideo would. Prompts steer it: "slow" sleeps (to test force-stop), "oom" raises a CUDA OOM.
"""
from __future__ import annotations

import json
import os
import time
from typing import Any

_ATTENTION_AT_IMPORT = os.environ.get("FASTVIDEO_ATTENTION_BACKEND")


def _record(event: str, **data: Any) -> None:
    with open(os.environ["STV_FAKE_FASTVIDEO_LOG"], "a", encoding="utf-8") as f:
        f.write(json.dumps({"event": event, "pid": os.getpid(), **data}) + "\n")


class OutOfMemoryError(RuntimeError):
    """Named like torch.cuda.OutOfMemoryError so the adapter's detection is exercised."""


class VideoGenerator:
    def __init__(self, model: str, kwargs: dict[str, Any]) -> None:
        self.model = model
        self.kwargs = kwargs

    @classmethod
    def from_pretrained(cls, model_path: str, **kwargs: Any) -> "VideoGenerator":
        _record("from_pretrained", model_path=model_path, kwargs=kwargs, attention=_ATTENTION_AT_IMPORT)
        delay = float(os.environ.get("STV_FAKE_FASTVIDEO_LOAD_SECONDS", "0"))
        if delay:
            time.sleep(delay)
        if os.environ.get("STV_FAKE_FASTVIDEO_LOAD_OOM"):
            raise OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return cls(model_path, kwargs)

    def generate_video(self, prompt: str, sampling_param: Any = None, **kwargs: Any) -> dict[str, Any]:
        allowed = {"negative_prompt", "image_path", "num_frames", "height", "width", "fps", "seed", "num_inference_steps", "output_path", "save_video", "return_frames"}
        unknown = set(kwargs) - allowed
        if unknown:  # FastVideo raises on unknown keywords too
            raise ValueError(f"unknown sampling parameters: {sorted(unknown)}")
        _record("generate_video", prompt=prompt, kwargs=kwargs)
        if "oom" in prompt:
            raise OutOfMemoryError("CUDA out of memory. Tried to allocate 9.00 GiB")
        if "slow" in prompt:
            time.sleep(60)
        out = kwargs["output_path"]
        if os.path.exists(out):  # mirrors FastVideo: an existing target gets a numeric suffix
            raise AssertionError(f"output_path {out} already exists")
        import imageio_ffmpeg
        import numpy as np

        w, h, n = kwargs["width"], kwargs["height"], kwargs["num_frames"]
        if kwargs.get("image_path"):  # FastWan caps the area when an image is given
            w, h = 832, 480
        writer = imageio_ffmpeg.write_frames(out, (w, h), fps=kwargs["fps"], codec="libx264", pix_fmt_out="yuv420p", macro_block_size=16)
        writer.send(None)
        for i in range(n):
            writer.send(np.full((h, w, 3), (i * 7) % 255, dtype=np.uint8))
        writer.close()
        return {"video_path": out, "size": (h, w, n), "generation_time": 0.1, "peak_memory_mb": 1234.0, "frames": None}

    def shutdown(self) -> None:
        _record("shutdown")
