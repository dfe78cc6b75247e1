"""The `fastvideo` backend: FastVideo's VideoGenerator, loaded once in a worker process of its own."""

from __future__ import annotations

import logging
import multiprocessing
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, NoReturn

import psutil

from ..childproc import popen_kwargs
from ..config import AdapterConfig
from ..errors import AdapterError, JobCancelled
from ..model_profiles import download_command, effective_attention, load_target, locate_model, profile_for
from . import BackendJob, BackendOutput, ProgressFn
from .fastvideo_worker import worker_main

log = logging.getLogger("stv_adapter.fastvideo")

OOM_HINT = (
    "Render fewer frames (49 or 81), a smaller size (832x480), keep CPU offload on, and close other GPU programs."
)

# FastVideo's Wan pipelines log these stages (pipelines/basic/wan/*.py, with FASTVIDEO_STAGE_LOGGING=1):
# our progress stage and the fraction at which each one starts. Within the long stages (denoising,
# decoding) the fraction is estimated from how long that stage took in earlier runs.
STAGE_PROGRESS: dict[str, tuple[str, float]] = {
    "input_validation_stage": ("encoding-prompt", 0.03),
    "prompt_encoding_stage": ("encoding-prompt", 0.04),
    "image_encoding_stage": ("encoding-prompt", 0.08),
    "conditioning_stage": ("denoising", 0.10),
    "timestep_preparation_stage": ("denoising", 0.11),
    "latent_preparation_stage": ("denoising", 0.12),
    "denoising_stage": ("denoising", 0.15),
    "decoding_stage": ("decoding", 0.85),
}
STAGE_END = {"denoising_stage": 0.85, "decoding_stage": 0.96}


def first_frame_png(mp4: Path, png: Path) -> None:
    """Frame 0 of FastVideo's one-frame MP4 as a PNG (an image job's output)."""
    import imageio_ffmpeg  # noqa: PLC0415 - only image jobs need it

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(mp4)]
    cmd += ["-frames:v", "1", "-f", "image2", "-c:v", "png", str(png)]
    done = subprocess.run(cmd, capture_output=True, check=False, **popen_kwargs())
    if done.returncode != 0 or not png.is_file():
        raise AdapterError(
            "EXECUTION_ERROR",
            f"Could not take the image out of FastVideo's one-frame video: {done.stderr.decode(errors='replace')[-300:]}",
            "See the adapter's log.",
        )


