"""The preview backend: CPU, no AI. It animates the keyframe (or a title card drawn from the prompt)
with a seeded camera move and encodes a real H.264 MP4 with the ffmpeg that ships inside the
imageio-ffmpeg wheel. It exists for drafts, demos and for testing the whole pipeline without a GPU."""

from __future__ import annotations

import math
import random
import subprocess
import tempfile
import textwrap
import time
from typing import Any

import imageio_ffmpeg
from PIL import Image, ImageDraw, ImageFont

from ..childproc import popen_kwargs
from ..errors import AdapterError, JobCancelled
from . import BackendJob, BackendOutput, ProgressFn
from .preview_keyframe import MODEL_ID as KEYFRAME_MODEL_ID
from .preview_keyframe import keyframe_image

MODEL_ID = "preview (not AI: keyframe camera move)"
OVERSCAN = 1.18  # the source is drawn this much larger than the frame so the camera can move


def _ease(t: float) -> float:
    """Ease in and out over t in [0, 1]; command() writes the same curve as an ffmpeg expression."""
    return 0.5 - 0.5 * math.cos(math.pi * t)


def title_card(prompt: str, width: int, height: int, seed: int) -> Image.Image:
    rnd = random.Random(seed)
    top = tuple(rnd.randrange(20, 90) for _ in range(3))
    bottom = tuple(rnd.randrange(110, 220) for _ in range(3))
    grad = Image.linear_gradient("L").resize((width, height))
    img = Image.composite(Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), grad)
    draw = ImageDraw.Draw(img)
    size = max(14, height // 14)
    try:
        font: Any = ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        font = ImageFont.load_default()
    lines = textwrap.wrap(prompt, width=max(16, int(width / (size * 0.55))))[:6]
    y = (height - len(lines) * size * 1.3) / 2
    for line in lines:
        draw.text((width / 2, y), line, fill=(245, 245, 245), font=font, anchor="ma")
        y += size * 1.3
    return img


def cover(img: Image.Image, width: int, height: int) -> Image.Image:
    """`img` scaled to cover width x height and centre-cropped to it, as the models take a keyframe."""
    scale = max(width / img.width, height / img.height)
    sw, sh = max(width, round(img.width * scale)), max(height, round(img.height * scale))
    left, top = (sw - width) // 2, (sh - height) // 2
    return img.convert("RGB").resize((sw, sh), Image.Resampling.BICUBIC).crop((left, top, left + width, top + height))


def rawvideo_input(size: str, source: str) -> list[str]:
    """An ffmpeg input of raw rgb24 frames of `size` (WxH) from `source` (a file, or "-" for stdin)."""
    return ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", size, "-i", source]


def write_raw(img: Image.Image, folder: str) -> str:
    """Writes one rgb24 frame for ffmpeg's rawvideo input; returns its path."""
    path = f"{folder}/end.rgb"
    with open(path, "wb") as f:
        f.write(img.tobytes())
    return path


def camera_path(
    seed: int, src_w: int, src_h: int, out_w: int, out_h: int
) -> tuple[tuple[float, float, float, float], tuple[float, float, float, float]]:
    """Start and end crop boxes in source pixels for one of a few seeded moves."""
    rnd = random.Random(seed)
    move = rnd.choice(["push-in", "pull-out", "pan-right", "pan-left", "tilt-down", "tilt-up"])
    full_w, full_h = src_w, src_h
    tight_w, tight_h = full_w / OVERSCAN, full_h / OVERSCAN

    def box(cx: float, cy: float, w: float, h: float) -> tuple[float, float, float, float]:
        return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)

    cx, cy = full_w / 2, full_h / 2
    dx, dy = (full_w - tight_w) / 2, (full_h - tight_h) / 2
    if move == "push-in":
        return box(cx, cy, full_w, full_h), box(cx, cy, tight_w, tight_h)
    if move == "pull-out":
        return box(cx, cy, tight_w, tight_h), box(cx, cy, full_w, full_h)
    if move == "pan-right":
        return box(cx - dx, cy, tight_w, tight_h), box(cx + dx, cy, tight_w, tight_h)
    if move == "pan-left":
        return box(cx + dx, cy, tight_w, tight_h), box(cx - dx, cy, tight_w, tight_h)
    if move == "tilt-down":
        return box(cx, cy - dy, tight_w, tight_h), box(cx, cy + dy, tight_w, tight_h)
    return box(cx, cy + dy, tight_w, tight_h), box(cx, cy - dy, tight_w, tight_h)


