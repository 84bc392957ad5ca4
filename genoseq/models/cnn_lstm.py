"""CNN-LSTM (DanQ family): convolution -> max-pooling -> bidirectional LSTM -> pooled -> head.

The defaults are a small DanQ sized for CPU training: 128 filters of width 15
(motif detectors), non-overlapping max-pooling by 4, one bidirectional LSTM of
64 units per direction over the pooled positions, then global max and mean
pooling of the LSTM outputs (256 values) into the shared head. On 200 bp this
is ~0.15 M parameters, a few seconds per epoch of 3,000 sequences on 2 cores.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from genoseq.errors import ConfigError
from genoseq.models.config import ModelConfig, _layers, _positive
from genoseq.models.layers import SequenceClassifier, masked_max_mean


@dataclass(frozen=True, kw_only=True)
class CNNLSTMConfig(ModelConfig):
    """Configuration of :class:`CNNLSTM` (see :class:`ModelConfig` for the shared fields).

    Attributes
    ----------
    in_channels : int
        Channels of the one-hot input (4 for A, C, G, T; more with annotation tracks).
    conv_filters : int
        Number of convolution filters.
    conv_width : int
        Filter width in bases (zero-padded, "same", so the length is kept; an even
        width has the extra pad on the right).
    pool_size : int
        Max-pooling window and stride after the convolution (a last partial window is kept).
    lstm_hidden : int
        LSTM units per direction.
    lstm_layers : int
        Stacked bidirectional LSTM layers.
    kmer_spectrum : int
        Also give the head the frequencies of every k-mer of length 1 .. ``kmer_spectrum`` in the
        window (scaled by ``4**k`` so that each block averages 1; 0 = off): a global
        composition summary beside the motif-and-order features of the LSTM.
    """

    in_channels: int = 4
    conv_filters: int = 128
    conv_width: int = 15
    pool_size: int = 4
    lstm_hidden: int = 64
    lstm_layers: int = 1
    kmer_spectrum: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.kmer_spectrum <= 6:
            raise ConfigError(f"kmer_spectrum must be between 0 and 6, got {self.kmer_spectrum}")
        _positive(self, "in_channels", "conv_filters", "conv_width", "pool_size", "lstm_hidden")
        _layers(self, "lstm_layers")


class _CNNLSTMTrunk(nn.Module):
    def __init__(self, config: CNNLSTMConfig) -> None:
        super().__init__()
        self.in_channels = config.in_channels
        self.conv = nn.Conv1d(config.in_channels, config.conv_filters, config.conv_width, padding="same")
        self.pool = nn.MaxPool1d(config.pool_size, ceil_mode=True)
        self.conv_dropout = nn.Dropout(config.dropout)
        self.lstm = nn.LSTM(
            config.conv_filters,
            config.lstm_hidden,
            num_layers=config.lstm_layers,
            batch_first=True,
            bidirectional=True,
            dropout=config.dropout if config.lstm_layers > 1 else 0.0,
        )
        self.kmer_spectrum = config.kmer_spectrum
        self.out_dim = 4 * config.lstm_hidden  # (max, mean) x (forward, backward)
        self.out_dim += sum(4**k for k in range(1, config.kmer_spectrum + 1))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        out = self._recurrent(self._pool(self._conv(x)))
        if self.kmer_spectrum:
            out = torch.cat([out, kmer_frequencies(x[..., :4], self.kmer_spectrum).to(out.dtype)], dim=-1)
        return out

    def _conv(self, x: torch.Tensor) -> torch.Tensor:
        """Convolution before activation: ``(N, L, C)`` -> ``(N, F, 1, L)``."""
        if x.ndim != 3 or x.shape[-1] != self.in_channels:
            raise ValueError(f"expected one-hot input (N, L, {self.in_channels}), got {tuple(x.shape)}")
        # The (N, L, C) input seen as (N, C, 1, L) already has channels-last strides, for which 2-D
        # convolution and pooling take torch's fast CPU path (≈ 10x faster than Conv1d on the
        # transposed tensor); same weights, same results as self.conv / self.pool.
        x4 = x.transpose(1, 2).unsqueeze(2)  # (N, C, 1, L)
        if self.conv.kernel_size[0] % 2:
            return F.conv2d(x4, self.conv.weight.unsqueeze(2), self.conv.bias, padding="same")
        # An even width (DanQ's is 26) is fine: torch pads the odd extra position on the right, as
        # point_edit follows; its warning saying so would only break genoseq's one-line output.
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="Using padding='same' with even kernel", category=UserWarning
            )
            return F.conv2d(x4, self.conv.weight.unsqueeze(2), self.conv.bias, padding="same")

    def _pool(self, h: torch.Tensor) -> torch.Tensor:
        """Max-pooling of :meth:`_conv` output: ``(N, F, 1, L)`` -> ``(N, F, 1, ceil(L / pool))``."""
        return F.max_pool2d(h, (1, self.pool.kernel_size), ceil_mode=True)

    def _recurrent(self, pooled: torch.Tensor) -> torch.Tensor:
        """ReLU, BiLSTM and global pooling: ``(N, F, 1, T)`` -> ``(N, out_dim)``."""
        # ReLU after the max-pool: max and ReLU commute exactly (ReLU is monotonic), and the ReLU
        # then runs on pool_size-times fewer values -- about 3x faster for the whole trunk on CPU.
        h = torch.relu(pooled).squeeze(2)  # (N, F, T)
        h = self.conv_dropout(h).transpose(1, 2)  # (N, T, F)
        h, _ = self.lstm(h)  # (N, T, 2 * hidden)
        return masked_max_mean(h)

    def point_edit(self, x: torch.Tensor, index: int, new: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Trunk outputs of ``x`` and of ``x`` with the base at ``index`` replaced by ``new``.

        One changed base only reaches the ``conv_width`` convolution outputs around ``index``:
        those are recomputed from the edited inputs, then only the pooling bins holding them; the
        LSTM steps both windows share are run once (and the k-mer spectrum, when configured, is
        computed for both). The same arithmetic as :meth:`forward` on the edited input (bit-identical on
        the CPU builds we test), at about half the convolution and pooling cost.

        Parameters
        ----------
        x
            float ``(N, L, C)`` encoded windows.
        index
            The edited position, ``0 <= index < L``.
        new
            float ``(N, C)``: the encoded replacement base of each window.

        Returns
        -------
        (original, edited)
            float ``(N, out_dim)`` each.
        """
        length = x.shape[1]
        if not 0 <= index < length:
            raise ValueError(f"index {index} is outside windows of length {length}")
        h = self._conv(x)  # (N, F, 1, L)
        pooled = self._pool(h)
        width = self.conv.weight.shape[-1]
        left = (width - 1) // 2  # torch's "same" padding: the odd extra pad goes on the right
        right = width - 1 - left
        # output j reads inputs j - left .. j + right, so the edit reaches outputs index - right ..
        # index + left; recompute just those, by a "valid" convolution over the inputs they read
        # (zeros outside the window, as "same" padding gives) -- the same sums as the full one
        lo, hi = max(index - right, 0), min(index + left, length - 1)
        start, stop = lo - left, hi + right + 1
        piece = x[:, max(start, 0) : min(stop, length)].clone()
        piece[:, index - max(start, 0)] = new.to(piece.dtype)
        piece = F.pad(piece, (0, 0, max(-start, 0), max(stop - length, 0)))
        local = F.conv2d(piece.transpose(1, 2).unsqueeze(2), self.conv.weight.unsqueeze(2), self.conv.bias)
        size = self.pool.kernel_size
        first, last = lo // size, hi // size  # the pooling bins that change
        region = h[:, :, :, first * size : min((last + 1) * size, length)].clone()
        region[:, :, :, lo - first * size : hi - first * size + 1] = local
        edited = pooled.clone()
        edited[:, :, :, first : last + 1] = self._pool(region)
        n = x.shape[0]
        if self.lstm.num_layers > 1 or self.training or x.device.type != "cpu":
            both = self._recurrent(torch.cat([pooled, edited]))
            return self._with_spectrum(x, index, new, both[:n], both[n:])
        # One LSTM layer on the CPU (cuDNN wants its own flattened weights, and a GPU does not need
        # this): the forward direction's states before bin `first`, and the backward direction's
        # after bin `last`, are the same for both windows; run them once.
        ref_seq = self.conv_dropout(torch.relu(pooled).squeeze(2)).transpose(1, 2)  # (N, T, F)
        alt_seq = self.conv_dropout(torch.relu(edited).squeeze(2)).transpose(1, 2)
        steps = ref_seq.shape[1]
        fwd_ref, fwd_alt = _shared_prefix_lstm(self.lstm, "", ref_seq, alt_seq, first)
        bwd_ref, bwd_alt = _shared_prefix_lstm(
            self.lstm, "_reverse", ref_seq.flip(1), alt_seq.flip(1), steps - 1 - last
        )
        hidden = self.lstm.hidden_size
        # laid out time-major like nn.LSTM's batch-first output, so that the pooling below sums in
        # the same order as forward() does (results bit-identical, not just close)
        h = fwd_ref.new_empty(steps, 2 * n, 2 * hidden).transpose(0, 1)
        h[:n, :, :hidden], h[n:, :, :hidden] = fwd_ref, fwd_alt
        h[:n, :, hidden:], h[n:, :, hidden:] = bwd_ref.flip(1), bwd_alt.flip(1)
        both = masked_max_mean(h)
        return self._with_spectrum(x, index, new, both[:n], both[n:])

    def _with_spectrum(
        self, x: torch.Tensor, index: int, new: torch.Tensor, original: torch.Tensor, edited: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Append the k-mer spectra of the original and edited windows (when configured)."""
        if not self.kmer_spectrum:
            return original, edited
        changed = x[..., :4].clone()
        changed[:, index] = new[:, :4].to(changed.dtype)
        spectra = kmer_frequencies(torch.cat([x[..., :4], changed]), self.kmer_spectrum).to(original.dtype)
        n = x.shape[0]
        return torch.cat([original, spectra[:n]], dim=-1), torch.cat([edited, spectra[n:]], dim=-1)


def kmer_frequencies(x: torch.Tensor, k_max: int) -> torch.Tensor:
    """Frequencies of every k-mer, k = 1 .. ``k_max``, in one-hot windows.

    Parameters
    ----------
    x
        float ``(N, L, 4)`` one-hot (fractional IUPAC rows count fractionally, ``N`` rows not at all).
    k_max
        Longest k-mer.

    Returns
    -------
    torch.Tensor
        float ``(N, 4 + 16 + ... + 4**k_max)``: for each k the counts of the ``4**k`` k-mers (in
        lexicographic A, C, G, T order) over the ``L - k + 1`` starts, divided by the number of
        k-mers without an ``N`` (``L - k + 1`` in a window of bases) and scaled by ``4**k`` (a
        uniform random sequence gives 1 everywhere). A short sequence padded with ``N`` to the
        model's input, or a window running off a contig's end, thus has the frequencies of its
        bases, not frequencies shrunk by the padding; a window of ``N`` only gives zeros.
    """
    # Counting is exact in float32; under mixed precision (bf16/fp16 autocast, the default on GPUs)
    # the products below would round counts above 256 and train on other features than fp32 predicts.
    with torch.autocast(device_type=x.device.type, enabled=False):
        return _kmer_frequencies(x.float(), k_max)


def _kmer_frequencies(x: torch.Tensor, k_max: int) -> torch.Tensor:
    n, length, _ = x.shape
    if x.device.type == "cpu" and not x.requires_grad and k_max >= 2:
        counted = _count_kmers(x, k_max)
        if counted is not None:
            return counted
    called = x.sum(dim=-1)  # (N, L): 1 for a base (an IUPAC code's fractions sum to 1), 0 for N
    blocks = [x.sum(dim=1) * (4 / _kmers(called.sum(dim=1)))]
    product = x  # (N, L - k + 2, 4**(k-1)): the (k-1)-mer products at each start
    whole = called  # (N, L - k + 2): 1 where the (k-1)-mer at that start holds no N
    for k in range(2, k_max + 1):
        starts = length - k + 1
        if starts <= 0:
            blocks.append(x.new_zeros(n, 4**k))
            continue
        prefix, following = product[:, :starts], x[:, k - 1 :]  # (N, starts, 4**(k-1)), (N, starts, 4)
        whole = whole[:, :starts] * called[:, k - 1 :]
        # sum over starts of (k-1)-mer x next base, as one batched matrix product (no (N, L, 4**k) tensor)
        counts = torch.bmm(prefix.transpose(1, 2), following).flatten(1)  # (N, 4**k)
        blocks.append(counts * (4**k / _kmers(whole.sum(dim=1))))
        if k < k_max:
            product = (prefix[:, :, :, None] * following[:, :, None, :]).flatten(2)
    return torch.cat(blocks, dim=1)


def _kmers(count: torch.Tensor) -> torch.Tensor:
    """``(N,)`` numbers of whole k-mers as the ``(N, 1)`` divisor of counts (1 when there are none:
    the counts are then 0)."""
    return count.clamp_min(1.0)[:, None]


def _count_kmers(x: torch.Tensor, k_max: int) -> torch.Tensor | None:
    """:func:`kmer_frequencies` by counting k-mer indices (CPU, exact one-hot or ``N`` rows only).

    About 10x faster on CPU than the matrix products, and bit-identical to them: both count whole
    k-mers exactly in float and scale the counts the same way. ``None`` when some row is a
    fractional (IUPAC) code, which only the products weigh correctly.
    """
    n, length, _ = x.shape
    total = x.sum(dim=-1)  # (N, L): 1 for a base, 0 for N
    valid = total == 1
    if not bool((valid | (total == 0)).all()) or not bool((x.amax(dim=-1) == total).all()):
        return None
    base = x.argmax(dim=-1)  # (N, L) int64
    rows = torch.arange(n, device=x.device)[:, None]
    blocks = [x.sum(dim=1) * (4 / _kmers(total.sum(dim=1)))]
    index, ok = base, valid
    for k in range(2, k_max + 1):
        starts = length - k + 1
        if starts <= 0:
            blocks.append(x.new_zeros(n, 4**k))
            continue
        index = index[:, :starts] * 4 + base[:, k - 1 :]  # the k-mer starting at each position
        ok = ok[:, :starts] & valid[:, k - 1 :]  # k-mers holding an N are not counted
        counts = torch.bincount((index + rows * 4**k)[ok], minlength=n * 4**k)
        blocks.append(counts.reshape(n, 4**k).to(x.dtype) * (4**k / _kmers(ok.sum(dim=1).to(x.dtype))))
    return torch.cat(blocks, dim=1)


def _shared_prefix_lstm(
    lstm: nn.LSTM, suffix: str, ref: torch.Tensor, alt: torch.Tensor, shared: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """One direction of a one-layer LSTM over two batches whose first ``shared`` steps are equal.

    Parameters
    ----------
    lstm
        The (bidirectional, batch-first, one-layer) LSTM whose weights to use.
    suffix
        ``""`` for the forward direction's weights, ``"_reverse"`` for the backward one's
        (the caller reverses the inputs in time).
    ref, alt
        float ``(N, T, F)``; ``ref[:, :shared] == alt[:, :shared]``.
    shared
        Number of leading steps the two batches share.

    Returns
    -------
    (ref_out, alt_out)
        float ``(N, T, hidden)``: this direction's outputs, as ``lstm`` would give them.
    """
    params = [
        getattr(lstm, f"{name}_l0{suffix}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    ]
    n, hidden = ref.shape[0], lstm.hidden_size
    h = ref.new_zeros(1, n, hidden)
    c = ref.new_zeros(1, n, hidden)
    prefix = ref[:, :0, :0].new_zeros(n, 0, hidden)
    if shared > 0:
        prefix, h, c = torch.lstm(ref[:, :shared], (h, c), params, True, 1, 0.0, False, False, True)
    rest, _, _ = torch.lstm(
        torch.cat([ref[:, shared:], alt[:, shared:]]),
        (h.repeat(1, 2, 1), c.repeat(1, 2, 1)),
        params,
        True,
        1,
        0.0,
        False,
        False,
        True,
    )
    return torch.cat([prefix, rest[:n]], dim=1), torch.cat([prefix, rest[n:]], dim=1)


class CNNLSTM(SequenceClassifier):
    """DanQ-style CNN-BiLSTM classifier on one-hot DNA.

    ``forward(x, mask=None, features=None)``: ``x`` float32 ``(N, L, C)`` (NLC,
    as :class:`genoseq.tokenize.OneHotEncoder` returns); ``mask`` is ignored;
    returns logits float ``(N, n_outputs)``. Any length ``L >= 1`` is accepted
    (global pooling); the predictor always passes ``config.input_length``.
    """

    def __init__(self, config: CNNLSTMConfig) -> None:
        super().__init__()
        self.trunk = _CNNLSTMTrunk(config)
        self._finish(config, self.trunk.out_dim)

    def point_edit_logits(
        self, x: torch.Tensor, index: int, new: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits of ``x`` and of ``x`` with one base replaced (see :meth:`_CNNLSTMTrunk.point_edit`).

        Parameters
        ----------
        x
            float ``(N, L, C)`` encoded windows.
        index
            The edited position.
        new
            float ``(N, C)``: the encoded replacement base of each window.

        Returns
        -------
        (original, edited)
            float ``(N, n_outputs)`` logits each: what ``forward`` gives on the original and the
            edited windows stacked in one batch (the same arithmetic; other batch sizes can differ
            in the last bit, as they do for ``forward`` itself).

        Raises
        ------
        ValueError
            For a model that takes extra features (``n_features > 0``).
        """
        if self.config.n_features:
            raise ValueError("point_edit_logits does not take extra features")
        original, edited = self.trunk.point_edit(x, index, new)
        both = self.head(torch.cat([original, edited]))
        return both[: x.shape[0]], both[x.shape[0] :]
