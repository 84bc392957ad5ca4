"""CUDA precision facts shared by the trainer and the predictor (CPU-safe: nothing here needs a GPU)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["bf16_native", "exact_fp32"]


def bf16_native() -> bool:
    """Whether the current CUDA GPU computes bfloat16 in hardware (Ampere, sm80, and later; ROCm).

    ``torch.cuda.is_bf16_supported()`` alone also says yes on older GPUs (V100, T4) since torch 2.3,
    where bf16 is only emulated: slow, and not what ``--precision auto`` should pick there (fp16 with
    gradient scaling is).
    """
    if not torch.cuda.is_available():
        return False
    try:
        return bool(torch.cuda.is_bf16_supported(including_emulation=False))
    except TypeError:  # torch < 2.3 has no emulation and no keyword
        return bool(torch.cuda.is_bf16_supported())


@contextlib.contextmanager
def exact_fp32(device: torch.device) -> Iterator[None]:
    """Full float32 in cuDNN (no TF32 convolutions or LSTMs) on ``device`` while inside.

    cuDNN's default on Ampere and later is TF32 (10 mantissa bits) for convolutions and RNNs: about
    three significant digits, enough for training, too few for the small ref-vs-alt differences
    variant scoring reports. A no-op off CUDA.
    """
    if device.type != "cuda":
        yield
        return
    backends = torch.backends.cudnn
    try:
        before = backends.allow_tf32
    except RuntimeError:  # the caller set per-operator TF32 flags with torch's newer API
        before = None
    if before is None:
        conv, rnn = backends.conv.fp32_precision, backends.rnn.fp32_precision
        backends.conv.fp32_precision = backends.rnn.fp32_precision = "ieee"
        try:
            yield
        finally:
            backends.conv.fp32_precision, backends.rnn.fp32_precision = conv, rnn
        return
    backends.allow_tf32 = False
    try:
        yield
    finally:
        backends.allow_tf32 = before