class FastVideoBackend:
    name = "fastvideo"
    is_ai = True
    # Wan 2.2 TI2V renders one frame when asked for num_frames=1: FastVideo 0.2.1 only requires
    # num_frames > 0 (entrypoints/video_generator.py:742), the latent has (1 - 1) // 4 + 1 = 1 frame
    # (pipelines/stages/latent_preparation.py:55), and the causal Wan VAE decodes a first latent
    # frame alone into one image (models/vaes/wanvae.py:1189). docs/fastvideo-adapter.md has the rest.
    makes_keyframes = True
    keyframes_problem: str | None = None

    def __init__(self, config: AdapterConfig) -> None:
        self.config = config
        self.profile = profile_for(config.model)
        self.attention, self.attention_notes = effective_attention(config.attention_backend, self.profile)
        self._lock = threading.RLock()
        self._ctx = multiprocessing.get_context("spawn")
        self._proc: Any = None
        self._conn: Any = None
        self._state = "idle"  # idle | loading | ok | error
        self._error: dict[str, Any] | None = None
        self._gpu: dict[str, Any] | None = None
        self._device = "cuda"  # what FastVideo's platform computes on, as its worker reports once loaded
        self._load_ms = 0
        self._loaded_event = threading.Event()
        self._jobs_since_load = 0
        self._ema_generate_ms: float | None = None
        self._ema_stage_ms: dict[str, float] = {}  # how long each FastVideo stage took, smoothed
        self.loads = 0  # how many times the generator was loaded (benchmarks count it)
        self._load_gen = 0
        self._notes: list[str] = []
        self.model_source = config.model

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        if not self.config.lazy:
            self._load_in_background()

    def _load_in_background(self) -> None:
        with self._lock:
            if self._state == "loading":
                return
            self._state = "loading"
            self._loaded_event.clear()
            self._load_gen += 1
            gen = self._load_gen
        threading.Thread(target=self._load, args=(gen,), name="fastvideo-load", daemon=True).start()

    def _load(self, gen: int = 0) -> None:
        """Starts the worker and waits for its model. `gen` tells a superseded load (its worker was
        ended by a restart) to leave the current one alone."""
        path, found, notes = locate_model(self.config.model, self.config.model_path)
        for n in notes:
            log.info(n)
        with self._lock:
            self._notes = notes
        if path is None:
            if self.config.model_path:
                self._fail(
                    gen,
                    "MODEL_NOT_FOUND",
                    f"The model folder {found} is incomplete or missing ({'; '.join(notes)}).",
                    f"Download it there: {download_command(self.config.model, self.config.model_path)}, or fix --model-path.",
                )
            else:
                self._fail(
                    gen,
                    "MODEL_NOT_FOUND",
                    f"The model {found} is not on this machine.",
                    f"Download it: {download_command(found)} (or set --model-path to its folder).",
                )
            return
        self.model_source = path
        target, hf_offline = (path, False) if self.config.model_path else load_target(path, found)
        cfg = {
            "model": target,
            "hf_offline": hf_offline,
            "attention_backend": self.attention,
            "num_gpus": self.config.num_gpus,
            "use_fsdp_inference": self.config.use_fsdp_inference,
            "dit_cpu_offload": self.config.dit_cpu_offload,
            "vae_cpu_offload": self.config.vae_cpu_offload,
            "text_encoder_cpu_offload": self.config.text_encoder_cpu_offload,
            "pin_cpu_memory": self.config.pin_cpu_memory,
        }
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=worker_main, args=(child, cfg), name="fastvideo-worker", daemon=False)
        proc.start()
        child.close()
        with self._lock:
            if gen != self._load_gen:  # restarted meanwhile
                proc.kill()
                return
            self._proc, self._conn = proc, parent
        t0 = time.perf_counter()
        try:
            msg = parent.recv()
            while msg.get("type") == "stage":  # nothing runs a stage while loading; be tolerant anyway
                msg = parent.recv()
        except (EOFError, OSError):
            proc.join(timeout=2)
            self._fail(
                gen,
                "EXECUTION_ERROR",
                f"The FastVideo worker exited while loading (exit code {proc.exitcode}).",
                "Check the adapter's log; the host may be out of RAM (FastVideo issue #1755).",
            )
            return
        if msg.get("type") != "loaded":
            with self._lock:
                self._gpu = msg.get("gpu") or self._gpu
            self._fail(gen, msg.get("code", "EXECUTION_ERROR"), msg.get("message", "Loading failed."), msg.get("hint"))
            if msg.get("trace"):
                log.error(msg["trace"])
            return
        with self._lock:
            if gen != self._load_gen:
                return
            self._state = "ok"
            self._error = None
            self._gpu = msg.get("gpu")
            self._device = str(msg.get("device") or self._device)
            self._load_ms = int(msg.get("loadMs") or (time.perf_counter() - t0) * 1000)
            self._jobs_since_load = 0
            self.loads += 1
        self._loaded_event.set()
        log.info("model loaded from %s in %d ms", target, self._load_ms)

    def _fail(self, gen: int, code: str, message: str, hint: str | None) -> None:
        with self._lock:
            if gen != self._load_gen:
                return
            self._state = "error"
            self._error = {"code": code, "message": message, "hint": hint}
        self._kill_worker()
        self._loaded_event.set()

    def _kill_worker(self) -> None:
        with self._lock:
            proc, conn = self._proc, self._conn
            self._proc = self._conn = None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass
        if proc is None:
            return
        try:
            parent = psutil.Process(proc.pid)
            procs = parent.children(recursive=True) + [parent]
        except psutil.Error:
            procs = []
        for p in procs:
            try:
                p.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(procs, timeout=10)
        proc.join(timeout=5)

    def health(self) -> dict[str, Any]:
        with self._lock:
            status = {
                "ok": "ok",
                "loading": "loading",
                "error": "error",
                "idle": "ok" if self.config.lazy else "loading",
            }[self._state]
            return {
                "status": status,
                "model_id": self.config.model,
                "model_profile": self.profile.profile,
                "model_loaded": self._state == "ok",
                "follows_keyframe": self.profile.follows_keyframe,
                "attention_backend": self.attention,
                "device": self._device,
                "gpu": self._gpu,
                "error": self._error,
                "warnings": self._health_warnings(),
                "details": {
                    "modelSource": self.model_source,
                    "modelNotes": list(self._notes),
                    "loads": self.loads,
                    "loadMs": self._load_ms,
                    "attentionNotes": self.attention_notes,
                    "profile": self.profile.description,
                },
            }

    def _health_warnings(self) -> list[dict[str, str]]:
        out = []
        if not self.profile.follows_keyframe:
            out.append(
                {
                    "code": "KEYFRAME_IGNORED",
                    "message": f"{self.config.model} does not condition on keyframes (FastVideo #785, #1153); start the adapter with --model Wan-AI/Wan2.2-TI2V-5B-Diffusers for keyframe-faithful clips.",
                }
            )
        out += [{"code": "ATTENTION_BACKEND", "message": n} for n in self.attention_notes]
        out += [{"code": "MODEL_FOLDER", "message": n} for n in self._notes]
        return out

    # -- jobs ------------------------------------------------------------------------------------
    def _worker_alive(self) -> bool:
        with self._lock:
            proc = self._proc
        return proc is not None and proc.is_alive()

    def _ensure_loaded(self, job: BackendJob, progress: ProgressFn) -> int:
        with self._lock:
            state = self._state
        if state == "ok" and not self._worker_alive():
            log.warning("the FastVideo worker is gone; loading the model again")
            self._restart_worker()
        elif state in ("idle", "error"):
            self._load_in_background()
        progress("loading", 0.02, message="Loading the model (first job, or after a restart)")
        t0 = time.perf_counter()
        while not self._loaded_event.wait(0.25):
            if job.cancel.is_set():
                raise JobCancelled("The job was cancelled while the model was loading.")
        with self._lock:
            if self._state != "ok":
                err = self._error or {"code": "EXECUTION_ERROR", "message": "The model failed to load."}
                raise AdapterError(err["code"], err["message"], err.get("hint"))
        return int((time.perf_counter() - t0) * 1000)

    def build_request(
        self, job: BackendJob, image_path: str | None, end_image_path: str | None = None
    ) -> dict[str, Any]:
        """The GenerationRequest for VideoGenerator.generate, as a mapping FastVideo parses (it
        refuses unknown fields). Only what the user set; the model's preset supplies the rest."""
        sampling: dict[str, Any] = {
            "num_frames": 1 if job.output == "image" else job.num_frames,
            "height": job.height,
            "width": job.width,
            "fps": job.fps,
            "seed": job.seed,
        }
        if job.steps is not None:
            sampling["num_inference_steps"] = job.steps
        request: dict[str, Any] = {
            "prompt": job.prompt,
            "sampling": sampling,
            "output": {
                # FastVideo writes exactly this file only if it ends in .mp4 and does not exist yet
                # (otherwise it treats it as a folder, or appends a numeric suffix).
                "output_path": str(self.generation_path(job)),
                "save_video": True,
                "return_frames": False,  # the default returns ~330 MB of frames per clip
            },
        }
        if job.negative_prompt:
            request["negative_prompt"] = job.negative_prompt  # never folded into the prompt
        if image_path:
            request["inputs"] = {"image_path": image_path}
        if end_image_path and self.profile.follows_end_keyframe:
            # FastVideo wants a PIL image there: the worker opens this path (fastvideo_worker.py).
            request.setdefault("inputs", {})["last_image_path"] = end_image_path
        return request

    @staticmethod
    def generation_path(job: BackendJob) -> Path:
        return job.out_path.with_name(job.out_path.name.removesuffix(".part").removesuffix(".mp4") + ".fastvideo.mp4")

    def warnings_for(self, job: BackendJob) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        if job.keyframe is not None and not self.profile.follows_keyframe:
            out.append(
                {
                    "code": "KEYFRAME_IGNORED",
                    "message": f"{self.config.model} does not condition on the keyframe (FastVideo issues #785, #1153): the clip follows the prompt only. Choose Wan-AI/Wan2.2-TI2V-5B-Diffusers for keyframe-faithful clips.",
                }
            )
        if job.end_keyframe is not None and not self.profile.follows_end_keyframe:
            out.append(
                {
                    "code": "END_KEYFRAME_IGNORED",
                    "message": f"{self.config.model} takes no end image (FastVideo 0.2.1 reads last_image only in first-and-last-frame pipelines): the clip starts on the start keyframe and ends where the model takes it. Render bookend shots with ComfyUI's first-and-last-frame workflow.",
                }
            )
        if (
            job.keyframe is not None
            and self.profile.image_max_area
            and job.width * job.height > self.profile.image_max_area
        ):
            out.append(
                {
                    "code": "SIZE_CHANGED",
                    "message": f"With a keyframe FastVideo resizes this model's output to at most 480x832 in area; {job.width}x{job.height} was asked for.",
                }
            )
        return out

    def run(self, job: BackendJob, progress: ProgressFn) -> BackendOutput:
        load_ms = self._ensure_loaded(job, progress)
        msg = self._generate(job, progress)
        with self._lock:
            self._gpu = msg.get("gpu") or self._gpu
        if msg["type"] == "error":
            self._raise_worker_error(msg)
        return self._output(job, msg, load_ms)

    def _generate(self, job: BackendJob, progress: ProgressFn) -> dict[str, Any]:
        """Writes the keyframes, sends the request to the worker and waits; on a result moves the video
        to the job's out_path. Returns the worker's last message (a result or an error)."""
        with tempfile.TemporaryDirectory(prefix="stv-keyframe-") as tmpdir:
            image_path = None
            if job.keyframe is not None:
                image_path = str(Path(tmpdir) / "keyframe.png")
                job.keyframe.save(image_path, compress_level=1)  # read once by FastVideo: speed over size
            end_image_path = None
            if job.end_keyframe is not None and self.profile.follows_end_keyframe:
                end_image_path = str(Path(tmpdir) / "end-keyframe.png")
                job.end_keyframe.save(end_image_path, compress_level=1)
            request = self.build_request(job, image_path, end_image_path)
            with self._lock:
                conn = self._conn
            if conn is None:
                raise AdapterError("EXECUTION_ERROR", "The FastVideo worker is not running.", "Restart the adapter.")
            try:
                conn.send({"type": "generate", "request": request})
            except OSError:
                self._restart_worker()
                raise AdapterError(
                    "EXECUTION_ERROR",
                    "The FastVideo worker had ended.",
                    "The adapter is loading the model again; render again when /health says ok.",
                ) from None
            gen_path = self.generation_path(job)
            try:
                msg = self._wait_for_result(job, progress, conn)
                if msg["type"] == "result":
                    written = Path(msg.get("videoPath") or gen_path)
                    if not written.is_file():
                        raise AdapterError(
                            "EXECUTION_ERROR",
                            f"FastVideo reported success but wrote no video at {written}.",
                            "See the adapter's log.",
                        )
                    progress("saving", 0.97)
                    if job.output == "image":
                        first_frame_png(written, job.out_path)
                        written.unlink(missing_ok=True)
                    else:
                        os.replace(written, job.out_path)
            finally:
                gen_path.unlink(missing_ok=True)
        return msg

    def _raise_worker_error(self, msg: dict[str, Any]) -> NoReturn:
        """Turns the worker's error message into an AdapterError, restarting the worker when it was fatal."""
        code = msg.get("code", "EXECUTION_ERROR")
        if msg.get("trace"):
            log.error(msg["trace"])
        reload_note = ""
        if msg.get("fatal"):
            # FastVideo's GPU worker died (an OOM there ends it): nothing of this generator is
            # usable. Ending the whole process tree frees every byte of GPU memory it held.
            self._restart_worker()
            reload_note = " FastVideo's worker ended, so the model is loading again (the next job waits for it)."
        if code == "CUDA_OOM":
            raise AdapterError("CUDA_OOM", f"The GPU ran out of memory: {msg.get('message')}.{reload_note}", OOM_HINT)
        raise AdapterError(
            code,
            f"FastVideo failed: {msg.get('message')}.{reload_note}",
            "See the adapter's log for the traceback.",
        )

    def _output(self, job: BackendJob, msg: dict[str, Any], load_ms: int) -> BackendOutput:
        """Books a finished job (timings, recycling) and describes its video, warning when the size changed."""
        self._jobs_since_load += 1
        gen_ms = int(msg.get("generateMs") or 0)
        self._ema_generate_ms = gen_ms if self._ema_generate_ms is None else 0.7 * self._ema_generate_ms + 0.3 * gen_ms
        size = msg.get("size") or []
        height, width = (int(size[0]), int(size[1])) if len(size) >= 2 else (job.height, job.width)
        self._maybe_recycle()
        warnings = self.warnings_for(job)
        if (width, height) != (job.width, job.height) and not any(w["code"] == "SIZE_CHANGED" for w in warnings):
            if job.keyframe is not None and self.profile.image_max_area:
                # FastVideo 0.2.1 sizes a TI2V clip from the image, not the request: the keyframe's
                # aspect ratio at up to 480x832 in area (pipelines/stages/input_validation.py:110).
                why = (
                    "with a keyframe FastVideo renders this model at the keyframe's aspect ratio and up to 480x832"
                    f" in area, whatever size is asked ({job.keyframe.width}x{job.keyframe.height} keyframe)"
                )
            else:
                why = "FastVideo chose another size"
            message = f"FastVideo rendered {width}x{height} instead of the requested {job.width}x{job.height}: {why}."
            warnings.append({"code": "SIZE_CHANGED", "message": message})
        return BackendOutput(
            width=width,
            height=height,
            num_frames=1 if job.output == "image" else job.num_frames,
            fps=job.fps,
            model_id=self.config.model,
            warnings=warnings,
            load_ms=load_ms,
            generate_ms=gen_ms,
            extra={
                "peakMemoryMb": msg.get("peakMemoryMb"),
                "attentionBackend": self.attention,
                "stageMs": msg.get("stageMs"),
            },
        )

    def _wait_for_result(self, job: BackendJob, progress: ProgressFn, conn: Any) -> dict[str, Any]:
        """Waits for the worker, turning FastVideo's stage log into progress (it has no step callback)."""
        t0 = time.perf_counter()
        stage: str | None = None
        stage_t0 = t0
        durations: dict[str, float] = {}
        progress("encoding-prompt", 0.03, message="FastVideo is starting the generation")
        while True:
            if job.cancel.is_set():
                # The worker would go on generating and answer this job's result to the next one:
                # end it, and reload the model for the next job.
                job.forced = self.force_stop()
                raise JobCancelled(
                    "The job was cancelled; FastVideo cannot interrupt a generation, so its worker was stopped and the model is reloading."
                )
            try:
                msg: dict[str, Any] | None = conn.recv() if conn.poll(0.25) else None  # the worker sends dicts
            except (EOFError, OSError):
                self._restart_worker()
                raise AdapterError(
                    "EXECUTION_ERROR",
                    "The FastVideo worker ended during the render.",
                    "Check the adapter's log; the host may be out of RAM. The model is loading again for the next job.",
                ) from None
            now = time.perf_counter()
            if msg is not None and msg.get("type") == "stage":
                if stage is not None:
                    durations[stage] = (now - stage_t0) * 1000
                stage, stage_t0 = msg["stage"], now
                ours, frac = STAGE_PROGRESS.get(stage, (None, None))
                if ours is not None and frac is not None:
                    progress(
                        ours,
                        frac,
                        eta_ms=self._eta_ms(stage, 0.0),
                        message=f"FastVideo: {stage.removesuffix('_stage').replace('_', ' ')}",
                    )
                continue
            if msg is not None:
                if stage is not None:
                    durations[stage] = (now - stage_t0) * 1000
                if msg.get("type") == "result":
                    for name, ms in durations.items():
                        prev = self._ema_stage_ms.get(name)
                        self._ema_stage_ms[name] = ms if prev is None else 0.7 * prev + 0.3 * ms
                    msg["stageMs"] = {k: int(v) for k, v in durations.items()}
                return msg
            # No message: estimate within the long stages from earlier runs, never past their end.
            elapsed = (now - stage_t0) * 1000
            if stage in STAGE_END and self._ema_stage_ms.get(stage):
                ours, start = STAGE_PROGRESS[stage]
                frac = start + (STAGE_END[stage] - start) * min(0.98, elapsed / self._ema_stage_ms[stage])
                progress(ours, frac, eta_ms=self._eta_ms(stage, elapsed))
            elif stage is None and self._ema_generate_ms:
                total = (now - t0) * 1000
                progress(
                    "denoising",
                    min(0.95, 0.05 + 0.9 * total / self._ema_generate_ms),
                    eta_ms=max(0, int(self._ema_generate_ms - total)),
                )

    def _eta_ms(self, stage: str, elapsed_in_stage: float) -> int | None:
        """Time left from earlier runs' stage durations; None until a run has been seen."""
        if not self._ema_stage_ms:
            return None
        names = list(STAGE_PROGRESS)
        later = names[names.index(stage) + 1 :] if stage in names else []
        left = max(0.0, self._ema_stage_ms.get(stage, 0.0) - elapsed_in_stage) + sum(
            self._ema_stage_ms.get(n, 0.0) for n in later
        )
        return int(left)

    def _maybe_recycle(self) -> None:
        reasons = []
        if self.config.recycle_after_jobs and self._jobs_since_load >= self.config.recycle_after_jobs:
            reasons.append(f"{self._jobs_since_load} jobs since load")
        if self.config.max_rss_mb and self._proc is not None:
            try:
                p = psutil.Process(self._proc.pid)
                rss = sum(c.memory_info().rss for c in [p, *p.children(recursive=True)]) // 2**20
                if rss > self.config.max_rss_mb:
                    reasons.append(f"worker RSS {rss} MB > {self.config.max_rss_mb} MB")
            except psutil.Error:
                pass
        if reasons:
            log.info("recycling the generator: %s", "; ".join(reasons))
            self._restart_worker()

    def _restart_worker(self) -> None:
        """Ends the worker's whole process tree (freeing its GPU memory) and loads the model again."""
        self._kill_worker()
        with self._lock:
            self._state = "idle"
        self._load_in_background()

    def force_stop(self) -> bool:
        """FastVideo cannot interrupt a generation: end the worker and reload the model."""
        log.warning("force-stopping the FastVideo worker; the model will reload")
        self._restart_worker()
        return True

    def close(self) -> None:
        """Asks the worker to shut FastVideo down (it ends its GPU workers gently, 5 s), then makes sure."""
        with self._lock:
            conn, proc = self._conn, self._proc
        if conn is not None and proc is not None and proc.is_alive():
            try:
                conn.send({"type": "shutdown"})
                proc.join(timeout=10)
            except OSError:
                pass
        self._kill_worker()
