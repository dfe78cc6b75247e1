"""The adapter's wire format (camelCase JSON), as pydantic v2 models. The OpenAPI document at
/openapi.json is generated from these and is the API's reference."""

from __future__ import annotations

import re
from typing import Any, Literal, TypeGuard, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from . import validation

SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_PROMPT = 4000
# base64 is 4/3 of the bytes; the decoded keyframe bound is enforced separately (keyframe.py).
MAX_KEYFRAME_B64_CHARS = 48 * 1024 * 1024


# What a job makes: a clip (MP4, the default) or one keyframe image (PNG).
OutputKind = Literal["video", "image"]


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class GenerateRequest(CamelModel):
    prompt: str = Field(
        min_length=1, max_length=MAX_PROMPT, examples=["A lighthouse at dusk, waves rolling in, slow push-in"]
    )
    negative_prompt: str | None = Field(
        default=None, max_length=MAX_PROMPT, description="Goes to the model's negative prompt, never into the prompt."
    )
    keyframe_base64: str | None = Field(
        default=None,
        max_length=MAX_KEYFRAME_B64_CHARS,
        description="PNG, JPEG or WebP bytes, base64 (a data: URL prefix is accepted).",
    )
    end_keyframe_base64: str | None = Field(
        default=None,
        max_length=MAX_KEYFRAME_B64_CHARS,
        description="The end keyframe (bookends): the clip's last frame where the model can; otherwise an END_KEYFRAME_IGNORED warning.",
    )
    # Bounds in the schema so clients (and fuzzers) see them; the 4k+1 rule cannot be said in JSON
    # Schema and is checked below. Messages name the nearest valid values (see app._validation_message).
    width: int = Field(
        default=1280,
        ge=validation.MIN_SIDE,
        le=validation.MAX_SIDE,
        multiple_of=validation.SIZE_MULTIPLE,
        description="A multiple of 16 between 256 and 1920.",
    )
    height: int = Field(
        default=704,
        ge=validation.MIN_SIDE,
        le=validation.MAX_SIDE,
        multiple_of=validation.SIZE_MULTIPLE,
        description="A multiple of 16 between 256 and 1920.",
    )
    num_frames: int = Field(
        default=121, ge=validation.MIN_FRAMES, le=validation.MAX_FRAMES, description="4k+1 between 5 and 241."
    )
    fps: int = Field(default=24, ge=validation.MIN_FPS, le=validation.MAX_FPS)
    seed: int = Field(ge=0, le=2**32 - 1, description="Recorded in the sidecar; the client picks random seeds.")
    steps: int | None = Field(
        default=None, ge=1, le=100, description="Denoising steps; the model's default when absent."
    )
    scene_id: str | None = Field(
        default=None, max_length=64, description="Safe path segment; used in the output file name."
    )
    output_dir: str | None = Field(
        default=None, max_length=512, description="Relative to the adapter's output root; must stay inside it."
    )
    output: OutputKind = Field(
        default="video",
        description='"image": one PNG at width x height (a keyframe drawn from the prompt), served at '
        "/jobs/{id}/image; numFrames and fps are then not used, and no keyframe may be sent. "
        "/health's makesKeyframes says whether this backend can.",
    )

    @field_validator("scene_id")
    @classmethod
    def _safe_scene_id(cls, v: str | None) -> str | None:
        if v is not None and (not SAFE_SEGMENT.match(v) or ".." in v):
            raise ValueError("sceneId must be letters, digits, '.', '_' or '-' (at most 64), without '..'")
        return v

    @model_validator(mode="after")
    def _model_can_take_it(self) -> GenerateRequest:
        image = self.output == "image"
        problems = [
            p
            for p in (
                validation.side_problem("width", self.width),
                validation.side_problem("height", self.height),
                None if image else validation.frames_problem(self.num_frames),
                # An image is drawn from the prompt alone: a keyframe sent with it would be ignored silently.
                "An image job (output: image) takes no keyframeBase64 or endKeyframeBase64."
                if image and (self.keyframe_base64 or self.end_keyframe_base64)
                else None,
            )
            if p
        ]
        if problems:
            raise ValueError(" ".join(problems))
        return self


class ErrorBody(CamelModel):
    code: str
    message: str
    hint: str | None = None


class ErrorResponse(CamelModel):
    error: ErrorBody


Stage = Literal["queued", "loading", "encoding-prompt", "denoising", "decoding", "encoding", "saving", "done"]
JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
BackendName = Literal["fastvideo", "preview"]


def is_stage(value: str) -> TypeGuard[Stage]:
    """Backends report stages as plain strings (ProgressFn); this narrows one to the wire vocabulary."""
    return value in get_args(Stage)


def backend_name(value: str) -> BackendName:
    if value == "preview":
        return "preview"
    if value == "fastvideo":
        return "fastvideo"
    raise ValueError(f"unknown backend name {value!r}")


