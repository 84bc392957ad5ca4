"""Transformer encoder on k-mer tokens: embeddings + positions -> pre-LN encoder -> pooled -> head.

The defaults are a small encoder meant to be trained from scratch on a few
thousand sequences on a CPU: 4-mers with stride 2 (every base is in two
tokens; 100 tokens for 200 bp, so attention costs a quarter of stride 1, which
was 3.5x slower per step for no better validation accuracy on iEnhancer; a
small vocabulary, 261 ids, trains better from scratch than 6-mers, whose 4,096
embeddings each see few examples), ``d_model`` 64, 2 pre-LN layers of 4 heads,
feed-forward 128, learned positions and masked mean pooling (``"cls"`` pooling
reads the first token, the tokenizer's ``[CLS]``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from genoseq.errors import ConfigError
from genoseq.models.config import ModelConfig, _choice, _layers, _non_negative, _positive
from genoseq.models.layers import SequenceClassifier, masked_mean


@dataclass(frozen=True, kw_only=True)
class TransformerConfig(ModelConfig):
    """Configuration of :class:`TransformerClassifier` (see :class:`ModelConfig` for the shared fields).

    Attributes
    ----------
    vocab_size : int
        Size of the k-mer tokenizer's vocabulary (special tokens included).
    max_tokens : int
        Tokens per sequence of ``input_length`` bases (special tokens included);
        the number of learned positions.
    k, stride : int
        The k-mer tokenizer's k and stride (stored so the tokenizer can be rebuilt).
    d_model, n_layers, n_heads, dim_feedforward : int
        Encoder sizes; ``d_model`` must be divisible by ``n_heads``.
    pooling : str
        ``"mean"`` (masked mean over real tokens) or ``"cls"`` (the first token).
    positional : str
        ``"learned"`` position embeddings or fixed ``"sinusoidal"`` ones.
    n_token_channels : int
        Extra per-token channels (``tokens_extra`` float ``(N, T, C)``, e.g. annotation averaged over
        each k-mer), projected to ``d_model`` and added to the token embeddings; 0 = none.
    attention_dropout : float
        Dropout on the attention weights (``dropout`` is the rate everywhere else: embeddings,
        attention output, feed-forward, head). 0 by default: dropping attention weights makes
        torch fall back from its fused attention kernel to one that materialises the
        ``(N, heads, T, T)`` weights and draws a random mask over them, 1.4-1.8x slower per
        training step at 200 bp and 5.6x at 1000 bp on CPU, for no better cross-validated
        AUROC (BENCHMARKS.md). Left out of ``config.json`` while 0, so older genoseq versions
        read the directory; a config without it (also one saved before it existed, whose model
        trained with attention dropout = ``dropout``) reads as 0, which inference never uses.
    token_spectrum : bool
        Also give the head the frequency of every vocabulary token among the window's real tokens
        (scaled by ``4**k``, so that a k-mer of a uniform random sequence averages about 1): a
        global composition summary beside the attention-pooled features.
    """

    vocab_size: int
    max_tokens: int
    k: int = 4
    stride: int = 2
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    dim_feedforward: int = 128
    pooling: str = "mean"
    positional: str = "learned"
    dropout: float = 0.1
    attention_dropout: float = 0.0
    n_token_channels: int = 0
    token_spectrum: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive(self, "vocab_size", "max_tokens", "k", "stride", "d_model", "n_heads")
        _layers(self, "n_layers")
        _positive(self, "dim_feedforward")
        _non_negative(self, "n_token_channels")
        _choice(self, "pooling", ("mean", "cls"))
        _choice(self, "positional", ("learned", "sinusoidal"))
        if not 0.0 <= self.attention_dropout < 1.0:
            raise ConfigError(f"attention_dropout must be in [0, 1), got {self.attention_dropout}")
        if self.d_model % self.n_heads:
            raise ConfigError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")


def sinusoidal_positions(n: int, dim: int) -> torch.Tensor:
    """Fixed sine/cosine position encodings, float32 ``(n, dim)`` (Vaswani et al. 2017)."""
    position = torch.arange(n, dtype=torch.float32).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(n, dim)
    table[:, 0::2] = torch.sin(position * freq)
    table[:, 1::2] = torch.cos(position * freq[: dim // 2])
    return table


class _TransformerTrunk(nn.Module):
    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.max_tokens = config.max_tokens
        self.pooling = config.pooling
        self.embed = nn.Embedding(config.vocab_size, config.d_model)
        if config.positional == "learned":
            self.positions = nn.Parameter(torch.zeros(config.max_tokens, config.d_model))
            nn.init.normal_(self.positions, std=0.02)
        else:
            self.register_buffer(
                "positions", sinusoidal_positions(config.max_tokens, config.d_model), persistent=False
            )
        self.n_token_channels = config.n_token_channels
        self.token_channels = (
            nn.Linear(config.n_token_channels, config.d_model) if config.n_token_channels else None
        )
        self.embed_dropout = nn.Dropout(config.dropout)
        layer = nn.TransformerEncoderLayer(
            config.d_model,
            config.n_heads,
            config.dim_feedforward,
            config.dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        # nn.TransformerEncoderLayer has one rate for all its dropouts; the attention weights' own is
        # the attribute nn.MultiheadAttention passes to scaled_dot_product_attention (copied to each
        # layer by nn.TransformerEncoder's deep copy).
        layer.self_attn.dropout = config.attention_dropout
        self.encoder = nn.TransformerEncoder(
            layer, config.n_layers, norm=nn.LayerNorm(config.d_model), enable_nested_tensor=False
        )
        self.token_spectrum = config.token_spectrum
        self.vocab_size = config.vocab_size
        self.spectrum_scale = float(4**config.k)
        self.out_dim = config.d_model + (config.vocab_size if config.token_spectrum else 0)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, tokens_extra: torch.Tensor | None = None
    ) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] > self.max_tokens:
            raise ValueError(f"expected token ids (N, T <= {self.max_tokens}), got {tuple(x.shape)}")
        h = self.embed(x) + self.positions[: x.shape[1]]
        if self.token_channels is not None:
            if tokens_extra is None or tokens_extra.shape != (*x.shape, self.n_token_channels):
                got = None if tokens_extra is None else tuple(tokens_extra.shape)
                raise ValueError(f"expected tokens_extra {(*x.shape, self.n_token_channels)}, got {got}")
            h = h + self.token_channels(tokens_extra.to(h.dtype))
        elif tokens_extra is not None:
            raise ValueError("this model takes no tokens_extra (n_token_channels == 0)")
        h = self._encode(self.embed_dropout(h), mask)
        pooled = h[:, 0] if self.pooling == "cls" else masked_mean(h, mask)
        if not self.token_spectrum:
            return pooled
        return torch.cat([pooled, self._spectrum(x, mask).to(pooled.dtype)], dim=-1)

    def _encode(self, h: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """``self.encoder`` (pre-LN layers, then the final norm): ``(N, T, d_model)`` -> the same shape.

        The arithmetic of ``nn.TransformerEncoderLayer``'s standard path, written out over its own
        submodules and weights, so that attention always goes through
        ``F.scaled_dot_product_attention`` (a fused kernel that never materialises the ``(N, heads,
        T, T)`` weights, padding mask included). ``nn.TransformerEncoder`` itself would, in eval mode,
        take torch's "fast path", whose masked softmax on CPU made inference 2x (200 bp) to 4.9x
        (1000 bp) slower than this (BENCHMARKS.md); the results agree with it to float rounding
        (tested).
        """
        if mask is not None and mask.dtype != torch.bool:
            # a float mask would be added to the attention scores by scaled_dot_product_attention
            raise ValueError(f"mask must be bool (True = real token), got {mask.dtype}")
        n, t, d = h.shape
        # bool (N, 1, 1, T), True = a real key to attend to; broadcast over heads and queries
        keys = None if mask is None else mask[:, None, None, :]
        for layer in self.encoder.layers:
            attn = layer.self_attn
            heads = attn.num_heads
            q, k, v = F.linear(layer.norm1(h), attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
            q, k, v = (z.view(n, t, heads, d // heads).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(
                q, k, v, attn_mask=keys, dropout_p=attn.dropout if self.training else 0.0
            )  # (N, heads, T, d / heads)
            h = h + layer.dropout1(attn.out_proj(y.transpose(1, 2).reshape(n, t, d)))
            ff = layer.linear2(layer.dropout(layer.activation(layer.linear1(layer.norm2(h)))))
            h = h + layer.dropout2(ff)
        return self.encoder.norm(h)

    def _spectrum(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Token frequencies ``(N, vocab_size)`` over the real tokens, times ``4**k``."""
        weight = torch.ones_like(x, dtype=torch.float32) if mask is None else mask.to(torch.float32)
        counts = torch.zeros(x.shape[0], self.vocab_size, dtype=torch.float32, device=x.device)
        counts.scatter_add_(1, x, weight)
        return counts * (self.spectrum_scale / weight.sum(dim=1, keepdim=True).clamp_min(1.0))


class TransformerClassifier(SequenceClassifier):
    """Transformer-encoder classifier on k-mer token ids.

    ``forward(x, mask=None, features=None)``: ``x`` int64 ``(N, T)`` token ids,
    ``mask`` bool ``(N, T)`` (True = real token; padding is ignored by attention
    and pooling); returns logits float ``(N, n_outputs)``.
    """

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.trunk = _TransformerTrunk(config)
        self._finish(config, self.trunk.out_dim)