class PreviewBackend:
    name = "preview"
    is_ai = False
    makes_keyframes = True
    keyframes_problem: str | None = None

    def __init__(self, crf: int = 20) -> None:
        self.crf = crf
        self.ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:  # nothing to load
        pass

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "model_id": MODEL_ID,
            "model_profile": "preview",
            "model_loaded": True,
            "follows_keyframe": True,
            "attention_backend": None,
            "device": "cpu",
            "gpu": None,
            "warnings": [
                {
                    "code": "NOT_AI",
                    "message": "The preview backend is not AI: it animates the keyframe (or a title card) with a camera move, for drafts and tests.",
                }
            ],
            "details": {
                "keyframes": "drawn from the prompt and seed (not AI)",
                "ffmpeg": self.ffmpeg,
                "note": "The preview backend is not AI: it animates the keyframe with a camera move.",
            },
        }

    def source_image(self, job: BackendJob) -> Image.Image:
        """The frame-shaped region the camera moves over: the keyframe (or a title card) scaled to
        cover the frame at OVERSCAN, centre-cropped to the frame's aspect ratio."""
        src = job.keyframe if job.keyframe is not None else title_card(job.prompt, job.width, job.height, job.seed)
        scale = max(job.width / src.width, job.height / src.height) * OVERSCAN
        region_w, region_h = round(job.width * OVERSCAN), round(job.height * OVERSCAN)
        # The source box that becomes the region, centred; resize() reads only that box, so the
        # image made here is the region's size whatever the keyframe's shape (memory proportional
        # to the output: scaling the whole keyframe first took 7 GB for a 20000x1 one).
        box_w, box_h = min(src.width, region_w / scale), min(src.height, region_h / scale)
        left, top = (src.width - box_w) / 2, (src.height - box_h) / 2
        rgb = src if src.mode == "RGB" else src.convert("RGB")
        return rgb.resize((region_w, region_h), Image.Resampling.BICUBIC, box=(left, top, left + box_w, top + box_h))

    def command(self, job: BackendJob, region: Image.Image) -> list[str]:
        """ffmpeg draws the move itself (zoompan over the one region frame read from stdin), so no
        frame crosses the pipe: Python only feeds the region and reads progress."""
        (x0, y0, x1, y1), (x2, y2, x3, y3) = camera_path(job.seed, region.width, region.height, job.width, job.height)
        n = job.num_frames
        e = f"(0.5-0.5*cos(PI*on/{max(1, n - 1)}))"  # _ease() of output frame `on`

        def lerp(a: float, b: float) -> str:
            return f"({a:.4f}+({b - a:.4f})*{e})"

        zoom = f"{region.width}/{lerp(x1 - x0, x3 - x2)}"  # zoompan crops iw/zoom: the box's width
        vf = (
            # zoompan crops on whole pixels (+0.5 rounds instead of truncating); in yuv420p it would
            # snap to even ones, so it works in full-resolution chroma.
            "format=yuv444p,"
            f"zoompan=z='{zoom}':x='{lerp(x0, x2)}+0.5':y='{lerp(y0, y2)}+0.5':d={n}:s={job.width}x{job.height}:fps={job.fps}"
        )
        return [
            *self.quiet_ffmpeg(),
            *rawvideo_input(f"{region.width}x{region.height}", "-"),
            "-vf",
            vf,
            "-frames:v",
            str(n),
            *self.encode_args(job),
        ]

    def quiet_ffmpeg(self) -> list[str]:
        """ffmpeg that overwrites its output and prints only errors: progress comes from -progress."""
        return [self.ffmpeg, "-hide_banner", "-loglevel", "error", "-nostats", "-y"]

    def encode_args(self, job: BackendJob) -> list[str]:
        """The H.264 encode both clip kinds end with, progress on stdout for the progress bar."""
        return [
            "-an",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            str(self.crf),
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            "-progress",
            "pipe:1",
            "-stats_period",
            "0.05",
            "-f",
            "mp4",
            str(job.out_path),
        ]

    def bookend_command(self, job: BackendJob, end_raw: str) -> list[str]:
        """A clip that goes from the start keyframe (stdin, one rgb24 frame at the render size) to
        the end keyframe (`end_raw`, the same) with an eased dissolve: frame 0 is the start image,
        the last frame the end image, so the whole bookend path is testable without a GPU."""
        n = job.num_frames
        size = f"{job.width}x{job.height}"
        ease = f"(0.5-0.5*cos(PI*N/{max(1, n - 1)}))"  # _ease() of frame N, as in command()
        hold = f"loop=loop={n - 1}:size=1:start=0,setpts=N/({job.fps}*TB),format=gbrp"
        graph = f"[0:v]{hold}[a];[1:v]{hold}[b];[a][b]blend=all_expr='A+(B-A)*{ease}',format=yuv420p[v]"
        return [
            *self.quiet_ffmpeg(),
            *rawvideo_input(size, "-"),
            *rawvideo_input(size, end_raw),
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-frames:v",
            str(n),
            "-r",
            str(job.fps),
            *self.encode_args(job),
        ]

    def run_image(self, job: BackendJob, progress: ProgressFn) -> BackendOutput:
        """An image job: the prompt's still (preview_keyframe), saved as a PNG to out_path."""
        t0 = time.perf_counter()
        progress("saving", 0.5)
        keyframe_image(job.prompt, job.width, job.height, job.seed).save(job.out_path, format="PNG")
        return BackendOutput(
            width=job.width,
            height=job.height,
            num_frames=1,
            fps=job.fps,
            model_id=KEYFRAME_MODEL_ID,
            warnings=[
                {
                    "code": "NOT_AI",
                    "message": "Drawn by the preview backend from the prompt and seed, not by an AI model.",
                }
            ],
            encode_ms=int((time.perf_counter() - t0) * 1000),
        )

    def run(self, job: BackendJob, progress: ProgressFn) -> BackendOutput:
        if job.output == "image":
            return self.run_image(job, progress)
        t0 = time.perf_counter()
        # Bookends: a dissolve from the start keyframe to the end one (bookend_command); else the camera move.
        region = (
            self.source_image(job)
            if job.end_keyframe is None
            else cover(job.keyframe or title_card(job.prompt, job.width, job.height, job.seed), job.width, job.height)
        )
        n = job.num_frames
        with tempfile.TemporaryFile() as err, tempfile.TemporaryDirectory(prefix="stv-bookend-") as scratch:
            cmd = (
                self.command(job, region)
                if job.end_keyframe is None
                else self.bookend_command(job, write_raw(cover(job.end_keyframe, job.width, job.height), scratch))
            )
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, **popen_kwargs())
            self._proc = proc
            assert proc.stdin is not None and proc.stdout is not None
            try:
                try:
                    proc.stdin.write(region.tobytes())
                    proc.stdin.close()
                except BrokenPipeError:
                    pass  # ffmpeg ended early; its exit code and stderr say why below
                # `-progress` writes key=value blocks; "frame=" says how many frames are encoded.
                for line in proc.stdout:
                    if job.cancel.is_set():
                        raise JobCancelled("The job was cancelled while encoding.")
                    if line.startswith(b"frame="):
                        done = min(n, int(line[6:] or 0))
                        if done:
                            progress("encoding", done / n * 0.97, step=done, total_steps=n)
                rc = proc.wait()
                if job.cancel.is_set():
                    raise JobCancelled("The job was cancelled while encoding.")
            except BaseException:
                proc.kill()
                proc.wait()
                raise
            finally:
                self._proc = None
            if rc != 0:
                err.seek(0)
                msg = err.read().decode(errors="replace").strip()[-500:]
                if "No space left" in msg:
                    raise AdapterError(
                        "DISK_FULL",
                        "The disk filled up while encoding the video.",
                        "Free disk space; earlier renders were not touched.",
                    )
                raise AdapterError(
                    "EXECUTION_ERROR",
                    f"ffmpeg failed (exit {rc}): {msg}",
                    "Check the adapter's log; the output folder must be writable.",
                )
        encode_ms = int((time.perf_counter() - t0) * 1000)
        return BackendOutput(
            width=job.width,
            height=job.height,
            num_frames=job.num_frames,
            fps=job.fps,
            model_id=MODEL_ID,
            warnings=[
                {
                    "code": "NOT_AI",
                    "message": "Rendered by the preview backend: the keyframe animated with a camera move, not an AI model.",
                }
            ],
            encode_ms=encode_ms,
            generate_ms=0,
        )

    def force_stop(self) -> bool:
        # Preview jobs stop cooperatively between frames; nothing needs a reload.
        return False

    def close(self) -> None:
        proc = self._proc
        if proc and proc.poll() is None:
            proc.kill()
