"""The adapter as the front door of a Ray cluster (serve --cluster ray), on a real local Ray cluster
started by this module on loopback (one for the module: starting Ray costs seconds), with worker
actors running the preview backend on CPU."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip(
    "ray",
    reason="ray is not installed: the cluster tests need the adapter's cluster extra (pip install -e 'python[cluster]')",
)

import cluster_backends  # noqa: E402
from conftest import RunningAdapter, make_config, probe_mp4, small_request  # noqa: E402
from PIL import Image  # noqa: E402
from test_api import (  # noqa: E402,F401 - the single adapter's API tests, run again on the front door below
    test_a_large_keyframe_is_kept_at_render_size_while_queued,
    test_an_unwritable_output_folder_is_output_not_writable,
    test_bad_keyframes_are_refused,
    test_generate_answers_cancelled_when_its_job_is_cancelled,
    test_generate_writes_a_playable_mp4_and_its_sidecar,
    test_health_says_the_preview_backend_is_not_ai,
    test_invalid_requests_name_the_problem,
    test_never_overwrites_an_earlier_render,
    test_output_dir_cannot_leave_the_output_root,
    test_server_sent_events_replay_from_last_event_id,
    test_windows_style_output_dirs,
)

from stv_adapter.cluster.frontdoor import ClusterBackend  # noqa: E402
from stv_adapter.cluster.remote_job import DispatchSettings  # noqa: E402


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    """A Ray instance on 127.0.0.1 with its own temp folder (short: Ray's socket paths are bounded),
    no dashboard; shut down at the end of the module, also when a test failed."""
    temp = tempfile.mkdtemp(prefix="stvray-", dir="/tmp" if sys.platform != "win32" else None)
    # CPU workers (num_gpus=0) keep the machine's CUDA_VISIBLE_DEVICES; says so without a warning.
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")
    ray.init(
        num_cpus=4,  # logical: each worker actor takes one; the jobs mostly wait (ffmpeg, sleeps)
        num_gpus=0,
        _node_ip_address="127.0.0.1",
        include_dashboard=False,
        object_store_memory=100 * 1024 * 1024,
        _temp_dir=temp,
        log_to_driver=False,
        namespace="stv-tests",
    )
    # Workers unpickle the test backends from their bytes, not by importing the tests folder.
    ray.cloudpickle.register_pickle_by_value(cluster_backends)
    try:
        yield
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


class ClusterAdapter(RunningAdapter):
    """A front door with `workers` worker actors; __enter__ returns once they all take jobs."""

    def __init__(
        self, tmp_path: Path, workers: int = 2, factory: Any = None, wait_ready: bool = True, **settings: Any
    ) -> None:
        config = make_config(tmp_path, cluster="ray", cluster_workers=workers)
        self.backend = ClusterBackend(config, factory, DispatchSettings(**settings))
        super().__init__(config, self.backend)
        self.workers = workers if wait_ready else 0

    def __enter__(self) -> ClusterAdapter:
        super().__enter__()
        wait_until(lambda: self.backend.pool.count("idle") >= self.workers, 60, "the workers did not start")
        return self

    def health_cluster(self) -> dict[str, Any]:
        cluster: dict[str, Any] = self.client.get("/health").json()["cluster"]
        return cluster

    def handle_of(self, job_id: str) -> Any:
        """The actor handle of the worker that runs this job (once it runs)."""
        wait_until(lambda: any(s.job_id == job_id for s in self.backend.pool.slots), 30, "the job never started")
        return next(s for s in self.backend.pool.slots if s.job_id == job_id)


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while not check():
        if time.time() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def sidecar(job: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(job["result"]["sidecarPath"]).read_text())
    return data


@pytest.fixture(scope="module")
def shared_front_door(ray_cluster: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterAdapter]:
    with ClusterAdapter(tmp_path_factory.mktemp("front-door")) as a:
        yield a


@pytest.fixture
def adapter(shared_front_door: ClusterAdapter, tmp_path: Path) -> Iterator[ClusterAdapter]:
    """test_api's `adapter`, here the shared front door with fresh output and artifact folders for
    each test (the job queue reads them from its config for every job)."""
    a = shared_front_door
    wait_until(lambda: a.manager.queue_depth == 0, 30, "an earlier test left jobs behind")
    a.config.output_root = tmp_path / "out"
    a.config.artifacts_dir = tmp_path / "artifacts"
    a.config.output_root.mkdir(parents=True)
    yield a


def test_eight_jobs_finish_on_both_workers(shared_front_door: ClusterAdapter, tmp_path: Path) -> None:
    a = shared_front_door
    a.config.output_root = tmp_path / "out"
    a.config.output_root.mkdir()
    ids = [a.client.post("/jobs", json=small_request(seed=i, sceneId=f"shot-{i}")).json()["jobId"] for i in range(8)]
    jobs = [a.wait(j) for j in ids]
    assert [j["status"] for j in jobs] == ["succeeded"] * 8
    placed = [sidecar(j)["extra"]["cluster"] for j in jobs]
    assert {p["worker"] for p in placed} == {"worker-0", "worker-1"}, placed
    assert all(p["nodeId"] and p["nodeIp"] == "127.0.0.1" and p["attempts"] == 1 for p in placed), placed
    videos = sorted(a.config.output_root.glob("*.mp4"))
    assert len(videos) == 8 and probe_mp4(videos[0])["frames"] == 9
    # The front door serves every job's video, whichever worker rendered it.
    for j in (jobs[0], jobs[-1]):
        got = a.client.get(f"/jobs/{j['jobId']}/video")
        assert got.status_code == 200 and got.content == Path(j["result"]["outputVideoPath"]).read_bytes()
    assert not [p for p in a.config.output_root.iterdir() if p.name.startswith(".stv-")]


def test_health_shows_the_nodes_and_workers(shared_front_door: ClusterAdapter) -> None:
    c = shared_front_door.health_cluster()
    assert c["kind"] == "ray" and c["address"] and c["workersReady"] == 2 and c["workersBusy"] == 0
    assert [n["ip"] for n in c["nodes"] if n["alive"]] == ["127.0.0.1"]
    assert sorted((w["name"], w["state"], w["nodeIp"], w["gpus"]) for w in c["workers"]) == [
        ("worker-0", "idle", "127.0.0.1", 0),
        ("worker-1", "idle", "127.0.0.1", 0),
    ]


def test_a_worker_killed_mid_job_is_retried_on_another_and_nothing_is_lost(ray_cluster: None, tmp_path: Path) -> None:
    with ClusterAdapter(tmp_path, factory=cluster_backends.sleepy(2.0)) as a:
        job = a.client.post("/jobs", json=small_request(sceneId="survivor")).json()["jobId"]
        first = a.handle_of(job)
        wait_until(lambda: a.manager.jobs[job].progress.stage == "denoising", 20, "no progress from the worker")
        ray.kill(first.handle)  # the worker's process dies mid-render; Ray does not bring it back
        done = a.wait(job, timeout=60)
        assert done["status"] == "succeeded", done
        placed = sidecar(done)["extra"]["cluster"]
        assert placed["attempts"] == 2 and placed["worker"] != first.name
        # One video and its sidecar: the lost attempt left nothing behind, the retry wrote once.
        written = sorted(p.name for p in a.config.output_root.iterdir())
        assert written == sorted(Path(done["result"][k]).name for k in ("outputVideoPath", "sidecarPath"))
        wait_until(lambda: first.state == "dead", 30, "the killed worker is not reported dead")
        states = {w["name"]: w["state"] for w in a.health_cluster()["workers"]}
        assert states[first.name] == "dead" and a.health_cluster()["workersReady"] == 1
        # The survivor keeps serving.
        assert a.client.post("/generate", json=small_request(seed=9)).status_code == 200


def test_a_job_lost_twice_fails_with_worker_lost(ray_cluster: None, tmp_path: Path) -> None:
    with ClusterAdapter(tmp_path, factory=cluster_backends.sleepy(2.0)) as a:
        job = a.client.post("/jobs", json=small_request()).json()["jobId"]
        for _ in range(2):
            slot = a.handle_of(job)
            wait_until(lambda: a.manager.jobs[job].progress.stage == "denoising", 20, "no progress")
            ray.kill(slot.handle)
            wait_until(lambda s=slot: s.job_id != job, 20, "the job stayed on the killed worker")
        done = a.wait(job, timeout=60)
        assert done["status"] == "failed" and done["error"]["code"] == "WORKER_LOST", done
        assert "twice" in done["error"]["message"] and done["error"]["hint"]
        assert not list(a.config.output_root.iterdir()), "nothing half-written in the outputs"
        assert a.client.get("/health").json()["status"] == "error"


def test_a_job_whose_only_worker_is_gone_for_good_fails_with_worker_lost(ray_cluster: None, tmp_path: Path) -> None:
    with ClusterAdapter(tmp_path, workers=1, factory=cluster_backends.sleepy(2.0)) as a:
        job = a.client.post("/jobs", json=small_request()).json()["jobId"]
        slot = a.handle_of(job)
        wait_until(lambda: a.manager.jobs[job].progress.stage == "denoising", 20, "no progress")
        ray.kill(slot.handle)  # no restart: the cluster has no worker left
        done = a.wait(job, timeout=30)
        assert done["status"] == "failed" and done["error"]["code"] == "WORKER_LOST", done
        assert "no worker of the cluster is left alive" in done["error"]["message"]
        assert slot.state == "dead" and not list(a.config.output_root.iterdir())


def test_a_worker_whose_model_does_not_load_is_reported_with_its_reason(ray_cluster: None, tmp_path: Path) -> None:
    with ClusterAdapter(tmp_path, workers=1, factory=cluster_backends.ModelMissing, wait_ready=False) as a:
        wait_until(lambda: a.backend.pool.count("dead") == 1, 60, "the worker is not reported dead")
        h = a.client.get("/health").json()
        assert h["status"] == "error" and h["error"]["code"] == "MODEL_NOT_FOUND", h
        (worker,) = h["cluster"]["workers"]
        assert worker["state"] == "dead" and "MODEL_NOT_FOUND: The model is not on this node." in worker["error"]


def test_cancel_reaches_the_worker_and_a_stuck_one_is_killed_and_restarted(ray_cluster: None, tmp_path: Path) -> None:
    factory = cluster_backends.sleepy(30.0, honour_cancel=False)
    with ClusterAdapter(tmp_path, workers=1, factory=factory, cancel_grace_s=0.5) as a:
        job = a.client.post("/jobs", json=small_request()).json()["jobId"]
        slot = a.handle_of(job)
        wait_until(lambda: a.manager.jobs[job].progress.stage == "denoising", 20, "no progress")
        t0 = time.monotonic()
        c = a.client.delete(f"/jobs/{job}").json()
        assert c["status"] == "cancelled" and c["forced"] is True and time.monotonic() - t0 < 10
        assert "force-stopped" in c["error"]["message"]
        # Ray restarts the killed actor (max_restarts); it loads its backend again and takes jobs.
        wait_until(lambda: slot.state == "idle", 60, "the killed worker did not come back")
        assert not list(a.config.output_root.iterdir())


def test_cancel_of_a_cooperative_job_stops_it_on_its_worker(ray_cluster: None, tmp_path: Path) -> None:
    with ClusterAdapter(tmp_path, workers=1, factory=cluster_backends.sleepy(30.0), cancel_grace_s=20) as a:
        job = a.client.post("/jobs", json=small_request()).json()["jobId"]
        slot = a.handle_of(job)
        wait_until(lambda: a.manager.jobs[job].progress.stage == "denoising", 20, "no progress")
        c = a.client.delete(f"/jobs/{job}").json()
        assert c["status"] == "cancelled" and c["forced"] is False and "denoising" in c["error"]["message"]
        assert slot.state == "idle" and slot.jobs_done == 0


@pytest.mark.parametrize(
    ("overrides", "resources", "nodes", "expected"),
    [
        ({"backend": "fastvideo"}, {"GPU": 8.0}, 2, (8, 1)),  # one worker per GPU
        ({"backend": "fastvideo", "gpus_per_worker": 2}, {"GPU": 8.0}, 2, (4, 2)),  # one per K GPUs
        ({"backend": "fastvideo", "gpus_per_worker": 3}, {"GPU": 8.0}, 2, (2, 3)),  # 2 GPUs left idle
        ({"backend": "fastvideo", "cluster_workers": 1}, {"GPU": 8.0}, 2, (1, 1)),
        ({"backend": "preview"}, {"CPU": 16.0}, 3, (3, 0)),  # no GPU: one CPU worker per node
        ({"backend": "preview", "cluster_workers": 2}, {"CPU": 16.0}, 1, (2, 0)),
    ],
)
def test_workers_are_planned_per_k_gpus(
    overrides: dict[str, Any], resources: dict[str, float], nodes: int, expected: tuple[int, int]
) -> None:
    from stv_adapter.cluster.frontdoor import plan_workers
    from stv_adapter.config import AdapterConfig

    assert plan_workers(AdapterConfig(cluster="ray", **overrides), resources, nodes) == expected


def test_a_plan_that_cannot_run_says_why() -> None:
    from stv_adapter.cluster.frontdoor import plan_workers
    from stv_adapter.config import AdapterConfig
    from stv_adapter.errors import AdapterError

    with pytest.raises(AdapterError, match="no GPU") as e:
        plan_workers(AdapterConfig(cluster="ray", backend="fastvideo"), {"CPU": 8.0}, 1)
    assert e.value.hint and "ray start --address" in e.value.hint
    with pytest.raises(AdapterError, match="fewer than --gpus-per-worker 4"):
        plan_workers(AdapterConfig(cluster="ray", backend="fastvideo", gpus_per_worker=4), {"GPU": 2.0}, 1)


def test_a_worker_with_k_gpus_gives_its_backend_num_gpus_k(ray_cluster: None, tmp_path: Path) -> None:
    """FastVideo's own multi-GPU inference: VideoGenerator.from_pretrained(num_gpus=K) (its sp_size
    defaults to num_gpus), through the backend's config; the sidecar names the K GPUs."""
    from stv_adapter.cluster.worker import RenderWorker

    seen: list[int] = []

    def factory(config: Any) -> Any:
        seen.append(config.num_gpus)
        return cluster_backends.SleepyPreview(config, 0)

    worker = RenderWorker("worker-7", make_config(tmp_path), 3, factory)
    try:
        assert seen == [3] and worker.worker_record()["gpus"] == 3 and worker.describe()["name"] == "worker-7"
    finally:
        worker.close()


