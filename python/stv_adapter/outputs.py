"""Output files: unique names, paths that cannot leave the output root, atomic writes that never
overwrite, and the sidecar JSON that lets a restart find every finished render."""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

from .errors import AdapterError, from_os_error

SIDECAR_KIND = "stv-adapter-render"
# Temp files are ".stv-<pid>-<random><suffix>.part": the pid says which adapter owns one, so a
# restart removes only those of adapters that are gone (remove_stale_temp_files).
TEMP_PREFIX = ".stv-"
TEMP_SUFFIX = ".part"
_OWNER = re.compile(r"^\.stv-(\d+)-")
LEGACY_STALE_SECONDS = 3600  # temp files from before the pid was in the name


def slugify(text: str, limit: int = 40) -> str:
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", norm).strip("-").lower()
    return slug[:limit].rstrip("-") or "clip"


def resolve_output_dir(root: Path, output_dir: str | None) -> Path:
    """The folder for a job's files; refuses anything that resolves outside `root`."""
    root = root.resolve()
    if not output_dir:
        return root
    if "\x00" in output_dir:
        raise AdapterError("PATH_FORBIDDEN", "outputDir contains a NUL byte.", "Use a plain relative folder name.")
    # Clients on Windows send '\'; on a POSIX adapter that would be part of one odd folder name
    # (and 'C:\x' a folder called 'C:'). Treat both separators alike and refuse drive/UNC forms.
    normalized = output_dir.replace("\\", "/")
    if re.match(r"^[A-Za-z]:", normalized) or normalized.startswith("//"):
        if os.name != "nt":
            raise AdapterError(
                "PATH_FORBIDDEN",
                f"outputDir {output_dir!r} is a Windows path; this adapter's output root is {root}.",
                "Send a folder relative to the output root (for example the scene id).",
                status=400,
            )
    else:
        output_dir = normalized
    candidate = Path(output_dir)
    target = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if target != root and root not in target.parents:
        raise AdapterError(
            "PATH_FORBIDDEN",
            f"outputDir {output_dir!r} resolves outside the adapter's output root.",
            "Use a folder relative to the output root, without '..'.",
            status=400,
        )
    return target


def base_name(scene_id: str | None, prompt: str, seed: int, now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now if now is not None else time.time()))
    return f"{scene_id or slugify(prompt)}_{stamp}_s{seed}"


def temp_path_in(folder: Path, suffix: str) -> Path:
    """A hidden temporary file in the destination folder (same volume, so the final step is atomic)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=suffix + TEMP_SUFFIX, dir=folder)
        os.close(fd)
        return Path(name)
    except OSError as e:
        raise from_os_error(e, f"a temporary file in {folder}") from e


def publish_unique(tmp: Path, folder: Path, base: str, ext: str) -> Path:
    """Moves a finished temp file to `<base>[_n]<ext>` without ever replacing an existing file.

    os.link fails if the target exists, which makes the claim atomic; file systems without hard
    links (FAT/exFAT, some network shares) fall back to an existence check and rename.
    """
    for n in range(0, 10_000):
        final = folder / (f"{base}{ext}" if n == 0 else f"{base}_{n}{ext}")
        try:
            os.link(tmp, final)
            tmp.unlink()
            return final
        except FileExistsError:
            continue
        except OSError as e:
            if isinstance(e, PermissionError) or getattr(e, "errno", None) in (
                1,
                95,
                18,
                38,
            ):  # EPERM, EOPNOTSUPP, EXDEV, ENOSYS
                if final.exists():
                    continue
                try:
                    os.replace(tmp, final)
                    return final
                except OSError as e2:
                    raise from_os_error(e2, str(final)) from e2
            raise from_os_error(e, str(final)) from e
    raise AdapterError("INTERNAL", f"Could not find a free file name for {base}{ext}.")


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = temp_path_in(path.parent, ".json")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise from_os_error(e, str(path)) from e


def read_sidecars(root: Path, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` sidecars under `root` (restart recovery); corrupt ones are skipped."""
    if not root.is_dir():
        return []
    found: list[tuple[float, Path]] = []
    for p in root.rglob("*.json"):
        if p.name.startswith(".stv-"):
            continue
        try:
            found.append((p.stat().st_mtime, p))
        except OSError:
            continue
    found.sort(reverse=True)
    out: list[dict[str, Any]] = []
    for _, p in found[: limit * 2]:
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (
            isinstance(data, dict)
            and data.get("kind") == SIDECAR_KIND
            and Path(str(data.get("outputVideoPath") or data.get("outputImagePath") or "")).is_file()
        ):
            out.append(data)
        if len(out) >= limit:
            break
    return out


def remove_stale_temp_files(roots: list[Path], now: float | None = None) -> int:
    """Removes the temp files that adapters which ended without cleaning up (kill -9, a power cut)
    left under `roots`; keeps those of adapters still running (several may share a root).
    Returns how many it removed."""
    import psutil

    now = time.time() if now is None else now
    removed = 0
    for root in dict.fromkeys(r.resolve() for r in roots):
        if not root.is_dir():
            continue
        for p in root.rglob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
            try:
                m = _OWNER.match(p.name)
                if m:
                    owner = int(m.group(1))
                    if owner != os.getpid() and psutil.pid_exists(owner):
                        continue
                elif now - p.stat().st_mtime < LEGACY_STALE_SECONDS:
                    continue
                p.unlink()
                removed += 1
            except OSError:
                continue
    return removed
