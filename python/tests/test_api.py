"""The adapter's HTTP contract, against a real server with the preview backend."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import RunningAdapter, make_config, png_base64, probe_mp4, small_request

from stv_adapter.__main__ import main


def error_of(resp: httpx.Response) -> dict[str, str]:
    body = resp.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] and body["error"]["message"], body
    return body["error"]


def test_health_says_the_preview_backend_is_not_ai(adapter: RunningAdapter) -> None:
    h = adapter.client.get("/health").json()
    assert h["status"] == "ok" and h["backend"] == "preview" and h["isAi"] is False
    assert h["queueDepth"] == 0 and h["maxQueue"] == 32 and h["memory"]["rssMb"] > 0
    assert [w["code"] for w in h["warnings"]] == ["NOT_AI"] and "not AI" in h["warnings"][0]["message"]


def test_generate_writes_a_playable_mp4_and_its_sidecar(adapter: RunningAdapter) -> None:
    r = adapter.client.post(
        "/generate", json=small_request(sceneId="shot-1", negativePrompt="blurry", keyframeBase64=png_base64())
    )
    assert r.status_code == 200, r.text
    res = r.json()
    video = Path(res["outputVideoPath"])
    assert (
        video.parent == adapter.config.output_root.resolve()
        and video.name.startswith("shot-1_")
        and video.name.endswith("_s3.mp4")
    )
    assert probe_mp4(video) == {"codec": "h264", "size": (256, 256), "fps": 8.0, "frames": 9}
    side = json.loads(Path(res["sidecarPath"]).read_text())
    assert side["request"]["negativePrompt"] == "blurry" and side["request"]["prompt"] == "a lighthouse at dusk"
    assert side["request"]["hasKeyframe"] is True and "keyframeBase64" not in side["request"]
    assert side["backend"] == "preview" and side["adapterVersion"] and side["result"]["seed"] == 3
    assert [w["code"] for w in res["warnings"]] == ["NOT_AI"]
    # No temporary files are left beside the outputs.
    assert not [p for p in video.parent.iterdir() if p.name.startswith(".stv-")]
    # One telemetry summary per run.
    summaries = list(adapter.config.artifacts_dir.glob("run-*.json"))
    assert len(summaries) == 1 and json.loads(summaries[0].read_text())["frames"] == 9


def test_never_overwrites_an_earlier_render(adapter: RunningAdapter) -> None:
    a = adapter.client.post("/generate", json=small_request(sceneId="same")).json()
    b = adapter.client.post("/generate", json=small_request(sceneId="same")).json()
    assert a["outputVideoPath"] != b["outputVideoPath"]
    assert Path(a["outputVideoPath"]).is_file() and Path(b["outputVideoPath"]).is_file()


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"width": 1000}, "Nearest valid: 992 or 1008"),
        ({"height": 100}, "Nearest valid: 256"),
        ({"numFrames": 120}, "Nearest valid: 117 or 121"),
        ({"fps": 0}, "fps"),
        ({"prompt": ""}, "prompt"),
        ({"seed": -1}, "seed"),
        ({"sceneId": "../../etc"}, "sceneId"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_invalid_requests_name_the_problem(adapter: RunningAdapter, patch: dict[str, object], expected: str) -> None:
    r = adapter.client.post("/jobs", json=small_request(**patch))
    assert r.status_code == 422
    err = error_of(r)
    assert err["code"] == "INVALID_REQUEST" and expected in err["message"], err


def test_output_dir_cannot_leave_the_output_root(adapter: RunningAdapter, tmp_path: Path) -> None:
    for bad in ("../escape", str(tmp_path / "elsewhere"), "a/../../b"):
        r = adapter.client.post("/jobs", json=small_request(outputDir=bad))
        assert r.status_code == 400 and error_of(r)["code"] == "PATH_FORBIDDEN", (bad, r.text)
    ok = adapter.client.post("/generate", json=small_request(outputDir="scenes/one")).json()
    assert Path(ok["outputVideoPath"]).parent == (adapter.config.output_root / "scenes" / "one").resolve()


def test_bad_keyframes_are_refused(adapter: RunningAdapter) -> None:
    r = adapter.client.post("/jobs", json=small_request(keyframeBase64="not base64!!"))
    assert r.status_code == 422 and "base64" in error_of(r)["message"]
    r = adapter.client.post("/jobs", json=small_request(keyframeBase64="aGVsbG8="))  # "hello"
    assert r.status_code == 422 and "decoded" in error_of(r)["message"]


def test_oversized_bodies_get_413_before_they_are_read(tmp_path: Path) -> None:
    with RunningAdapter(make_config(tmp_path, max_body_bytes=64 * 1024)) as a:
        big = small_request(keyframeBase64="A" * (200 * 1024))
        r = a.client.post("/jobs", json=big)
        assert r.status_code == 413 and error_of(r)["code"] == "PAYLOAD_TOO_LARGE"

        def chunks():  # no Content-Length: the bound is enforced while streaming
            payload = json.dumps(big).encode()
            for i in range(0, len(payload), 8192):
                yield payload[i : i + 8192]

        r = a.client.post("/jobs", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413 and error_of(r)["code"] == "PAYLOAD_TOO_LARGE"


def test_token_is_required_everywhere_but_health(tmp_path: Path) -> None:
    with RunningAdapter(make_config(tmp_path, token="s3cret-token")) as a:
        anon = httpx.Client(base_url=a.url)
        assert anon.post("/jobs", json=small_request()).status_code == 401
        r = anon.get("/jobs/x", headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401 and error_of(r)["code"] == "UNAUTHORIZED"
        # Strangers learn only that it is alive: no paths, model, queue or running job (issue 14).
        assert anon.get("/health").json() == {"status": "alive", "tokenRequired": True}
        assert anon.get("/health", headers={"Authorization": "Bearer wrong"}).json()["status"] == "alive"
        assert a.client.get("/health").json()["outputRoot"]
        assert a.client.post("/jobs", json=small_request()).status_code == 202
        anon.close()


def test_refuses_to_bind_beyond_loopback_without_a_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STV_ADAPTER_TOKEN", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--backend", "preview"]) == 2
    assert "without a token" in capsys.readouterr().err


def test_jobs_run_in_fifo_order_and_cancel_works_queued_and_running(adapter: RunningAdapter) -> None:
    long = small_request(numFrames=241, width=640, height=352, prompt="long one")
    first = adapter.client.post("/jobs", json=long).json()["jobId"]
    second = adapter.client.post("/jobs", json=small_request(prompt="second")).json()["jobId"]
    third = adapter.client.post("/jobs", json=small_request(prompt="third")).json()["jobId"]
    assert adapter.client.get(f"/jobs/{third}").json()["queuePosition"] == 2
    # Cancel the queued second job: it never runs.
    c = adapter.client.delete(f"/jobs/{second}").json()
    assert c["status"] == "cancelled" and c["startedAt"] is None
    # Cancel the running first job mid-encode.
    while adapter.client.get(f"/jobs/{first}").json()["status"] != "running":
        time.sleep(0.02)
    c = adapter.client.delete(f"/jobs/{first}").json()
    assert c["status"] == "cancelled" and c["error"]["code"] == "CANCELLED" and c["result"] is None
    done = adapter.wait(third)
    assert done["status"] == "succeeded"
    outputs = sorted(p.name for p in adapter.config.output_root.iterdir())
    assert all(n.startswith("a-lighthouse") is False for n in outputs)
    assert [n for n in outputs if n.endswith(".mp4")] == [
        Path(done["result"]["outputVideoPath"]).name
    ]  # no partial MP4
    assert adapter.client.delete(f"/jobs/{third}").status_code == 409


def read_events(client: httpx.Client, job: str) -> list[tuple[int, str, dict]]:
    """A job's server-sent events, as (id, event, data), up to and including "done"."""
    events: list[tuple[int, str, dict]] = []
    with client.stream("GET", f"/jobs/{job}/events") as s:
        cur: dict[str, str] = {}
        for line in s.iter_lines():
            if line.startswith(("id:", "event:", "data:")):
                k, _, v = line.partition(":")
                cur[k] = v.strip()
            elif line == "" and "data" in cur:
                events.append((int(cur["id"]), cur["event"], json.loads(cur["data"])))
                cur = {}
                if events[-1][1] == "done":
                    break
    return events


