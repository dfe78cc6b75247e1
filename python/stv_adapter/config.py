"""Adapter configuration, from the command line and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PORT = 8055
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def default_home() -> Path:
    """Where the adapter keeps its outputs by default: ~/.scene-to-video (STV_HOME overrides)."""
    env = os.environ.get("STV_HOME")
    if env:
        return Path(env).expanduser()
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "SceneToVideo"
    return Path.home() / ".scene-to-video"


@dataclass
class AdapterConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    backend: str = "fastvideo"  # or "preview"
    model: str = "FastVideo/FastWan2.2-TI2V-5B-Diffusers"
    model_path: str | None = None
    output_root: Path = field(default_factory=lambda: default_home() / "outputs")
    artifacts_dir: Path = field(default_factory=lambda: Path("artifacts") / "fastvideo")
    token: str | None = None
    # Extra names the adapter answers to (Host and Origin checks, security.HostPolicy): an SSH
    # tunnel's or a LAN name. '*' turns the check off.
    allowed_hosts: list[str] = field(default_factory=list)
    attention_backend: str | None = None  # None: what FastVideo uses for the model
    lazy: bool = False
    max_queue: int = 32
    history_size: int = 500
    max_body_bytes: int = 64 * 1024 * 1024
    max_keyframe_bytes: int = 32 * 1024 * 1024
    max_keyframe_pixels: int = 40_000_000
    # FastVideo memory options (defaults suit a 16-24 GB card).
    dit_cpu_offload: bool = True
    vae_cpu_offload: bool = True
    text_encoder_cpu_offload: bool = True
    pin_cpu_memory: bool = False  # True causes "CUDA error: invalid argument" for some users
    use_fsdp_inference: bool = False
    num_gpus: int = 1
    recycle_after_jobs: int = 0  # 0: never
    max_rss_mb: int = 0  # 0: no bound
    # serve --cluster ray: the adapter is the front door of a Ray cluster (stv_adapter.cluster).
    cluster: str | None = None  # None: the single-process adapter; "ray"
    ray_address: str | None = None  # "auto", "HOST:PORT"; None: start a Ray instance on this box, loopback only
    gpus_per_worker: int = 1  # K: one worker actor per K GPUs, each rendering a clip on its K GPUs
    cluster_workers: int = 0  # 0: one per K GPUs in the cluster (one per node where it has no GPU)
    cluster_max_restarts: int = 3  # how often Ray restarts a lost or force-stopped worker
    # Preview backend speed knob for benchmarks and tests: 0 = as fast as possible.
    preview_crf: int = 20

    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")
