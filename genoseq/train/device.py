"""Where and how to compute: device and precision choice, DataLoader workers, seeding."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from genoseq._cuda import bf16_native
from genoseq.errors import ConfigError

__all__ = ["auto_workers", "resolve_device", "resolve_precision", "seed_all"]


def resolve_device(preference: str) -> torch.device:
    """``"auto"`` → CUDA if available else CPU; ``"cuda"`` without a GPU is a :class:`ConfigError`."""
    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda, but no CUDA GPU is available (use --device auto or cpu)")
    if preference not in ("cpu", "cuda"):
        raise ConfigError(f"device must be auto, cpu or cuda, got {preference!r}")
    return torch.device(preference)


def resolve_precision(preference: str, device: torch.device) -> tuple[str, torch.dtype | None]:
    """The precision name and autocast dtype (``None`` = fp32) for ``device``.

    ``"auto"``: bf16 on CUDA GPUs that compute it in hardware (Ampere and later),
    else fp16 (with gradient scaling); fp32 on CPU. fp16 on CPU is refused; bf16
    on CPU is allowed, and on an older GPU that can only emulate it.
    """
    if preference == "auto":
        if device.type != "cuda":
            return "fp32", None
        return ("bf16", torch.bfloat16) if bf16_native() else ("fp16", torch.float16)
    if preference == "fp32":
        return "fp32", None
    if preference == "bf16":
        if device.type == "cuda" and not torch.cuda.is_bf16_supported():
            raise ConfigError("this GPU does not support bf16; use --precision fp16 or auto")
        return "bf16", torch.bfloat16
    if preference == "fp16":
        if device.type != "cuda":
            raise ConfigError("--precision fp16 needs a CUDA GPU; on CPU use --precision fp32 (or bf16)")
        return "fp16", torch.float16
    raise ConfigError(f"precision must be auto, fp32, bf16 or fp16, got {preference!r}")


def auto_workers(device: torch.device) -> int:
    """DataLoader workers: none on CPU (they would compete with the model), up to 4 per GPU process."""
    if device.type != "cuda":
        return 0
    per_node = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    return max(0, min(4, (os.cpu_count() or 1) // per_node - 1))


def seed_all(seed: int) -> None:
    """Seed torch (CPU and CUDA), NumPy's legacy global generator and Python's ``random``."""
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - third-party code may use the global RNG
    random.seed(seed)
