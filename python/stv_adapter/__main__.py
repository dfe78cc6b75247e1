"""`python -m stv_adapter serve ...`: the adapter's command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from .config import DEFAULT_PORT, AdapterConfig, default_home


def add_cluster_arguments(s: argparse.ArgumentParser) -> None:
    """serve --cluster ray and its options (docs/scale-out.md)."""
    s.add_argument(
        "--cluster",
        choices=["ray"],
        default=None,
        help="be the front door of a Ray cluster: jobs go to worker actors, one job each (needs the 'cluster' extra; see docs/scale-out.md)",
    )
    s.add_argument(
        "--ray-address",
        default=None,
        metavar="auto|HOST:PORT",
        help="the Ray cluster to join ('auto': the one 'ray start' began on this machine; env STV_RAY_ADDRESS); default: start one on this machine, loopback only",
    )
    s.add_argument(
        "--gpus-per-worker",
        type=int,
        default=1,
        metavar="K",
        help="GPUs per worker actor; K > 1 renders each clip on K GPUs (FastVideo's own multi-GPU inference)",
    )
    s.add_argument(
        "--workers",
        type=int,
        default=0,
        help="number of worker actors (default: one per K GPUs in the cluster; one per node without GPUs)",
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="stv-adapter", description="Scene to Video's FastVideo adapter.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the HTTP server")
    s.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; anything else needs a token)"
    )
    s.add_argument("--port", type=int, default=int(os.environ.get("STV_ADAPTER_PORT", DEFAULT_PORT)))
    s.add_argument("--backend", choices=["fastvideo", "preview"], default=os.environ.get("STV_BACKEND", "fastvideo"))
    s.add_argument(
        "--model",
        default=os.environ.get("FASTVIDEO_MODEL", "FastVideo/FastWan2.2-TI2V-5B-Diffusers"),
        help="hub id: FastVideo/FastWan2.2-TI2V-5B-Diffusers (fast, ignores keyframes) or Wan-AI/Wan2.2-TI2V-5B-Diffusers (follows keyframes)",
    )
    s.add_argument(
        "--model-path",
        default=os.environ.get("FASTVIDEO_MODEL_PATH") or None,
        help="a local model folder (overrides the hub id lookup)",
    )
    s.add_argument(
        "--output-root", type=Path, default=Path(os.environ.get("STV_OUTPUT_ROOT", default_home() / "outputs"))
    )
    s.add_argument(
        "--artifacts-dir", type=Path, default=Path(os.environ.get("STV_ARTIFACTS_DIR", "artifacts/fastvideo"))
    )
    s.add_argument(
        "--attention-backend",
        default=os.environ.get("FASTVIDEO_ATTENTION_BACKEND") or None,
        help="FLASH_ATTN, TORCH_SDPA, SAGE_ATTN, VIDEO_SPARSE_ATTN (default: FastVideo's choice for the model)",
    )
    s.add_argument(
        "--token",
        default=None,
        help="require this bearer token (prefer the environment variable named by --token-env: command lines are visible to other users)",
    )
    s.add_argument(
        "--allow-host",
        action="append",
        default=[n.strip() for n in os.environ.get("STV_ALLOWED_HOSTS", "").split(",") if n.strip()],
        metavar="NAME",
        help="another name this adapter answers to (Host/Origin checks against DNS rebinding), e.g. an SSH tunnel's or LAN name; repeatable; '*' accepts any (env STV_ALLOWED_HOSTS, comma-separated)",
    )
    s.add_argument(
        "--token-env",
        default="STV_ADAPTER_TOKEN",
        metavar="NAME",
        help="the environment variable holding the token (default STV_ADAPTER_TOKEN)",
    )
    s.add_argument("--lazy", action="store_true", help="load the model on the first job instead of at start-up")
    s.add_argument("--max-queue", type=int, default=32)
    s.add_argument("--max-body-mb", type=int, default=64)
    s.add_argument("--recycle-after-jobs", type=int, default=0, help="reload the generator after N jobs (0: never)")
    s.add_argument(
        "--max-rss-mb",
        type=int,
        default=0,
        help="reload the generator when its processes use more RAM than this (0: no bound)",
    )
    for flag, default in (
        ("dit-cpu-offload", True),
        ("vae-cpu-offload", True),
        ("text-encoder-cpu-offload", True),
        ("pin-cpu-memory", False),
        ("use-fsdp-inference", False),
    ):
        s.add_argument(f"--{flag}", action=argparse.BooleanOptionalAction, default=default)
    s.add_argument("--num-gpus", type=int, default=1)
    add_cluster_arguments(s)
    s.add_argument(
        "--dry-run", action="store_true", help="check the environment and the model without loading weights, then exit"
    )
    s.add_argument("--log-level", default="info")
    return p


def config_from_args(a: argparse.Namespace) -> AdapterConfig:
    return AdapterConfig(
        host=a.host,
        port=a.port,
        backend=a.backend,
        model=a.model,
        model_path=a.model_path,
        output_root=a.output_root.expanduser(),
        artifacts_dir=a.artifacts_dir,
        allowed_hosts=list(a.allow_host),
        token=(a.token or os.environ.get(a.token_env) or "").strip() or None,
        attention_backend=None if (a.attention_backend or "").lower() in ("", "auto") else a.attention_backend,
        lazy=a.lazy,
        max_queue=a.max_queue,
        max_body_bytes=a.max_body_mb * 1024 * 1024,
        recycle_after_jobs=a.recycle_after_jobs,
        max_rss_mb=a.max_rss_mb,
        dit_cpu_offload=a.dit_cpu_offload,
        vae_cpu_offload=a.vae_cpu_offload,
        text_encoder_cpu_offload=a.text_encoder_cpu_offload,
        pin_cpu_memory=a.pin_cpu_memory,
        use_fsdp_inference=a.use_fsdp_inference,
        num_gpus=a.num_gpus,
        cluster=a.cluster,
        # The environment's address applies only in cluster mode: it never stops a single adapter.
        ray_address=a.ray_address or ((os.environ.get("STV_RAY_ADDRESS") or None) if a.cluster else None),
        gpus_per_worker=a.gpus_per_worker,
        cluster_workers=a.workers,
    )


def _ray_importable() -> bool:
    import importlib.util

    return importlib.util.find_spec("ray") is not None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = config_from_args(args)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not config.is_loopback() and not config.token:
        print(
            f"Refusing to listen on {config.host} without a token: anyone who can reach this machine could use your GPU and read your renders.\n"
            f"Set {args.token_env} (and the same token in VS Code: 'Scene to Video: Set FastVideo adapter token'), or bind 127.0.0.1.",
            file=sys.stderr,
        )
        return 2
    if not config.cluster and (config.ray_address or config.cluster_workers or config.gpus_per_worker != 1):
        print("--ray-address, --workers and --gpus-per-worker need --cluster ray.", file=sys.stderr)
        return 2
    if config.cluster == "ray" and not _ray_importable():
        print(
            'Ray is not installed: the cluster mode needs the adapter\'s cluster extra: pip install -e "python[cluster]".',
            file=sys.stderr,
        )
        return 2
    if args.dry_run:
        from .dryrun import print_report, run_checks

        print(f"Scene to Video adapter dry run (backend {config.backend}, model {config.model})")
        return print_report(run_checks(config))

    import uvicorn

    from .app import create_app
    from .childproc import bind_children_to_this_process

    bind_children_to_this_process()  # Windows: ffmpeg and the FastVideo worker end with us
    app = create_app(config)
    print(
        f"Scene to Video adapter: backend {config.backend}, listening on http://{config.host}:{config.port} (outputs in {config.output_root})",
        flush=True,
    )
    try:
        uvicorn.run(app, host=config.host, port=config.port, log_level=args.log_level.lower(), access_log=True)
    except OSError as e:
        print(
            f"Cannot listen on {config.host}:{config.port}: {e}. Another adapter may be running: stop it, or use --port.",
            file=sys.stderr,
        )
        return 3
    return 0


if __name__ == "__main__":  # the FastVideo worker is started with 'spawn': keep this guard
    sys.exit(main())