class Progress(CamelModel):
    stage: Stage = "queued"
    fraction: float = Field(default=0.0, ge=0.0, le=1.0)
    step: int | None = None
    total_steps: int | None = None
    eta_ms: int | None = None
    message: str | None = None
    emitted_at: float | None = Field(
        default=None, description="When the backend reported this, in ms since the epoch (for latency measurements)."
    )


# Codes of render warnings: the same list as WARNING_CODES in src/core/providers/types.ts (a test checks).
RENDER_WARNING_CODES = ("KEYFRAME_IGNORED", "END_KEYFRAME_IGNORED", "SIZE_CHANGED", "SEED_CHANGED", "NOT_AI", "OTHER")


class Warning_(CamelModel):
    code: str
    message: str


class Timings(CamelModel):
    queue_ms: int = 0
    load_ms: int = 0
    generate_ms: int = 0
    encode_ms: int = 0
    total_ms: int = 0


class GenerateResult(CamelModel):
    status: Literal["succeeded"] = "succeeded"
    job_id: str
    output: OutputKind = "video"
    output_video_path: str | None = Field(default=None, description="The MP4 of a video job.")
    output_image_path: str | None = Field(default=None, description="The PNG of an image job (output: image).")
    sidecar_path: str
    frames: int
    fps: int
    width: int
    height: int
    duration_ms: int
    seed: int
    model_id: str
    backend: str
    warnings: list[Warning_] = []
    timings: Timings


class Job(CamelModel):
    job_id: str
    status: JobStatus
    progress: Progress
    queue_position: int | None = None
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    result: GenerateResult | None = None
    error: ErrorBody | None = None
    forced: bool = False


class JobAccepted(CamelModel):
    job_id: str
    status: Literal["queued"] = "queued"
    queue_position: int


class GpuInfo(CamelModel):
    name: str
    memory_free_mb: int
    memory_total_mb: int


class MemoryInfo(CamelModel):
    rss_mb: int


class BackendHealth(BaseModel):
    """What Backend.health() reports (snake_case keys), validated before it goes into Health."""

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())
    status: Literal["ok", "loading", "error"]
    model_id: str
    model_profile: str
    model_loaded: bool
    follows_keyframe: bool
    attention_backend: str | None = None
    device: str
    gpu: GpuInfo | None = None
    error: ErrorBody | None = None
    warnings: list[Warning_] = []
    details: dict[str, Any] = {}


# A cluster worker's states (one source: the pool and /health both use this).
WorkerState = Literal["starting", "idle", "busy", "restarting", "dead"]


class ClusterNode(CamelModel):
    node_id: str
    ip: str
    alive: bool
    cpus: float
    gpus: float


class ClusterWorker(CamelModel):
    name: str
    state: WorkerState
    node_id: str | None = None
    node_ip: str | None = None
    job_id: str | None = None
    jobs_done: int = 0
    gpus: int = Field(0, description="GPUs this worker holds (num_gpus); 0 on a CPU worker (preview backend).")
    gpu: GpuInfo | None = None
    error: str | None = None


class ClusterHealth(CamelModel):
    """The Ray cluster behind a front-door adapter (serve --cluster ray)."""

    kind: Literal["ray"] = "ray"
    address: str | None = Field(None, description="The Ray cluster's address (GCS); None before it is reached.")
    gpus_per_worker: int
    nodes: list[ClusterNode]
    workers: list[ClusterWorker]
    workers_ready: int = Field(description="Workers that take jobs: idle or busy.")
    workers_busy: int


class Health(CamelModel):
    status: Literal["ok", "loading", "error"]
    backend: Literal["fastvideo", "preview"]
    is_ai: bool
    model_id: str
    model_profile: str
    model_loaded: bool
    follows_keyframe: bool
    makes_keyframes: bool = Field(description="Whether image jobs (output: image) can run on this backend.")
    keyframes_problem: str | None = Field(
        default=None, description="Why not, when makesKeyframes is false, and what can make keyframes instead."
    )
    attention_backend: str | None
    device: str
    gpu: GpuInfo | None
    memory: MemoryInfo
    queue_depth: int
    max_queue: int
    running_job_id: str | None
    version: str
    output_root: str | None
    error: ErrorBody | None = None
    warnings: list[Warning_] = Field(
        default=[],
        description="What a user should know about this backend/model, e.g. NOT_AI (preview), KEYFRAME_IGNORED (FastWan).",
    )
    details: dict[str, Any] = {}
    cluster: ClusterHealth | None = Field(
        None, description="Present on a front door of a Ray cluster: its nodes and worker actors."
    )


class HealthAlive(CamelModel):
    """/health for a caller without the token of a token adapter: alive, and nothing more (not
    its model, queue, jobs or paths)."""

    status: Literal["alive"] = "alive"
    token_required: Literal[True] = True
