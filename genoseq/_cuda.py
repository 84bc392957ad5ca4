"""CUDA precision facts shared by the trainer and the predictor (CPU-safe: nothing here needs a GPU)."""

from __future__ import annotations

import contextlib
import threading
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


#: callers inside :func:`exact_fp32` now (threads sharing a Predictor), and the cuDNN settings the
#: first of them found: the flags are process-wide, so they are set by the first to enter and put
#: back by the last to leave (each restoring its own would leave TF32 on for the others, or off for good)
_EXACT_LOCK = threading.Lock()
_exact_depth = 0
_exact_saved: tuple[str, tuple[object, ...]] | None = None


def _enter_exact() -> None:
    global _exact_depth, _exact_saved
    with _EXACT_LOCK:
        if _exact_depth == 0:
            backends = torch.backends.cudnn
            try:
                before = backends.allow_tf32
            except RuntimeError:  # the caller set per-operator TF32 flags with torch's newer API
                _exact_saved = ("ops", (backends.conv.fp32_precision, backends.rnn.fp32_precision))
                backends.conv.fp32_precision = backends.rnn.fp32_precision = "ieee"
            else:
                _exact_saved = ("flag", (before,))
                backends.allow_tf32 = False
        _exact_depth += 1


def _leave_exact() -> None:
    global _exact_depth, _exact_saved
    with _EXACT_LOCK:
        _exact_depth -= 1
        if _exact_depth == 0 and _exact_saved is not None:
            backends = torch.backends.cudnn
            kind, values = _exact_saved
            if kind == "ops":
                backends.conv.fp32_precision, backends.rnn.fp32_precision = values
            else:
                backends.allow_tf32 = values[0]
            _exact_saved = None


@contextlib.contextmanager
def exact_fp32(device: torch.device) -> Iterator[None]:
    """Full float32 in cuDNN (no TF32 convolutions or LSTMs) on ``device`` while inside.

    cuDNN's default on Ampere and later is TF32 (10 mantissa bits) for convolutions and RNNs: about
    three significant digits, enough for training, too few for the small ref-vs-alt differences
    variant scoring reports. A no-op off CUDA. Safe for threads: TF32 stays off until the last of
    several overlapping callers leaves, then the caller's own setting comes back.
    """
    if device.type != "cuda":
        yield
        return
    _enter_exact()
    try:
        yield
    finally:
        _leave_exact()
