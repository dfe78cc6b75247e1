"""Writes a tiny Wan 2.2 TI2V model folder: the real architecture with random weights (issue 16).

    python tests/tiny_wan.py <parent folder> [--flavor base|fastwan] [--seed N]

The folder is shaped like Wan-AI/Wan2.2-TI2V-5B-Diffusers (or FastVideo/FastWan2.2-TI2V-5B-FullAttn-
Diffusers): model_index.json, transformer/, vae/, text_encoder/, tokenizer/, scheduler/, built from
the real diffusers/transformers classes (WanTransformer3DModel, AutoencoderKLWan, UMT5EncoderModel)
with the real configs' keys and fixed shapes (48 latent channels, patch 1x2x2, VAE 16x spatial / 4x
temporal compression, 12-channel patched VAE input) but a few layers and small widths, so the whole
FastVideo path runs on a CPU in seconds. The pictures are noise; the plumbing is real.

Needs torch, diffusers, transformers and tokenizers: run it with the FastVideo test venv's Python
(scripts/lib/fastvideo-venv.sh). No network: the tokenizer is built here, not downloaded.
Deterministic: the same seed writes byte-identical files (the test checks the hash).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

# FastVideo chooses the pipeline config by the folder's *name* for local paths (fastvideo/registry.py,
# _get_config_info), so the folder is named like the hub repository it imitates.
FOLDER_NAMES = {"base": "Wan2.2-TI2V-5B-Diffusers", "fastwan": "FastWan2.2-TI2V-5B-FullAttn-Diffusers"}
PIPELINE_CLASS = {"base": "WanPipeline", "fastwan": "WanDMDPipeline"}
TEXT_DIM = 32  # UMT5's d_model here; the DiT's text_dim must match it (4096 in the real model)

# The real repository's scheduler/scheduler_config.json keys and values. Newer diffusers writes more
# keys, which FastVideo passes to its own scheduler class and which refuses them (component_loader.py,
# SchedulerLoader), so this file is written by hand rather than by save_pretrained.
SCHEDULER_CONFIG: dict[str, Any] = {
    "_class_name": "UniPCMultistepScheduler",
    "_diffusers_version": "0.35.0.dev0",
    "beta_end": 0.02,
    "beta_schedule": "linear",
    "beta_start": 0.0001,
    "disable_corrector": [],
    "dynamic_thresholding_ratio": 0.995,
    "final_sigmas_type": "zero",
    "flow_shift": 5.0,
    "lower_order_final": True,
    "num_train_timesteps": 1000,
    "predict_x0": True,
    "prediction_type": "flow_prediction",
    "rescale_betas_zero_snr": False,
    "sample_max_value": 1.0,
    "solver_order": 2,
    "solver_p": None,
    "solver_type": "bh2",
    "steps_offset": 0,
    "thresholding": False,
    "timestep_spacing": "linspace",
    "trained_betas": None,
    "use_beta_sigmas": False,
    "use_exponential_sigmas": False,
    "use_flow_sigmas": True,
    "use_karras_sigmas": False,
}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def build_tokenizer(folder: Path) -> int:
    """A Unigram tokenizer.json (the format of UMT5's), loadable as T5TokenizerFast; returns its size.
    T5's special ids: <pad> 0, </s> 1, <unk> 2. The vocabulary is single characters and a few
    words, enough for any English prompt (unknown characters become <unk>)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    pieces = ["<pad>", "</s>", "<unk>", "\u2581"]
    pieces += [chr(c) for c in range(33, 127)]
    pieces += [
        "\u2581" + w for w in ("a", "the", "of", "in", "at", "and", "lighthouse", "dusk", "fox", "snow", "red", "sea")
    ]
    vocab = [(p, 0.0 if i < 3 else -float(i) / 10) for i, p in enumerate(pieces)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=2, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.Replace(" {2,}", " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", 1)]
    )
    folder.mkdir(parents=True, exist_ok=True)
    tok.save(str(folder / "tokenizer.json"))
    _write_json(
        folder / "tokenizer_config.json",
        {
            "tokenizer_class": "T5TokenizerFast",
            "model_max_length": 512,
            "pad_token": "<pad>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "extra_ids": 0,
            "additional_special_tokens": [],
        },
    )
    _write_json(folder / "special_tokens_map.json", {"pad_token": "<pad>", "eos_token": "</s>", "unk_token": "<unk>"})
    return len(pieces)


