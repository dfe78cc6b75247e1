"""Contract test against FastVideo's real code: fetch the pinned wheel (no dependencies) from PyPI
and check, by reading its source, that every keyword the adapter passes exists where we pass it."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from stv_adapter.backends import BackendJob
from stv_adapter.backends.fastvideo_backend import FastVideoBackend
from stv_adapter.config import AdapterConfig

PINNED = "0.2.1"
CACHE = Path(os.environ.get("STV_TOOLS_DIR", Path.home() / ".cache" / "stv-tools")) / "wheels"


@pytest.fixture(scope="module")
def wheel() -> zipfile.ZipFile:
    found = sorted(CACHE.glob(f"fastvideo-{PINNED}-*.whl"))
    if not found:
        CACHE.mkdir(parents=True, exist_ok=True)
        r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q", f"fastvideo=={PINNED}", "-d", str(CACHE)], capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            if "Could not find" in r.stderr or "connection" in r.stderr.lower() or "resolve" in r.stderr.lower():
                pytest.skip(f"PyPI unreachable, cannot fetch fastvideo=={PINNED}: {r.stderr.strip()[-200:]}")
            raise AssertionError(r.stderr)
        found = sorted(CACHE.glob(f"fastvideo-{PINNED}-*.whl"))
    return zipfile.ZipFile(found[0])


def module(wheel: zipfile.ZipFile, path: str) -> ast.Module:
    return ast.parse(wheel.read(path).decode())


def class_def(tree: ast.Module, name: str) -> ast.ClassDef:
    return next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == name)


def dataclass_fields(cls: ast.ClassDef) -> set[str]:
    return {n.target.id for n in cls.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}


def methods(cls: ast.ClassDef) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef)}


def test_the_keywords_we_pass_exist_in_the_pinned_fastvideo(wheel: zipfile.ZipFile, tmp_path: Path) -> None:
    gen_tree = module(wheel, "fastvideo/entrypoints/video_generator.py")
    vg = methods(class_def(gen_tree, "VideoGenerator"))
    assert {"from_pretrained", "generate_video", "shutdown"} <= set(vg)

    # from_pretrained(**kwargs): our keywords must be among its stable convenience kwargs.
    conv = next(n for n in ast.walk(gen_tree) if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_FROM_PRETRAINED_CONVENIENCE_KWARGS" for t in n.targets))
    convenience = {e.value for e in ast.walk(conv.value) if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    from stv_adapter.backends import fastvideo_worker

    src = ast.parse(Path(fastvideo_worker.__file__).read_text())
    call = next(n for n in ast.walk(src) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "from_pretrained")
    ours = {k.arg for k in call.keywords}
    assert ours <= convenience, f"not accepted by from_pretrained: {ours - convenience}"

    # generate_video(prompt, sampling_param=None, ..., **kwargs): kwargs are SamplingParam fields.
    gv = vg["generate_video"]
    assert [a.arg for a in gv.args.args[:2]] == ["self", "prompt"] and gv.args.kwarg is not None
    sp_fields = dataclass_fields(class_def(module(wheel, "fastvideo/api/sampling_param.py"), "SamplingParam"))
    backend = FastVideoBackend(AdapterConfig(backend="fastvideo"))
    from PIL import Image

    job = BackendJob(job_id="x", prompt="p", negative_prompt="n", keyframe=Image.new("RGB", (8, 8)), width=1280, height=704, num_frames=121, fps=24, seed=1, steps=3, out_path=tmp_path / ".stv-x.mp4.part")
    kwargs = backend.build_kwargs(job, image_path="/tmp/k.png")
    assert set(kwargs) <= sp_fields, f"not SamplingParam fields: {set(kwargs) - sp_fields}"
    assert kwargs["output_path"].endswith(".mp4"), "FastVideo treats any other path as a folder"
