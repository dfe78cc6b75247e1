"""The adapter speaks the extension's words: its job states, progress stages, warning codes and error
codes are the ones src/core declares (one source there; the TypeScript client parses the adapter's
answers with them, so a word only one side knows is a bug the other side meets at run time)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from stv_adapter.errors import STATUS_BY_CODE
from stv_adapter.schemas import RENDER_WARNING_CODES, JobStatus, Stage

ROOT = Path(__file__).resolve().parents[2]


def ts_const(file: str, name: str) -> tuple[str, ...]:
    """The string items of `export const NAME = [...] as const` in a TypeScript file."""
    text = (ROOT / file).read_text(encoding="utf-8")
    m = re.search(rf"export const {name} = \[([^\]]*)\]", text)
    assert m, f"{name} not found in {file}"
    return tuple(re.findall(r"'([^']+)'", m.group(1)))


def test_job_states_are_the_extensions() -> None:
    assert get_args(JobStatus) == ts_const("src/core/providers/types.ts", "JOB_STATES")


def test_progress_stages_are_ones_the_extension_knows() -> None:
    stages = ts_const("src/core/providers/types.ts", "RENDER_STAGES")
    assert set(get_args(Stage)) <= set(stages), set(get_args(Stage)) - set(stages)


def test_warning_codes_are_the_extensions() -> None:
    assert RENDER_WARNING_CODES == ts_const("src/core/providers/types.ts", "WARNING_CODES")


# Notes /health gives about the backend's set-up (shown as text in the status bar's tooltip; the
# extension matches no code among them), not render warnings.
HEALTH_NOTE_CODES = {"ATTENTION_BACKEND", "MODEL_FOLDER"}


def test_every_warning_the_adapter_writes_has_a_known_code() -> None:
    written: set[str] = set()
    for p in (ROOT / "python/stv_adapter").rglob("*.py"):
        written |= set(re.findall(r'"code": "([A-Z_]+)"', p.read_text(encoding="utf-8")))
    assert written, "no warning found: the pattern no longer matches how the adapter writes them"
    known = set(RENDER_WARNING_CODES) | set(STATUS_BY_CODE) | HEALTH_NOTE_CODES
    assert written <= known, written - known


def test_error_codes_are_ones_the_extension_knows() -> None:
    ts_codes = set(ts_const("src/core/errors.ts", "ERROR_CODES"))
    assert set(STATUS_BY_CODE) <= ts_codes, set(STATUS_BY_CODE) - ts_codes
