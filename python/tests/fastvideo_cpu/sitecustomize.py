"""Test tooling only (issue 16): lets the real FastVideo 0.2.1 run on a CPU. Never part of the product.

Python imports `sitecustomize` at start-up from sys.path, so putting this folder on PYTHONPATH applies
it in every process: the adapter, its FastVideo worker (multiprocessing spawn) and FastVideo's own
GPU-worker process, which all inherit the environment. It patches four places in the 0.2.1 wheel
that assume a GPU, each right after FastVideo's module has executed (an import hook) and only where
the original would do the wrong thing on a machine without CUDA or MPS. docs/fastvideo-adapter.md
("FastVideo on a CPU") has the upstream-ready write-up of each.

1. fastvideo/distributed/parallel_state.py:891, get_local_torch_device(): any platform that is not
   NPU or CUDA gets torch.device("mps"), so the CPU platform puts tensors on a device that does not
   exist. Patched: "cpu" when the platform is the CPU one.
2. fastvideo/platforms/interface.py:139, Platform.get_attn_backend_cls() returns "" and CpuPlatform
   does not override it, so attention/selector.py:291 raises "Invalid attention backend for CPU" even
   with FASTVIDEO_ATTENTION_BACKEND=TORCH_SDPA. Patched: CpuPlatform answers FastVideo's own SDPA
   backend (fastvideo.attention.backends.sdpa.SDPABackend).
3. fastvideo/pipelines/stages/denoising.py:465, :595 (the base pipeline) and :885 (FastWan's DMD
   stage) run the DiT under torch.autocast(device_type="cuda", dtype=bfloat16), and decoding.py:180
   runs the VAE under autocast(device_type="cuda", dtype=<vae precision>). Without CUDA these do
   nothing, so bf16 and fp32 tensors meet ("expected mat1 and mat2 to have the same dtype"; FastWan:
   "Input type (c10::BFloat16) and bias type (float) should be the same" in wanvae.py:207). Patched:
   those two modules' autocast uses device_type="cpu" when CUDA is unavailable (CPU autocast supports
   bfloat16).
4. fastvideo/pipelines/stages/base.py:149, :153 and :162: with FASTVIDEO_STAGE_LOGGING=1 (the
   adapter's progress source) every stage calls torch.cuda.synchronize(), which raises "Found no
   NVIDIA driver" without CUDA. Patched: that module's synchronize does nothing when CUDA is
   unavailable (there is nothing asynchronous to wait for on a CPU).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Callable, Sequence
from typing import Any

SDPA_BACKEND = "fastvideo.attention.backends.sdpa.SDPABackend"
APPLIED: list[str] = []  # which patches ran in this process (the test reads it through a log line)


def _patch_parallel_state(mod: types.ModuleType) -> None:
    original = mod.get_local_torch_device

    def get_local_torch_device() -> Any:
        from fastvideo.platforms import current_platform

        if current_platform.is_cpu():
            import torch

            return torch.device("cpu")
        return original()

    mod.get_local_torch_device = get_local_torch_device
    APPLIED.append("get_local_torch_device")


def _patch_cpu_platform(mod: types.ModuleType) -> None:
    cls = mod.CpuPlatform
    original = cls.get_attn_backend_cls

    def get_attn_backend_cls(klass: Any, selected_backend: Any, head_size: int, dtype: Any) -> str:
        answer: str = original(selected_backend, head_size, dtype)
        if answer:
            return answer
        name = getattr(selected_backend, "name", None)
        if name not in (None, "TORCH_SDPA"):
            return answer  # another backend asked for by name: keep FastVideo's refusal
        return SDPA_BACKEND

    cls.get_attn_backend_cls = classmethod(get_attn_backend_cls)
    APPLIED.append("CpuPlatform.get_attn_backend_cls")


def _cpu_torch(real_torch: Any) -> types.ModuleType:
    """torch, except that the CUDA-only calls below act on the CPU when there is no CUDA."""

    class _Cuda(types.ModuleType):
        def __getattr__(self, name: str) -> Any:
            return getattr(real_torch.cuda, name)

        @staticmethod
        def synchronize(device: Any = None) -> None:
            if real_torch.cuda.is_available():
                real_torch.cuda.synchronize(device)

    class _Torch(types.ModuleType):
        cuda = _Cuda("torch.cuda")

        def __getattr__(self, name: str) -> Any:
            return getattr(real_torch, name)

        @staticmethod
        def autocast(device_type: str, *args: Any, **kwargs: Any) -> Any:
            if device_type == "cuda" and not real_torch.cuda.is_available():
                device_type = "cpu"
            return real_torch.autocast(device_type, *args, **kwargs)

    return _Torch("torch")


def _patch_denoising(mod: types.ModuleType) -> None:
    mod.torch = _cpu_torch(mod.torch)
    APPLIED.append("denoising autocast")


def _patch_decoding(mod: types.ModuleType) -> None:
    mod.torch = _cpu_torch(mod.torch)
    APPLIED.append("decoding autocast")


def _patch_stage_base(mod: types.ModuleType) -> None:
    mod.torch = _cpu_torch(mod.torch)
    APPLIED.append("stage logging synchronize")


PATCHES: dict[str, Callable[[types.ModuleType], None]] = {
    "fastvideo.distributed.parallel_state": _patch_parallel_state,
    "fastvideo.platforms.cpu": _patch_cpu_platform,
    "fastvideo.pipelines.stages.denoising": _patch_denoising,
    "fastvideo.pipelines.stages.decoding": _patch_decoding,
    "fastvideo.pipelines.stages.base": _patch_stage_base,
}


class _PatchAfterExec(importlib.abc.MetaPathFinder):
    """Finds the target modules with the normal finders, then patches each right after it executes,
    before any other module can copy its names with `from ... import`."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        patch = PATCHES.get(fullname)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
                continue
            loader = spec.loader
            original_exec = loader.exec_module

            def exec_module(module: types.ModuleType, _exec: Any = original_exec, _patch: Any = patch) -> None:
                _exec(module)
                _patch(module)

            loader.exec_module = exec_module  # type: ignore[method-assign]
            return spec
        return None


sys.meta_path.insert(0, _PatchAfterExec())