def generate(parent: Path, flavor: str = "base", seed: int = 0) -> Path:
    import torch
    from diffusers import AutoencoderKLWan, WanTransformer3DModel
    from transformers import UMT5Config, UMT5EncoderModel

    folder = parent / FOLDER_NAMES[flavor]
    folder.mkdir(parents=True, exist_ok=True)
    vocab_size = build_tokenizer(folder / "tokenizer")

    torch.manual_seed(seed)
    # The real DiT: 30 layers, 24 heads of 128, ffn 14336, text_dim 4096. Head dim 24 keeps Wan's 3-D
    # rotary split (t, h, w) non-empty.
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=24,
        in_channels=48,
        out_channels=48,
        text_dim=TEXT_DIM,
        freq_dim=256,
        ffn_dim=64,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        eps=1e-6,
        image_dim=None,
        added_kv_proj_dim=None,
        rope_max_seq_len=1024,
    )
    transformer.save_pretrained(folder / "transformer", safe_serialization=True)

    torch.manual_seed(seed + 1)
    # The real VAE: base_dim 160, decoder_base_dim 256, residual, patch 2, z_dim 48, 16x spatial.
    vae = AutoencoderKLWan(
        base_dim=8,
        decoder_base_dim=8,
        z_dim=48,
        dim_mult=[1, 2, 4, 4],
        num_res_blocks=1,
        attn_scales=[],
        temperal_downsample=[False, True, True],
        dropout=0.0,
        is_residual=True,
        in_channels=12,
        out_channels=12,
        patch_size=2,
        scale_factor_temporal=4,
        scale_factor_spatial=16,
        latents_mean=[0.0] * 48,
        latents_std=[1.0] * 48,
    )
    vae.save_pretrained(folder / "vae", safe_serialization=True)
    vae_config = json.loads((folder / "vae" / "config.json").read_text(encoding="utf-8"))
    vae_config["clip_output"] = False  # the real config has it (an older diffusers' key); FastVideo reads it
    _write_json(folder / "vae" / "config.json", vae_config)

    torch.manual_seed(seed + 2)
    # The real text encoder is UMT5-XXL (d_model 4096, 24 layers, 64 heads, vocab 256384).
    text_encoder = UMT5EncoderModel(
        UMT5Config(
            vocab_size=vocab_size,
            d_model=TEXT_DIM,
            d_kv=8,
            d_ff=64,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=32,
            relative_attention_max_distance=128,
            dropout_rate=0.0,
            feed_forward_proj="gated-gelu",
            tie_word_embeddings=False,
            pad_token_id=0,
            eos_token_id=1,
            decoder_start_token_id=0,
        )
    )
    text_encoder.save_pretrained(folder / "text_encoder", safe_serialization=True)

    _write_json(folder / "scheduler" / "scheduler_config.json", SCHEDULER_CONFIG)
    _write_json(
        folder / "model_index.json",
        {
            "_class_name": PIPELINE_CLASS[flavor],
            "_diffusers_version": "0.35.0.dev0",
            "boundary_ratio": None,
            "expand_timesteps": True,
            "scheduler": ["diffusers", "UniPCMultistepScheduler"],
            "text_encoder": ["transformers", "UMT5EncoderModel"],
            "tokenizer": ["transformers", "T5TokenizerFast"],
            "transformer": ["diffusers", "WanTransformer3DModel"],
            "transformer_2": [None, None],
            "vae": ["diffusers", "AutoencoderKLWan"],
        },
    )
    return folder


def folder_digest(folder: Path) -> str:
    """One hash over every file's relative path and bytes: equal digests mean identical folders."""
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(folder)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("parent", type=Path, help="the folder to create the model folder in")
    ap.add_argument("--flavor", choices=sorted(FOLDER_NAMES), default="base")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    folder = generate(args.parent, args.flavor, args.seed)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(json.dumps({"folder": str(folder), "bytes": size, "sha256": folder_digest(folder)}))


if __name__ == "__main__":
    main()
