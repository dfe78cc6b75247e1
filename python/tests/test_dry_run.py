"""`serve --dry-run`: checks without loading weights, prints the fix for each missing piece, and
exits non-zero when anything is missing. Runs the real command line in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def dry_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FASTVIDEO_HOME": str(tmp_path / "fvhome"),
        "HF_HUB_CACHE": str(tmp_path / "hub"),
        "STV_HOME": str(tmp_path / "home"),
    }
    return subprocess.run(
        [sys.executable, "-m", "stv_adapter", "serve", "--dry-run", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_the_preview_backend_is_ready_anywhere(tmp_path: Path) -> None:
    r = dry_run(tmp_path, "--backend", "preview")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ffmpeg" in r.stdout and "Ready to render." in r.stdout


def test_a_missing_model_prints_the_download_command_and_fails(tmp_path: Path) -> None:
    r = dry_run(tmp_path, "--backend", "fastvideo", "--model", "FastVideo/FastWan2.2-TI2V-5B-Diffusers")
    assert r.returncode == 1
    assert (
        f'fix: hf download FastVideo/FastWan2.2-TI2V-5B-FullAttn-Diffusers --local-dir "{tmp_path / "fvhome" / "FastWan2.2-TI2V-5B-FullAttn-Diffusers"}"'
        in r.stdout
    ), r.stdout
    assert "IGNORED by this model" in r.stdout


def test_a_downloaded_model_is_found_by_either_fastwan_id(tmp_path: Path) -> None:
    folder = tmp_path / "fvhome" / "FastWan2.2-TI2V-5B-FullAttn-Diffusers"
    for entry in ("transformer", "vae", "text_encoder", "tokenizer", "scheduler"):
        (folder / entry).mkdir(parents=True)
    (folder / "model_index.json").write_text("{}")
    r = dry_run(tmp_path, "--backend", "fastvideo", "--model", "FastVideo/FastWan2.2-TI2V-5B-Diffusers")
    model_line = next(line for line in r.stdout.splitlines() if "] model" in line)
    assert "[    ok ]" in model_line and "FullAttn" in model_line and str(folder) in model_line, r.stdout
    (folder / "scheduler").rmdir()
    r = dry_run(tmp_path, "--backend", "fastvideo", "--model-path", str(folder))
    assert r.returncode == 1 and "lacks scheduler" in r.stdout and f'--local-dir "{folder}"' in r.stdout, r.stdout
    (folder / "vae").rmdir()
    r = dry_run(tmp_path, "--backend", "fastvideo", "--model-path", str(folder))
    assert r.returncode == 1 and "missing vae" in r.stdout, r.stdout
