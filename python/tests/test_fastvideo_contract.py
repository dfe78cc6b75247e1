"""Contract test against FastVideo's real code: fetch the pinned wheel (no dependencies) from PyPI
and check, by reading its source (zipfile + ast, never importing it), that everything the adapter
relies on exists where we use it: the keywords and request fields we pass, the result fields we
read, the environment variables we set, the stage log lines we parse, and the model ids we accept.
Skips (saying why) only when PyPI cannot be reached."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from stv_adapter.backends import BackendJob, fastvideo_worker
from stv_adapter.backends.fastvideo_backend import STAGE_PROGRESS, FastVideoBackend
from stv_adapter.config import AdapterConfig
from stv_adapter.model_profiles import ATTENTION_MODULES, FASTWAN, WAN22_BASE

PINNED = "0.2.1"  # keep equal to the gpu extra's pin in pyproject.toml
CACHE = Path(os.environ.get("STV_TOOLS_DIR", Path.home() / ".cache" / "stv-tools")) / "wheels"
NETWORK_ERRORS = (
    "NewConnectionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "ConnectTimeout",
    "ConnectionError",
    "ProxyError",
    "timed out",
    "Connection refused",
)


@pytest.fixture(scope="module")
def wheel() -> zipfile.ZipFile:
    found = sorted(CACHE.glob(f"fastvideo-{PINNED}-*.whl"))
    if not found:
        CACHE.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--disable-pip-version-check",
                "-q",
                f"fastvideo=={PINNED}",
                "-d",
                str(CACHE),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if r.returncode != 0:
            if any(marker in r.stderr for marker in NETWORK_ERRORS):
                pytest.skip(
                    f"PyPI is unreachable, so fastvideo=={PINNED} cannot be fetched: {r.stderr.strip().splitlines()[-1][:200]}"
                )
            raise AssertionError(f"pip could not fetch fastvideo=={PINNED}:\n{r.stderr}")
        found = sorted(CACHE.glob(f"fastvideo-{PINNED}-*.whl"))
    return zipfile.ZipFile(found[0])


def source(wheel: zipfile.ZipFile, path: str) -> str:
    return wheel.read(path).decode()


def class_def(tree: ast.Module, name: str) -> ast.ClassDef:
    return next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == name)


def dataclass_fields(tree: ast.Module, name: str) -> set[str]:
    return {
        n.target.id
        for n in class_def(tree, name).body
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
    }


def methods(cls: ast.ClassDef) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef)}


def string_constants(node: ast.AST) -> set[str]:
    return {e.value for e in ast.walk(node) if isinstance(e, ast.Constant) and isinstance(e.value, str)}


def sample_request(tmp_path: Path) -> dict:
    backend = FastVideoBackend(AdapterConfig(backend="fastvideo"))
    job = BackendJob(
        job_id="x",
        prompt="p",
        negative_prompt="n",
        keyframe=Image.new("RGB", (8, 8)),
        width=1280,
        height=704,
        num_frames=121,
        fps=24,
        seed=1,
        steps=3,
        out_path=tmp_path / ".stv-x.mp4.part",
    )
    return backend.build_request(job, image_path="/tmp/k.png")  # every optional field present


def test_from_pretrained_takes_our_keywords_and_the_log_queue(wheel: zipfile.ZipFile) -> None:
    gen_src = source(wheel, "fastvideo/entrypoints/video_generator.py")
    tree = ast.parse(gen_src)
    vg = methods(class_def(tree, "VideoGenerator"))
    assert {"from_pretrained", "generate", "shutdown"} <= set(vg)
    conv = next(
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "_FROM_PRETRAINED_CONVENIENCE_KWARGS" for t in n.targets)
    )
    convenience = string_constants(conv.value)
    worker_tree = ast.parse(Path(fastvideo_worker.__file__).read_text())
    call = next(
        n for n in ast.walk(worker_tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "from_pretrained"
    )
    ours = {k.arg for k in call.keywords}
    assert "log_queue" in ours and 'kwargs.pop("log_queue", None)' in ast.get_source_segment(
        gen_src, vg["from_pretrained"]
    )
    assert ours - {"log_queue"} <= convenience, (
        f"not stable from_pretrained keywords: {ours - {'log_queue'} - convenience}"
    )


def test_generate_takes_our_request_and_returns_what_we_read(wheel: zipfile.ZipFile, tmp_path: Path) -> None:
    gen_tree = ast.parse(source(wheel, "fastvideo/entrypoints/video_generator.py"))
    generate = methods(class_def(gen_tree, "VideoGenerator"))["generate"]
    assert [a.arg for a in generate.args.args] == ["self", "request"], (
        "generate(request) takes one request (a GenerationRequest or its mapping)"
    )

    schema = ast.parse(source(wheel, "fastvideo/api/schema.py"))
    request = sample_request(tmp_path)
    top = dataclass_fields(schema, "GenerationRequest")
    assert set(request) <= top, f"not GenerationRequest fields: {set(request) - top}"
    for section, cls in (("inputs", "InputConfig"), ("sampling", "SamplingConfig"), ("output", "OutputConfig")):
        fields = dataclass_fields(schema, cls)
        assert set(request.get(section, {})) <= fields, f"not {cls} fields: {set(request[section]) - fields}"
    # request_to_sampling_param sets every explicit field on SamplingParam and raises on the rest.
    sp = dataclass_fields(ast.parse(source(wheel, "fastvideo/api/sampling_param.py")), "SamplingParam")
    flat = {"negative_prompt"} | {k for s in ("inputs", "sampling", "output") for k in request.get(s, {})}
    assert flat <= sp, f"not SamplingParam fields: {flat - sp}"
    assert request["output"]["output_path"].endswith(".mp4"), "FastVideo treats any other path as a folder"

    results = dataclass_fields(ast.parse(source(wheel, "fastvideo/api/results.py")), "GenerationResult")
    worker_src = Path(fastvideo_worker.__file__).read_text()
    read = set(re.findall(r'_get\(result, "([a-z_]+)"\)', worker_src))
    assert read and read <= results, f"not GenerationResult fields: {read - results}"


def test_environment_variables_and_stage_logging_are_what_we_parse(wheel: zipfile.ZipFile) -> None:
    envs = source(wheel, "fastvideo/envs.py")
    for name in ("FASTVIDEO_ATTENTION_BACKEND", "FASTVIDEO_STAGE_LOGGING"):
        assert f'"{name}":' in envs, name
    base = source(wheel, "fastvideo/pipelines/stages/base.py")
    assert 'stage_name = f"{stage_key}|{stage_class_name}"' in base
    assert 'logger.info("[%s] Starting execution", stage_name)' in base
    assert fastvideo_worker.STAGE_START.search("[denoising_stage|DmdDenoisingStage] Starting execution")
    # Every stage the Wan 2.2 TI2V pipelines run has a place in our progress.
    stages: set[str] = set()
    for path in ("fastvideo/pipelines/basic/wan/wan_dmd_pipeline.py", "fastvideo/pipelines/basic/wan/wan_pipeline.py"):
        stages |= set(re.findall(r'add_stage\(\s*stage_name="([a-z_]+)"', source(wheel, path)))
    assert stages and stages <= set(STAGE_PROGRESS), f"stages without progress: {stages - set(STAGE_PROGRESS)}"


def test_worker_process_model_matches_what_we_handle(wheel: zipfile.ZipFile) -> None:
    executor = source(wheel, "fastvideo/worker/multiproc_executor.py")
    # FastVideo's GPU worker signals its parent (our worker) when it dies: we catch SIGQUIT.
    assert "parent_process.send_signal(signal.SIGQUIT)" in executor
    assert 'log_queue = kwargs.pop("log_queue", None)' in executor and "QueueHandler(log_queue)" in executor
    interface = ast.parse(source(wheel, "fastvideo/platforms/interface.py"))
    backends = {
        t.id
        for n in class_def(interface, "AttentionBackendEnum").body
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    assert set(ATTENTION_MODULES) <= backends, set(ATTENTION_MODULES) - backends


def test_the_model_ids_we_accept_are_registered(wheel: zipfile.ZipFile) -> None:
    registry = source(wheel, "fastvideo/registry.py")
    block = registry[registry.index("pipeline_config_cls=FastWan2_2_TI2V_5B_Config") :][:600]
    for hub_id in FASTWAN.hub_ids:
        assert f'"{hub_id}"' in block, hub_id
    for hub_id in WAN22_BASE.hub_ids:
        assert f'"{hub_id}"' in registry, hub_id
    # A local folder is matched to its config by its name first: what load_target works around.
    assert "model_name = get_model_short_name(model_path.lower())" in registry
