"""What we know about each model the adapter can load, from FastVideo's source and issues.

FastWan2.2-TI2V-5B is DMD-distilled (3 fixed denoising steps) and its pipeline has no first-frame
conditioning: FastVideo issues #785, #1153 and #806 (wontfix) say it was trained on text-to-video
data only, so it IGNORES the keyframe. With an image, FastVideo 0.2.1 sizes the output of both TI2V
models from the image (its aspect ratio at up to 480x832 in area), not from the request. The base
Wan-AI/Wan2.2-TI2V-5B-Diffusers pipeline (50 steps) does use the image.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ModelProfile:
    profile: str
    hub_ids: tuple[str, ...]  # accepted ids; the first that exists locally wins
    follows_keyframe: bool
    default_steps: int
    image_max_area: int | None  # FastVideo caps the output area when an image is given
    default_attention: str
    description: str
    # FastVideo 0.2.1 reads an end image (`last_image`, a PIL image) only in its MiniMax-H3
    # first-and-last-frame pipeline; the Wan 2.2 TI2V pipelines ignore it, so neither profile here
    # takes one and a request with an end keyframe gets END_KEYFRAME_IGNORED.
    follows_end_keyframe: bool = False


FASTWAN = ModelProfile(
    profile="fastwan-ti2v-5b",
    # FastVideo's registry maps both ids to one config; the public hub repository is the FullAttn one.
    hub_ids=("FastVideo/FastWan2.2-TI2V-5B-FullAttn-Diffusers", "FastVideo/FastWan2.2-TI2V-5B-Diffusers"),
    follows_keyframe=False,
    default_steps=3,
    image_max_area=480 * 832,
    default_attention="FLASH_ATTN",
    description="FastWan2.2-TI2V-5B (DMD, 3 steps, fast; ignores the keyframe)",
)
WAN22_BASE = ModelProfile(
    profile="wan22-ti2v-5b",
    hub_ids=("Wan-AI/Wan2.2-TI2V-5B-Diffusers",),
    follows_keyframe=True,
    default_steps=50,
    image_max_area=480 * 832,  # FastVideo 0.2.1 caps every ti2v_task config (input_validation.py:110), base included
    default_attention="FLASH_ATTN",
    description="Wan2.2-TI2V-5B base (50 steps, slower; follows the keyframe)",
)
PROFILES = (FASTWAN, WAN22_BASE)
# What a model folder must hold for the adapter to use it.
EXPECTED_ENTRIES = ("model_index.json", "transformer", "vae", "text_encoder", "tokenizer")
# Everything FastVideo's Wan pipelines load (their _required_config_modules): the dry run checks these.
PIPELINE_ENTRIES = (*EXPECTED_ENTRIES, "scheduler")

# Kernels each attention backend needs; FLASH_ATTN silently falls back to TORCH_SDPA without them.
ATTENTION_MODULES = {
    "FLASH_ATTN": "flash_attn",
    "SAGE_ATTN": "sageattention",
    "VIDEO_SPARSE_ATTN": "fastvideo_kernel",
    "TORCH_SDPA": None,
}


def known_folder_names() -> set[str]:
    return {i.split("/")[-1].lower() for p in PROFILES for i in p.hub_ids}


def profile_for(model_id: str) -> ModelProfile:
    for p in PROFILES:
        if model_id in p.hub_ids or model_id == p.profile:
            return p
    # A local folder or an unknown id: assume FastWan-like behaviour only if its name says so.
    return FASTWAN if "fastwan" in model_id.lower() else WAN22_BASE


def fastvideo_home() -> Path:
    return Path(os.environ.get("FASTVIDEO_HOME", Path.home() / ".cache" / "fastvideo")).expanduser()


def hf_cache_dir(hub_id: str) -> Path:
    hub = Path(
        os.environ.get("HF_HUB_CACHE")
        or Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface")) / "hub"
    )
    return hub / ("models--" + hub_id.replace("/", "--"))


def candidate_dirs(hub_id: str) -> list[Path]:
    name = hub_id.split("/")[-1]
    dirs = [fastvideo_home() / name, fastvideo_home() / hub_id]
    snaps = hf_cache_dir(hub_id) / "snapshots"
    if snaps.is_dir():
        dirs.extend(sorted((p for p in snaps.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True))
    return dirs


def missing_entries(folder: Path) -> list[str]:
    return [e for e in EXPECTED_ENTRIES if not (folder / e).exists()]


def canonical_hub_id(model_id: str) -> str:
    """The id to download: FastWan's public hub repository is the FullAttn one, whichever id was asked for."""
    profile = profile_for(model_id)
    return profile.hub_ids[0] if model_id in profile.hub_ids else model_id


