"""One summary JSON per run under artifacts/fastvideo/, and one log line per request."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .outputs import write_json_atomic

log = logging.getLogger("stv_adapter")


def write_run_summary(artifacts_dir: Path, job_id: str, summary: dict[str, Any]) -> Path | None:
    try:
        artifacts_dir.mkdir(parents=True, exist_ok=True)
        path = (
            artifacts_dir
            / f"run-{summary.get('finishedAt', '').replace(':', '').replace('-', '')[:15]}-{job_id[:8]}.json"
        )
        write_json_atomic(path, summary)
        return path
    except Exception as e:  # telemetry must never fail a render
        log.warning("could not write the run summary: %s", e)
        return None
