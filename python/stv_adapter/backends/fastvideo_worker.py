"""Runs in a process of its own (multiprocessing 'spawn'): imports FastVideo, loads the generator
once, then serves generate requests over a pipe. Keeping FastVideo out of the server process lets
the adapter force-stop a running generation (FastVideo has no interruption) by ending this process
tree, and recycle it when memory grows (FastVideo issue #860), while the HTTP server stays up."""
from __future__ import annotations

import os
import time
import traceback
from typing import Any


def _is_oom(e: BaseException) -> bool:
    text = f"{type(e).__name__}: {e}".lower()
    return "out of memory" in text or "outofmemoryerror" in text


def _gpu_info() -> dict[str, Any] | None:
    try:
        import torch

        if not torch.cuda.is_available():
            return None
        free, total = torch.cuda.mem_get_info()
        return {"name": torch.cuda.get_device_name(0), "memoryFreeMb": free // 2**20, "memoryTotalMb": total // 2**20}
    except Exception:
        return None


def worker_main(conn: Any, cfg: dict[str, Any]) -> None:
    # FastVideo reads the attention backend from the environment at import time.
    if cfg.get("attention_backend"):
        os.environ["FASTVIDEO_ATTENTION_BACKEND"] = cfg["attention_backend"]
    t0 = time.perf_counter()
    try:
        from fastvideo import VideoGenerator  # noqa: PLC0415 - imported here on purpose, after the env var

        generator = VideoGenerator.from_pretrained(
            cfg["model"],
            num_gpus=cfg["num_gpus"],
            use_fsdp_inference=cfg["use_fsdp_inference"],
            dit_cpu_offload=cfg["dit_cpu_offload"],
            vae_cpu_offload=cfg["vae_cpu_offload"],
            text_encoder_cpu_offload=cfg["text_encoder_cpu_offload"],
            pin_cpu_memory=cfg["pin_cpu_memory"],
        )
    except ImportError as e:
        conn.send({"type": "error", "code": "MODEL_NOT_FOUND", "message": f"FastVideo is not installed in this environment ({e}).", "hint": "Install the adapter's gpu extra: pip install -e \"python[gpu]\" (see docs/setup-linux.md or docs/setup-windows.md)."})
        return
    except BaseException as e:  # noqa: BLE001 - every load failure must reach the server as a message
        code = "CUDA_OOM" if _is_oom(e) else "EXECUTION_ERROR"
        conn.send({"type": "error", "code": code, "message": f"Loading the model failed: {type(e).__name__}: {e}", "hint": "Run the dry run (python -m stv_adapter serve --dry-run) and check the adapter's log.", "trace": traceback.format_exc()[-4000:]})
        return
    conn.send({"type": "loaded", "loadMs": int((time.perf_counter() - t0) * 1000), "gpu": _gpu_info()})

    while True:
        try:
            msg = conn.recv()
        except EOFError:
            break
        if msg.get("type") == "shutdown":
            break
        if msg.get("type") != "generate":
            continue
        kwargs = msg["kwargs"]
        t1 = time.perf_counter()
        try:
            result = generator.generate_video(msg["prompt"], **kwargs)
            if isinstance(result, list):  # prompt batches; we always send one prompt
                result = result[0]
            conn.send({
                "type": "result",
                "generateMs": int((time.perf_counter() - t1) * 1000),
                "videoPath": result.get("video_path"),
                "size": list(result.get("size") or []),
                "generationTime": result.get("generation_time"),
                "peakMemoryMb": result.get("peak_memory_mb"),
                "gpu": _gpu_info(),
            })
        except BaseException as e:  # noqa: BLE001
            oom = _is_oom(e)
            if oom:
                try:
                    import gc

                    import torch

                    gc.collect()
                    torch.cuda.empty_cache()
                except Exception:
                    pass
            conn.send({"type": "error", "code": "CUDA_OOM" if oom else "EXECUTION_ERROR", "message": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()[-4000:]})
    try:
        generator.shutdown()
    except Exception:
        pass