def locate_model(model_id: str, model_path: str | None) -> tuple[str | None, str, list[str]]:
    """Returns (path to load or None, which id/folder was found or is to be downloaded, notes)."""
    notes: list[str] = []
    if model_path:
        folder = Path(model_path).expanduser()
        missing = missing_entries(folder) if folder.is_dir() else list(EXPECTED_ENTRIES)
        if not missing:
            if folder.name.lower() not in known_folder_names():
                # FastVideo picks the pipeline config by the folder's name first (registry.py).
                notes.append(
                    f"FastVideo chooses the pipeline by the folder name; {folder.name!r} is not one it knows, so it falls back to model_index.json. "
                    f"Name the folder {profile_for(model_id).hub_ids[0].split('/')[-1]} to be sure."
                )
            return str(folder), str(folder), notes
        notes.append(f"{folder} is missing {', '.join(missing)}")
        return None, str(folder), notes
    profile = profile_for(model_id)
    ids = [model_id] + [i for i in profile.hub_ids if i != model_id] if model_id in profile.hub_ids else [model_id]
    for hub_id in ids:
        for folder in candidate_dirs(hub_id):
            if folder.is_dir() and not missing_entries(folder):
                if hub_id != model_id:
                    notes.append(
                        f"{model_id} not found locally; using {hub_id}, which FastVideo maps to the same config"
                    )
                return str(folder), hub_id, notes
    return None, canonical_hub_id(model_id), notes


def load_target(path: str, hub_id: str) -> tuple[str, bool]:
    """What to hand to from_pretrained, and whether the Hugging Face hub must stay offline.

    A Hugging Face cache snapshot is named by its commit hash, and FastVideo matches a local folder
    to its pipeline config by name: pass the hub id instead (an exact registry match) and keep the
    hub offline so FastVideo resolves it from the cache we just checked."""
    folder = Path(path)
    if folder.parent.name == "snapshots" and folder.parent.parent.name.startswith("models--") and "/" in hub_id:
        return hub_id, True
    return path, False


def download_command(hub_id: str, local_dir: str | None = None) -> str:
    """The exact command that puts the model where the adapter looks (resumable: rerun it after a break)."""
    hub_id = canonical_hub_id(hub_id)
    name = hub_id.split("/")[-1]
    return f'hf download {hub_id} --local-dir "{local_dir or fastvideo_home() / name}"'


def effective_attention(requested: str | None, profile: ModelProfile) -> tuple[str, list[str]]:
    """The backend FastVideo will really use, and why (it ignores unknown names and falls back silently)."""
    notes: list[str] = []
    if requested and requested.strip().lower() == "auto":  # the extension's setting for "FastVideo's choice"
        requested = None
    name = (requested or profile.default_attention).upper()
    if name not in ATTENTION_MODULES:
        notes.append(f"unknown attention backend {name!r}: FastVideo ignores unknown names; using its default")
        name = profile.default_attention
    module = ATTENTION_MODULES[name]
    if module and importlib.util.find_spec(module) is None:
        if name == "FLASH_ATTN":
            notes.append("flash-attn is not installed: FastVideo falls back to TORCH_SDPA")
            return "TORCH_SDPA", notes
        notes.append(f"{name} needs the '{module}' package, which is not installed")
    return name, notes
