"""The `fastvideo` backend with FastVideo's library boundary replaced by a recording fake
(tests/fake_fastvideo). Everything else is real: the spawned worker process, the pipe, the HTTP
server, the files."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import RunningAdapter, make_config, png_base64, probe_mp4, small_request

FAKE = Path(__file__).parent / "fake_fastvideo"


@pytest.fixture
def fake_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(FAKE))  # spawn passes sys.path to the worker
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("STV_FAKE_FASTVIDEO_LOG", str(log))
    model = tmp_path / "FastWan2.2-TI2V-5B-FullAttn-Diffusers"
    for entry in ("transformer", "vae", "text_encoder", "tokenizer"):
        (model / entry).mkdir(parents=True)
    (model / "model_index.json").write_text("{}")
    return model


def calls(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "calls.jsonl"
    return [json.loads(l) for l in path.read_text().splitlines()] if path.exists() else []


def wait_loaded(a: RunningAdapter, timeout: float = 60) -> dict[str, Any]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        h = a.client.get("/health").json()
        if h["status"] != "loading":
            return h
        time.sleep(0.1)
    raise TimeoutError("model did not load")


def fv_config(tmp_path: Path, model: Path, **kw: Any) -> Any:
    return make_config(tmp_path, backend="fastvideo", model="FastVideo/FastWan2.2-TI2V-5B-Diffusers", model_path=str(model), attention_backend="TORCH_SDPA", **kw)


def test_loads_once_maps_parameters_exactly_and_tells_the_truth_about_keyframes(tmp_path: Path, fake_model: Path) -> None:
    with RunningAdapter(fv_config(tmp_path, fake_model)) as a:
        h = wait_loaded(a)
        assert h["status"] == "ok" and h["isAi"] and h["followsKeyframe"] is False and h["attentionBackend"] == "TORCH_SDPA"
        r1 = a.client.post("/generate", json=small_request(prompt="a fox", negativePrompt="blurry", keyframeBase64=png_base64(), width=1280, height=704, numFrames=9, fps=24, seed=77, steps=3))
        assert r1.status_code == 200, r1.text
        res = r1.json()
        codes = [w["code"] for w in res["warnings"]]
        assert codes == ["KEYFRAME_IGNORED", "SIZE_CHANGED"]
        assert (res["width"], res["height"]) == (832, 480)  # what FastVideo really rendered
        assert probe_mp4(res["outputVideoPath"])["frames"] == 9
        r2 = a.client.post("/generate", json=small_request(prompt="second"))
        assert r2.status_code == 200 and r2.json()["warnings"] == []
    log = calls(tmp_path)
    loads = [c for c in log if c["event"] == "from_pretrained"]
    assert len(loads) == 1, "the generator is loaded exactly once"
    assert loads[0]["model_path"] == str(fake_model)
    assert loads[0]["attention"] == "TORCH_SDPA"  # set before fastvideo was imported
    assert loads[0]["kwargs"] == {"num_gpus": 1, "use_fsdp_inference": False, "dit_cpu_offload": True, "vae_cpu_offload": True, "text_encoder_cpu_offload": True, "pin_cpu_memory": False}
    gen = [c for c in log if c["event"] == "generate_video"]
    assert [g["prompt"] for g in gen] == ["a fox", "second"]  # the negative prompt never goes into the prompt
    k = gen[0]["kwargs"]
    assert k["negative_prompt"] == "blurry" and k["seed"] == 77 and k["num_inference_steps"] == 3
    assert (k["width"], k["height"], k["num_frames"], k["fps"]) == (1280, 704, 9, 24)
    assert k["save_video"] is True and k["return_frames"] is False
    assert k["output_path"].endswith(".mp4") and k["image_path"].endswith(".png")
    assert "negative_prompt" not in gen[1]["kwargs"] and "image_path" not in gen[1]["kwargs"]


def test_cuda_oom_is_reported_with_a_hint_and_the_next_job_runs(tmp_path: Path, fake_model: Path) -> None:
    with RunningAdapter(fv_config(tmp_path, fake_model)) as a:
        wait_loaded(a)
        r = a.client.post("/generate", json=small_request(prompt="oom please"))
        err = r.json()["error"]
        assert r.status_code == 507 and err["code"] == "CUDA_OOM" and "fewer frames" in err["hint"]
        assert a.client.post("/generate", json=small_request(prompt="fine")).status_code == 200


def test_cancelling_a_running_generation_force_stops_the_worker_and_reloads(tmp_path: Path, fake_model: Path) -> None:
    with RunningAdapter(fv_config(tmp_path, fake_model)) as a:
        wait_loaded(a)
        job = a.client.post("/jobs", json=small_request(prompt="slow one")).json()["jobId"]
        while not any(c["event"] == "generate_video" for c in calls(tmp_path)):
            time.sleep(0.05)
        t0 = time.time()
        c = a.client.delete(f"/jobs/{job}").json()
        assert c["status"] == "cancelled" and c["forced"] is True and "reloading" in c["error"]["message"]
        assert time.time() - t0 < 20, "cancel does not wait for the 60 s generation"
        assert wait_loaded(a)["status"] == "ok"
        ok = a.client.post("/generate", json=small_request(prompt="after")).json()
        assert Path(ok["outputVideoPath"]).is_file()
    pids = {c["pid"] for c in calls(tmp_path) if c["event"] == "from_pretrained"}
    assert len(pids) == 2, "a new worker process loaded the model again"
    assert not list((tmp_path / "out").glob("*slow*"))


def test_missing_model_names_the_download_command(tmp_path: Path, fake_model: Path) -> None:
    with RunningAdapter(fv_config(tmp_path, tmp_path / "nowhere")) as a:
        h = wait_loaded(a)
        assert h["status"] == "error" and h["error"]["code"] == "MODEL_NOT_FOUND"
        r = a.client.post("/generate", json=small_request())
        err = r.json()["error"]
        assert err["code"] == "MODEL_NOT_FOUND" and "--model-path" in err["hint"]


def test_oom_while_loading_is_reported(tmp_path: Path, fake_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STV_FAKE_FASTVIDEO_LOAD_OOM", "1")
    with RunningAdapter(fv_config(tmp_path, fake_model)) as a:
        h = wait_loaded(a)
        assert h["status"] == "error" and h["error"]["code"] == "CUDA_OOM"


def test_recycles_the_generator_after_n_jobs(tmp_path: Path, fake_model: Path) -> None:
    with RunningAdapter(fv_config(tmp_path, fake_model, recycle_after_jobs=2)) as a:
        wait_loaded(a)
        for i in range(3):
            assert a.client.post("/generate", json=small_request(seed=i)).status_code == 200
    assert len([c for c in calls(tmp_path) if c["event"] == "from_pretrained"]) == 2


def test_cancel_while_the_model_loads_ends_the_job_and_the_next_one_runs(tmp_path: Path, fake_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STV_FAKE_FASTVIDEO_LOAD_SECONDS", "3")
    with RunningAdapter(fv_config(tmp_path, fake_model, lazy=True)) as a:
        job = a.client.post("/jobs", json=small_request(prompt="while loading")).json()["jobId"]
        deadline = time.time() + 20
        while a.client.get(f"/jobs/{job}").json()["progress"]["stage"] != "loading" and time.time() < deadline:
            time.sleep(0.05)
        c = a.client.delete(f"/jobs/{job}").json()
        assert c["status"] == "cancelled" and c["forced"] is False  # nothing was generating yet
        ok = a.client.post("/generate", json=small_request(prompt="after")).json()  # the load finished meanwhile
        assert Path(ok["outputVideoPath"]).is_file()
    assert [c["prompt"] for c in calls(tmp_path) if c["event"] == "generate_video"] == ["after"]