def test_server_sent_events_replay_from_last_event_id(adapter: RunningAdapter) -> None:
    # Long enough (about a second of encoding here) for ffmpeg to report progress many times.
    job = adapter.client.post("/jobs", json=small_request(numFrames=121, width=1280, height=704)).json()["jobId"]
    events = read_events(adapter.client, job)
    names = [e[1] for e in events]
    assert names[-1] == "done" and names.count("progress") >= 5
    fractions = [e[2]["fraction"] for e in events if e[1] == "progress"]
    assert fractions == sorted(fractions), "progress is monotonic"
    assert events[-1][2]["status"] == "succeeded"
    # Reconnect from the middle: only later events come back.
    mid = events[len(events) // 2][0]
    with adapter.client.stream("GET", f"/jobs/{job}/events", headers={"Last-Event-ID": str(mid)}) as s:
        ids = [int(line[3:]) for line in s.iter_lines() if line.startswith("id:")]
    assert ids and min(ids) > mid and ids[-1] == events[-1][0]


def test_progress_never_goes_back_to_below_the_loading_mark(tmp_path: Path) -> None:
    # The adapter marks a started job 1% done ("loading"); a backend's first step can be less than
    # that (ffmpeg's first frame of 121 is 0.8%), and must not move the bar back. CI caught it once.
    from stv_adapter.backends.preview import PreviewBackend

    class TinyFirstStep(PreviewBackend):
        def run(self, job, progress):  # type: ignore[no-untyped-def]
            progress("encoding", 0.002, step=1, total_steps=500)
            return super().run(job, progress)

    with RunningAdapter(make_config(tmp_path), TinyFirstStep()) as a:
        job = a.client.post("/jobs", json=small_request()).json()["jobId"]
        events = read_events(a.client, job)
    progress = [e[2] for e in events if e[1] == "progress" and e[2]["stage"] != "queued"]
    fractions = [p["fraction"] for p in progress]
    assert [p["stage"] for p in progress][:2] == ["loading", "encoding"], progress
    assert fractions == sorted(fractions) and fractions[0] == 0.01, fractions


def test_video_download_and_restart_recovery(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    with RunningAdapter(cfg) as a:
        res = a.client.post("/generate", json=small_request()).json()
        body = a.client.get(f"/jobs/{res['jobId']}/video")
        assert body.status_code == 200 and body.headers["content-type"] == "video/mp4"
        assert body.content == Path(res["outputVideoPath"]).read_bytes()
    cfg.port = make_config(tmp_path).port
    with RunningAdapter(cfg) as b:  # a restarted adapter still knows finished jobs from their sidecars
        job = b.client.get(f"/jobs/{res['jobId']}").json()
        assert job["status"] == "succeeded" and job["result"]["outputVideoPath"] == res["outputVideoPath"]
        assert b.client.get(f"/jobs/{res['jobId']}/video").status_code == 200
        assert b.client.get("/jobs/nope").status_code == 404


def test_full_disk_fails_the_job_cleanly_and_keeps_earlier_renders(
    adapter: RunningAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = adapter.client.post("/generate", json=small_request(sceneId="keep")).json()
    import errno
    import os

    import stv_adapter.outputs as outputs

    def no_space(*_a: object, **_k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(outputs.os, "link", no_space)
    r = adapter.client.post("/generate", json=small_request(sceneId="full"))
    assert error_of(r)["code"] == "DISK_FULL"
    monkeypatch.undo()
    assert Path(earlier["outputVideoPath"]).is_file()
    names = os.listdir(adapter.config.output_root)
    assert not [n for n in names if n.startswith("full_") or n.startswith(".stv-")], names


def test_queue_bound_answers_busy_and_loses_nothing(tmp_path: Path) -> None:
    with RunningAdapter(make_config(tmp_path, max_queue=4)) as a:
        accepted, busy = [], 0
        lock = threading.Lock()

        def submit(i: int) -> None:
            nonlocal busy
            with httpx.Client(base_url=a.url, timeout=30) as c:
                r = c.post("/jobs", json=small_request(seed=i, numFrames=5))
            with lock:
                if r.status_code == 202:
                    accepted.append(r.json()["jobId"])
                else:
                    assert r.status_code == 429 and error_of(r)["code"] == "BUSY" and r.headers["retry-after"]
                    busy += 1

        threads = [threading.Thread(target=submit, args=(i,)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert busy > 0 and len(accepted) + busy == 40
        assert all(a.wait(j)["status"] == "succeeded" for j in accepted)


def test_keyframe_pixel_bound_is_refused_before_decoding(tmp_path: Path) -> None:
    with RunningAdapter(make_config(tmp_path, max_keyframe_pixels=100_000)) as a:
        r = a.client.post("/jobs", json=small_request(keyframeBase64=png_base64(400, 300)))
        assert (
            r.status_code == 413 and error_of(r)["code"] == "PAYLOAD_TOO_LARGE" and "400x300" in error_of(r)["message"]
        )
        assert a.client.post("/jobs", json=small_request(keyframeBase64=png_base64(300, 300))).status_code == 202


def test_a_large_keyframe_is_kept_at_render_size_while_queued(adapter: RunningAdapter) -> None:
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (2000, 1200), (10, 200, 30)).save(buf, format="JPEG")
    job = adapter.client.post(
        "/jobs", json=small_request(keyframeBase64=base64.b64encode(buf.getvalue()).decode())
    ).json()["jobId"]
    rec = adapter.manager.jobs[job]
    assert rec.request.keyframe_base64 is None, "the base64 text is not kept"
    if rec.keyframe is not None:  # still queued or running
        assert max(rec.keyframe.size) <= 256 * 1.25 * 2000 / 1200 + 1
    done = adapter.wait(job)
    assert done["status"] == "succeeded"
    assert json.loads(Path(done["result"]["sidecarPath"]).read_text())["request"]["hasKeyframe"] is True


def test_windows_style_output_dirs(adapter: RunningAdapter) -> None:
    ok = adapter.client.post("/generate", json=small_request(outputDir="scenes\\two")).json()
    assert Path(ok["outputVideoPath"]).parent == (adapter.config.output_root / "scenes" / "two").resolve()
    for bad in ("..\\..\\escape", "C:\\Users\\me\\renders", "\\\\server\\share\\x", "scenes\\..\\..\\x"):
        r = adapter.client.post("/jobs", json=small_request(outputDir=bad))
        assert r.status_code == 400 and error_of(r)["code"] == "PATH_FORBIDDEN", (bad, r.text)


def test_an_unwritable_output_folder_is_output_not_writable(
    adapter: RunningAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import stv_adapter.outputs as outputs

    def denied(*_a: object, **_k: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(outputs.tempfile, "mkstemp", denied)
    r = adapter.client.post("/generate", json=small_request())
    err = error_of(r)
    assert r.status_code == 500 and err["code"] == "OUTPUT_NOT_WRITABLE" and "--output-root" in err["hint"]


def test_a_bug_in_a_backend_is_internal_and_the_adapter_keeps_serving(tmp_path: Path) -> None:
    from stv_adapter.backends.preview import PreviewBackend

    class Buggy(PreviewBackend):
        def run(self, job, progress):  # type: ignore[no-untyped-def]
            if job.prompt == "bug":
                raise KeyError("oops")
            return super().run(job, progress)

    with RunningAdapter(make_config(tmp_path), Buggy()) as a:
        r = a.client.post("/generate", json=small_request(prompt="bug"))
        err = error_of(r)
        assert r.status_code == 500 and err["code"] == "INTERNAL" and "KeyError" in err["message"] and err["hint"]
        assert a.client.post("/generate", json=small_request()).status_code == 200


def test_generate_answers_cancelled_when_its_job_is_cancelled(adapter: RunningAdapter) -> None:
    result: dict[str, httpx.Response] = {}

    def call() -> None:
        with httpx.Client(base_url=adapter.url, timeout=60) as c:
            result["r"] = c.post("/generate", json=small_request(numFrames=241, width=640, height=352))

    t = threading.Thread(target=call)
    t.start()
    deadline = time.time() + 20
    while adapter.manager.running is None and time.time() < deadline:
        time.sleep(0.02)
    job = adapter.manager.running.job_id
    assert adapter.client.delete(f"/jobs/{job}").json()["status"] == "cancelled"
    t.join(timeout=30)
    r = result["r"]
    assert r.status_code == 409 and error_of(r)["code"] == "CANCELLED"
    summary = [json.loads(p.read_text()) for p in adapter.config.artifacts_dir.glob("run-*.json")]
    assert [(s["status"], s["errorCode"]) for s in summary] == [("cancelled", "CANCELLED")]


def test_token_from_a_named_environment_variable_and_auto_attention(monkeypatch: pytest.MonkeyPatch) -> None:
    from stv_adapter.__main__ import build_parser, config_from_args

    monkeypatch.setenv("MY_TOKEN", "  from-env  ")
    cfg = config_from_args(
        build_parser().parse_args(["serve", "--token-env", "MY_TOKEN", "--attention-backend", "auto"])
    )
    assert cfg.token == "from-env" and cfg.attention_backend is None
    monkeypatch.setenv("STV_ADAPTER_TOKEN", "default-env")
    assert config_from_args(build_parser().parse_args(["serve"])).token == "default-env"
    monkeypatch.delenv("STV_ADAPTER_TOKEN")
    assert config_from_args(build_parser().parse_args(["serve", "--host", "0.0.0.0"])).token is None