def test_cluster_options_need_cluster_mode_and_the_address_env_only_applies_there(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from stv_adapter.__main__ import build_parser, config_from_args, main

    for flags in (["--workers", "2"], ["--gpus-per-worker", "2"], ["--ray-address", "auto"]):
        assert main(["serve", *flags]) == 2
        assert "need --cluster ray" in capsys.readouterr().err
    monkeypatch.setenv("STV_RAY_ADDRESS", "10.0.0.1:6379")
    parse = build_parser().parse_args
    assert config_from_args(parse(["serve", "--cluster", "ray"])).ray_address == "10.0.0.1:6379"
    assert config_from_args(parse(["serve"])).ray_address is None  # a single adapter ignores it
    cfg = config_from_args(parse(["serve", "--cluster", "ray", "--ray-address", "auto", "--gpus-per-worker", "2"]))
    assert (cfg.cluster, cfg.ray_address, cfg.gpus_per_worker, cfg.cluster_workers) == ("ray", "auto", 2, 0)


def test_the_single_process_adapter_does_not_import_ray() -> None:
    code = (
        "import sys; from stv_adapter.app import create_app; from stv_adapter.__main__ import main; "
        "from stv_adapter.config import AdapterConfig; create_app(AdapterConfig(backend='preview')); "
        "sys.exit(1 if 'ray' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent.parent).returncode == 0


def test_an_image_job_is_drawn_on_a_worker_and_served_by_the_front_door(adapter: ClusterAdapter) -> None:
    """Keyframes from prompts (issue 21) through the cluster: the PNG travels back like an MP4."""
    assert adapter.client.get("/health").json()["makesKeyframes"] is True
    body = small_request(output="image", width=320, height=256, sceneId="still")
    body.pop("numFrames")
    posted = adapter.client.post("/jobs", json=body)
    assert posted.status_code == 202, posted.text
    job = adapter.wait(posted.json()["jobId"])
    assert job["status"] == "succeeded", job
    png = Path(job["result"]["outputImagePath"])
    with Image.open(png) as img:
        assert (img.format, img.size) == ("PNG", (320, 256))
    assert sidecar(job)["extra"]["cluster"]["worker"] in {"worker-0", "worker-1"}
    served = adapter.client.get(f"/jobs/{job['jobId']}/image")
    assert served.status_code == 200 and served.content == png.read_bytes()
