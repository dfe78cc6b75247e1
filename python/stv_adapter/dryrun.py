"""`serve --dry-run`: checks everything a render needs without loading weights, and prints the
command that fixes each missing piece. Exit status 1 when anything is missing."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import platform
import shutil
import sys
from dataclasses import dataclass

from .config import AdapterConfig
from .model_profiles import (
    ATTENTION_MODULES,
    PIPELINE_ENTRIES,
    download_command,
    effective_attention,
    fastvideo_home,
    locate_model,
    missing_entries,
    profile_for,
)

INSTALL_GPU = 'scripts/setup-fastvideo.sh (or, from the repository root: pip install -e "./python[gpu]")'


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str | None = None


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _python_and_disk_checks(config: AdapterConfig) -> list[Check]:
    """The checks every backend needs: a supported Python and room for outputs."""
    checks: list[Check] = []
    py_ok = (3, 10) <= sys.version_info[:2] <= (3, 12)
    checks.append(
        Check(
            "python",
            py_ok,
            f"{platform.python_version()} ({sys.executable})",
            None if py_ok else "FastVideo supports Python 3.10-3.12: create the environment with one of those.",
        )
    )
    free_gb = (
        shutil.disk_usage(
            config.output_root
            if config.output_root.exists()
            else config.output_root.parent
            if config.output_root.parent.exists()
            else "."
        ).free
        / 2**30
    )
    checks.append(
        Check(
            "disk",
            free_gb >= 1,
            f"{free_gb:.1f} GB free for outputs at {config.output_root}",
            None if free_gb >= 1 else "Free disk space or choose another --output-root.",
        )
    )
    return checks


def _torch_checks() -> list[Check]:
    """torch with CUDA, a visible GPU, and enough VRAM for the FastVideo backend."""
    checks: list[Check] = []
    torch_v = _version("torch")
    if torch_v is None:
        checks.append(
            Check(
                "torch",
                False,
                "not installed",
                f"{INSTALL_GPU} (see docs/setup-linux.md for the CUDA build matching your driver)",
            )
        )
    else:
        try:
            import torch

            cuda = torch.cuda.is_available()
            detail = f"{torch_v}, built for CUDA {torch.version.cuda}"
            checks.append(
                Check(
                    "torch",
                    torch.version.cuda is not None,
                    detail,
                    None
                    if torch.version.cuda
                    else "This torch has no CUDA: install the CUDA build (docs/troubleshooting.md#torch-cuda-mismatch).",
                )
            )
            if cuda:
                free, total = torch.cuda.mem_get_info()
                name = torch.cuda.get_device_name(0)
                checks.append(Check("gpu", True, f"{name}, {free / 2**30:.1f} of {total / 2**30:.1f} GB free"))
                if total < 15 * 2**30:
                    checks.append(
                        Check(
                            "vram",
                            False,
                            f"{total / 2**30:.0f} GB: FastWan2.2-TI2V-5B needs about 16 GB with CPU offload",
                            "Use a 16 GB+ card, or the preview backend for drafts.",
                        )
                    )
            else:
                checks.append(
                    Check(
                        "gpu",
                        False,
                        "torch.cuda.is_available() is False",
                        "Update the NVIDIA driver; under WSL2 install the Windows driver (it provides CUDA inside WSL). See docs/troubleshooting.md#torch-cuda-mismatch.",
                    )
                )
        except Exception as e:  # a broken torch install must not crash the dry run
            checks.append(Check("torch", False, f"import failed: {e}", "Reinstall torch for your CUDA version."))
    return checks


def _model_checks(config: AdapterConfig) -> list[Check]:
    """The model weights: found locally, and complete enough for FastVideo's Wan pipeline."""
    checks: list[Check] = []
    path, found, notes = locate_model(config.model, config.model_path)
    if path:
        checks.append(Check("model", True, f"{found} at {path}" + (f" ({'; '.join(notes)})" if notes else "")))
        from pathlib import Path

        incomplete = [e for e in PIPELINE_ENTRIES if not (Path(path) / e).exists()]
        if incomplete:
            checks.append(
                Check(
                    "model files",
                    False,
                    f"{path} lacks {', '.join(incomplete)}, which FastVideo's Wan pipeline loads",
                    f"Finish the download (it resumes): {download_command(config.model, path) if config.model_path else download_command(found)}",
                )
            )
    else:
        from pathlib import Path

        missing = missing_entries(Path(config.model_path)) if config.model_path else []
        if config.model_path:
            detail = f"{config.model_path}: " + (f"missing {', '.join(missing)}" if missing else "not a folder")
        else:
            detail = f"{config.model}: not found in {fastvideo_home()} (FASTVIDEO_HOME) or the Hugging Face cache" + (
                f"; its public repository is {found}" if found != config.model else ""
            )
        checks.append(
            Check(
                "model",
                False,
                detail,
                download_command(config.model, config.model_path) if config.model_path else download_command(found),
            )
        )
    return checks


def _attention_and_keyframe_checks(config: AdapterConfig) -> list[Check]:
    """The attention kernels the chosen backend needs, and whether the model follows keyframes."""
    checks: list[Check] = []
    profile = profile_for(config.model)
    attn, attn_notes = effective_attention(config.attention_backend, profile)
    module = ATTENTION_MODULES.get(attn)
    kernels_ok = module is None or importlib.util.find_spec(module) is not None
    requested = (
        config.attention_backend
        if config.attention_backend and config.attention_backend.lower() != "auto"
        else profile.default_attention
    ).upper()
    fix = None
    if requested == "VIDEO_SPARSE_ATTN" and importlib.util.find_spec("fastvideo_kernel") is None:
        kernels_ok = False
        fix = "VIDEO_SPARSE_ATTN needs the Linux-only fastvideo-kernel package: pip install fastvideo-kernel, or use --attention-backend FLASH_ATTN / TORCH_SDPA."
    checks.append(
        Check("attention", kernels_ok, f"{attn}" + (f" ({'; '.join(attn_notes)})" if attn_notes else ""), fix)
    )
    checks.append(
        Check(
            "keyframes",
            True,
            "followed"
            if profile.follows_keyframe
            else "IGNORED by this model (FastVideo #785/#1153); use Wan-AI/Wan2.2-TI2V-5B-Diffusers to follow keyframes",
        )
    )
    return checks


def run_checks(config: AdapterConfig) -> list[Check]:
    checks = _python_and_disk_checks(config)
    if config.backend == "preview":
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
        checks.append(Check("ffmpeg", bool(exe), exe))
        return checks

    checks += _torch_checks()
    fv = _version("fastvideo")
    checks.append(Check("fastvideo", fv is not None, fv or "not installed", None if fv else INSTALL_GPU))
    checks += _model_checks(config)
    checks += _attention_and_keyframe_checks(config)
    return checks


def print_report(checks: list[Check]) -> int:
    width = max(len(c.name) for c in checks)
    for c in checks:
        mark = "ok " if c.ok else "MISSING"
        print(f"  [{mark:>7}] {c.name:<{width}}  {c.detail}")
        if not c.ok and c.fix:
            print(f"  {'':>9} {'':<{width}}  fix: {c.fix}")
    bad = [c for c in checks if not c.ok]
    print("\nReady to render." if not bad else f"\n{len(bad)} problem(s): fix them, then run the dry run again.")
    return 0 if not bad else 1
