"""Runs in a process of its own (multiprocessing 'spawn'): imports FastVideo, loads the generator
once, then serves generate requests over a pipe. Keeping FastVideo out of the server process lets
the adapter force-stop a running generation (FastVideo has no interruption) by ending this process
tree, and recycle it when memory grows (FastVideo issue #860), while the HTTP server stays up.

Messages to the server: {"type": "loaded" | "stage" | "result" | "error", ...}. Stage messages come
from FastVideo's own stage logging (FASTVIDEO_STAGE_LOGGING=1: each pipeline stage logs
"[<stage>|<Class>] Starting execution" in FastVideo's GPU worker, which forwards its log records
to the queue given to from_pretrained) -- FastVideo has no step callback."""

from __future__ import annotations

import logging
import os
import re
import signal
import threading
import time
import traceback
from typing import Any

STAGE_START = re.compile(r"\[(?P<stage>[A-Za-z0-9_]+)\|[A-Za-z0-9_]+\] Starting execution")
OOM_TEXT = ("out of memory", "outofmemoryerror")


def _with_last_image(request: dict[str, Any]) -> dict[str, Any]:
    """FastVideo takes the end image as a PIL image (`inputs.last_image`); the request crosses the
    pipe as a path, opened here, in the process that renders."""
    inputs = request.get("inputs")
    if not isinstance(inputs, dict) or "last_image_path" not in inputs:
        return request
    from PIL import Image

    inputs = dict(inputs)
    with Image.open(inputs.pop("last_image_path")) as im:
        inputs["last_image"] = im.convert("RGB")
    return {**request, "inputs": inputs}


def _is_oom(text: str) -> bool:
    text = text.lower()
    return any(t in text for t in OOM_TEXT)


def _gpu_info() -> dict[str, Any] | None:
    """The GPU's free memory, asked of nvidia-smi: torch.cuda here would open a CUDA context in this
    process (hundreds of MB of VRAM a 16 GB card cannot spare; FastVideo computes in its own worker)."""
    import shutil
    import subprocess

    exe = shutil.which("nvidia-smi")
    if not exe:
        return None
    device = (os.environ.get("CUDA_VISIBLE_DEVICES") or "0").split(",")[0].strip() or "0"
    try:
        out = (
            subprocess.run(
                [exe, "--query-gpu=name,memory.free,memory.total", "--format=csv,noheader,nounits", "-i", device],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            )
            .stdout.strip()
            .splitlines()[0]
        )
        name, free, total = (part.strip() for part in out.rsplit(",", 2))
        return {"name": name, "memoryFreeMb": int(float(free)), "memoryTotalMb": int(float(total))}
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def _get(result: Any, name: str) -> Any:
    """GenerationResult (generate) has attributes; older dict results have keys."""
    return result.get(name) if isinstance(result, dict) else getattr(result, name, None)


