"""Fuzzing the adapter's HTTP API from its own OpenAPI document with schemathesis: no 5xx, every
response conforms to the documented schema and status codes, and every 4xx carries the
{error: {code, message, hint}} shape. The backend is a fast stand-in that copies a small real MP4,
so thousands of requests exercise the HTTP, validation, queue and file layers in seconds."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from conftest import RunningAdapter, make_config
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext

from stv_adapter.backends import BackendJob, BackendOutput, ProgressFn

TINY_MP4 = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "video" / "tiny.mp4"
MAX_EXAMPLES = 150
CASES = {"count": 0}
LOCK = threading.Lock()


class CopyBackend:
    """Behaves like a backend (progress, cancel, an MP4 on disk) without spending time encoding."""

    name = "preview"
    is_ai = False
    # It copies a clip and draws nothing: image jobs are refused (KEYFRAMES_UNSUPPORTED), which the
    # fuzzer's `output: "image"` requests then meet as a documented 422.
    makes_keyframes = False
    keyframes_problem = "The fuzz backend copies a video; it draws no keyframes."

    def start(self) -> None:
        pass

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "model_id": "copy",
            "model_profile": "copy",
            "model_loaded": True,
            "follows_keyframe": True,
            "attention_backend": None,
            "device": "cpu",
            "gpu": None,
        }

    def run(self, job: BackendJob, progress: ProgressFn) -> BackendOutput:
        progress("encoding", 0.5)
        shutil.copyfile(TINY_MP4, job.out_path)
        return BackendOutput(
            width=job.width, height=job.height, num_frames=job.num_frames, fps=job.fps, model_id="copy"
        )

    def force_stop(self) -> bool:
        return False

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def adapter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAdapter]:
    with RunningAdapter(make_config(tmp_path_factory.mktemp("fuzz"), max_queue=10_000), CopyBackend()) as a:
        yield a


@pytest.fixture(scope="module")
def api_schema(adapter: RunningAdapter) -> Any:
    return schemathesis.openapi.from_url(f"{adapter.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


def error_shape(ctx: CheckContext, response: Any, case: Any) -> bool | None:
    """Every 4xx says what went wrong in the adapter's error shape."""
    if 400 <= response.status_code < 500:
        body = response.json()
        assert set(body) == {"error"}, body
        assert isinstance(body["error"].get("code"), str) and body["error"]["code"], body
        assert isinstance(body["error"].get("message"), str) and body["error"]["message"], body
    return None


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case: Any, adapter: RunningAdapter) -> None:
    with LOCK:
        CASES["count"] += 1
    # positive_data_acceptance is left out on purpose: a frame count must be 4k+1, which JSON Schema
    # cannot say, so some schema-valid bodies are (rightly) refused with 422.
    from schemathesis.checks import CHECKS

    excluded = [c for c in CHECKS.get_all() if getattr(c, "__name__", "") == "positive_data_acceptance"]
    case.call_and_validate(base_url=adapter.url, additional_checks=[error_shape], excluded_checks=excluded)


def test_report_fuzz_volume(adapter: RunningAdapter) -> None:
    # Runs after the fuzz test in file order: the number of cases is part of docs/reliability.md.
    print(f"\nschemathesis ran {CASES['count']} cases against the adapter's OpenAPI document")
    assert CASES["count"] >= 200, CASES