class _Channel:
    """The pipe to the server, shared by the main thread and the log forwarder."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.lock = threading.Lock()

    def send(self, msg: dict[str, Any]) -> None:
        with self.lock:
            try:
                self.conn.send(msg)
            except OSError:
                pass  # the server went away; the main loop ends on its next recv


class _LogForwarder(threading.Thread):
    """Reads FastVideo's forwarded log records: stage starts become progress, OOM text is remembered
    (an OOM in FastVideo's GPU worker reaches us only as a log record and a dead pipe)."""

    def __init__(self, log_queue: Any, channel: _Channel) -> None:
        super().__init__(name="fastvideo-log-forwarder", daemon=True)
        self.log_queue = log_queue
        self.channel = channel
        self.oom_seen = threading.Event()
        self.last_error = ""

    def run(self) -> None:
        while True:
            try:
                record = self.log_queue.get()
            except (EOFError, OSError, ValueError):
                return
            if record is None:
                return
            try:
                text = record.getMessage() if isinstance(record, logging.LogRecord) else str(record)
            except Exception:  # a record whose args do not format
                text = str(getattr(record, "msg", record))
            m = STAGE_START.search(text)
            if m:
                self.channel.send({"type": "stage", "stage": m.group("stage"), "at": time.time()})
            if _is_oom(text):
                self.oom_seen.set()
            if isinstance(record, logging.LogRecord) and record.levelno >= logging.ERROR:
                self.last_error = text[-2000:]

    def settle(self, at_least: float = 0.3, at_most: float = 2.0) -> None:
        """Gives records already in flight (a dying GPU worker's traceback, flushed as it exits) a
        moment to arrive: until an OOM is seen, or the queue has stayed empty past `at_least`."""
        start = time.time()
        while time.time() - start < at_most and not self.oom_seen.is_set():
            try:
                drained = self.log_queue.empty()
            except (OSError, NotImplementedError):
                drained = True
            if drained and time.time() - start >= at_least:
                break
            time.sleep(0.05)
        time.sleep(0.05)  # the forwarder thread handles the last record it took


_NOT_LOADED = object()  # what _load_generator returns after it reported why


def worker_main(conn: Any, cfg: dict[str, Any]) -> None:
    fatal_signal = _prepare_process(cfg)
    channel, log_queue, forwarder = _start_log_forwarding(conn)
    generator = _load_generator(cfg, channel, log_queue, forwarder)
    if generator is _NOT_LOADED:
        return
    if not _serve_requests(conn, generator, channel, forwarder, fatal_signal):
        return  # the server ends this process tree and loads the model again
    try:
        generator.shutdown()  # FastVideo ends its GPU workers gently, then forcibly after 5 s
    except Exception:
        pass


def _prepare_process(cfg: dict[str, Any]) -> list[int]:
    """FastVideo's environment, the orphan watch and the SIGQUIT note; returns the signals noted."""
    # FastVideo reads these from the environment; set them before it is imported. Its GPU worker
    # processes inherit them.
    if cfg.get("attention_backend"):
        os.environ["FASTVIDEO_ATTENTION_BACKEND"] = cfg["attention_backend"]
    os.environ["FASTVIDEO_STAGE_LOGGING"] = "1"
    if cfg.get("hf_offline"):
        os.environ["HF_HUB_OFFLINE"] = "1"
    from ..childproc import kill_children, watch_parent

    watch_parent(on_orphaned=kill_children)  # the adapter died (kill -9): end FastVideo's GPU processes and this one
    fatal_signal: list[int] = []
    if hasattr(signal, "SIGQUIT"):
        # FastVideo's GPU worker sends SIGQUIT to its parent (this process) when it dies, e.g. on a
        # CUDA OOM (multiproc_executor.worker_main). Its default action would kill us before we can
        # say why; note it and report instead.
        signal.signal(signal.SIGQUIT, lambda signum, _frame: fatal_signal.append(signum))
    return fatal_signal


def _start_log_forwarding(conn: Any) -> tuple[_Channel, Any, _LogForwarder]:
    channel = _Channel(conn)
    import multiprocessing

    log_queue = multiprocessing.get_context("spawn").Queue()
    forwarder = _LogForwarder(log_queue, channel)
    forwarder.start()
    return channel, log_queue, forwarder


def _load_generator(cfg: dict[str, Any], channel: _Channel, log_queue: Any, forwarder: _LogForwarder) -> Any:
    """The loaded VideoGenerator, after the "loaded" message; _NOT_LOADED after an "error" message."""
    t0 = time.perf_counter()
    try:
        from fastvideo import VideoGenerator  # noqa: PLC0415 - imported here on purpose, after the env vars
    except ImportError as e:
        channel.send(
            {
                "type": "error",
                "code": "MODEL_NOT_FOUND",
                "message": f"FastVideo is not installed in this environment ({e}).",
                "hint": 'Install the adapter\'s gpu extra: pip install -e "python[gpu]" (or run scripts/setup-fastvideo.sh).',
            }
        )
        return _NOT_LOADED
    try:
        generator = VideoGenerator.from_pretrained(
            cfg["model"],
            log_queue=log_queue,
            num_gpus=cfg["num_gpus"],
            use_fsdp_inference=cfg["use_fsdp_inference"],
            dit_cpu_offload=cfg["dit_cpu_offload"],
            vae_cpu_offload=cfg["vae_cpu_offload"],
            text_encoder_cpu_offload=cfg["text_encoder_cpu_offload"],
            pin_cpu_memory=cfg["pin_cpu_memory"],
        )
    except BaseException as e:  # noqa: BLE001 - every load failure must reach the server as a message
        forwarder.settle()
        text = f"{type(e).__name__}: {e}"
        oom = _is_oom(text) or forwarder.oom_seen.is_set()
        if isinstance(e, ImportError):  # an attention kernel (flash-attn, fastvideo-kernel, sageattention) is missing
            hint = "An attention backend's kernels are missing: install them, or start with --attention-backend TORCH_SDPA. Run the dry run (serve --dry-run)."
        else:
            hint = "Run the dry run (python -m stv_adapter serve --dry-run) and check the adapter's log."
        channel.send(
            {
                "type": "error",
                "code": "CUDA_OOM" if oom else "EXECUTION_ERROR",
                "message": f"Loading the model failed: {text}",
                "hint": hint,
                "trace": traceback.format_exc()[-4000:],
                "gpu": _gpu_info(),
            }
        )
        return _NOT_LOADED
    try:
        from fastvideo.platforms import current_platform  # noqa: PLC0415

        device = str(current_platform.device_type)  # "cuda"; "cpu" on FastVideo's CPU platform (the CPU test)
    except Exception:  # noqa: BLE001 - only for /health; never fail a loaded model over it
        device = "cuda"
    load_ms = int((time.perf_counter() - t0) * 1000)
    channel.send({"type": "loaded", "loadMs": load_ms, "gpu": _gpu_info(), "device": device})
    return generator


def _serve_requests(
    conn: Any, generator: Any, channel: _Channel, forwarder: _LogForwarder, fatal_signal: list[int]
) -> bool:
    """Answers "generate" messages until "shutdown" or a closed pipe (True), or a fatal failure (False)."""
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            break
        if msg.get("type") == "shutdown":
            break
        if msg.get("type") != "generate":
            continue
        t1 = time.perf_counter()
        try:
            # A GenerationRequest as a mapping: FastVideo parses it and refuses unknown fields
            # (generate_video(**kwargs) is its deprecated form).
            result = generator.generate(_with_last_image(msg["request"]))
            if isinstance(result, list):  # prompt batches; we always send one prompt
                result = result[0]
            channel.send(
                {
                    "type": "result",
                    "generateMs": int((time.perf_counter() - t1) * 1000),
                    "videoPath": _get(result, "video_path"),
                    "size": list(_get(result, "size") or []),
                    "generationTime": _get(result, "generation_time"),
                    "peakMemoryMb": _get(result, "peak_memory_mb"),
                    "gpu": _gpu_info(),
                }
            )
        except BaseException as e:  # noqa: BLE001
            forwarder.settle()
            text = f"{type(e).__name__}: {e}"
            oom = _is_oom(text) or forwarder.oom_seen.is_set()
            # A dead GPU worker (its pipe closed, or it signalled us) leaves the generator unusable.
            fatal = bool(fatal_signal) or isinstance(e, (EOFError, BrokenPipeError, ConnectionError))
            if oom and not fatal:
                try:
                    import gc

                    import torch

                    gc.collect()
                    torch.cuda.empty_cache()
                except Exception:
                    pass
            # When FastVideo's GPU worker died, its last error record says why; our side only saw a closed pipe.
            detail = (
                f"FastVideo's GPU worker failed: {forwarder.last_error[-500:]}"
                if fatal and forwarder.last_error
                else text
            )
            channel.send(
                {
                    "type": "error",
                    "code": "CUDA_OOM" if oom else "EXECUTION_ERROR",
                    "message": detail,
                    "fatal": fatal,
                    "trace": traceback.format_exc()[-4000:],
                    "gpu": _gpu_info(),
                }
            )
            forwarder.oom_seen.clear()
            if fatal:
                return False
    return True
