"""Building blocks shared by every architecture: pooling, the classifier head, the base model.

Every genoseq model is a :class:`SequenceClassifier`: an architecture-specific
*trunk* that turns the encoded sequence into one vector per example, followed
by the shared :class:`ClassifierHead`. The models differ only in their trunk.
"""

from __future__ import annotations

import torch
from torch import nn

from genoseq.models.config import ModelConfig


def masked_max_mean(h: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Global max and mean pooling over positions, ignoring masked-out positions.

    Parameters
    ----------
    h
        float ``(N, T, D)``: per-position features.
    mask
        bool ``(N, T)``, True at real positions; None means all positions count.

    Returns
    -------
    torch.Tensor
        float ``(N, 2 * D)``: ``[max, mean]`` concatenated.
    """
    return torch.cat([masked_max(h, mask), masked_mean(h, mask)], dim=-1)


def masked_mean(h: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean over positions ``(N, T, D) -> (N, D)``, counting only positions where ``mask`` is True."""
    if mask is None:
        return h.mean(dim=1)
    weights = mask.unsqueeze(-1).to(h.dtype)
    return (h * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1.0)


def masked_max(h: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Maximum over positions ``(N, T, D) -> (N, D)``, over positions where ``mask`` is True."""
    if mask is None:
        return h.amax(dim=1)
    fill = torch.finfo(h.dtype).min
    return h.masked_fill(~mask.unsqueeze(-1), fill).amax(dim=1)


class ClassifierHead(nn.Module):
    """Shared head: optional extra features concatenated, then an MLP to logits.

    Parameters
    ----------
    in_dim
        Width of the pooled sequence representation from the trunk.
    config
        The model config (``n_features``, ``head_hidden``, ``dropout``, ``n_outputs``).
    """

    def __init__(self, in_dim: int, config: ModelConfig) -> None:
        super().__init__()
        self.n_features = config.n_features
        width = in_dim + config.n_features
        if config.head_hidden > 0:
            self.mlp = nn.Sequential(
                nn.Linear(width, config.head_hidden),
                nn.ReLU(),
                nn.Dropout(config.dropout),
                nn.Linear(config.head_hidden, config.n_outputs),
            )
        else:
            self.mlp = nn.Sequential(nn.Dropout(config.dropout), nn.Linear(width, config.n_outputs))
        self.skip: nn.Linear | None = None
        if config.feature_skip and config.n_features:
            # starts at zero: training begins from the plain head and adds what the features say directly
            self.skip = nn.Linear(config.n_features, config.n_outputs, bias=False)
            nn.init.zeros_(self.skip.weight)

    @property
    def output(self) -> nn.Linear:
        """The final linear layer (its bias sets the prior logits)."""
        last = self.mlp[-1]
        assert isinstance(last, nn.Linear)
        return last

    def forward(self, pooled: torch.Tensor, features: torch.Tensor | None = None) -> torch.Tensor:
        """Map ``(N, in_dim)`` pooled features (+ ``(N, n_features)`` extras) to ``(N, n_outputs)`` logits."""
        if self.n_features:
            if features is None:
                raise ValueError(f"this model needs {self.n_features} extra features per example")
            if features.shape != (pooled.shape[0], self.n_features):
                raise ValueError(
                    f"features must have shape ({pooled.shape[0]}, {self.n_features}), "
                    f"got {tuple(features.shape)}"
                )
            extras = features.to(pooled.dtype)
            logits = self.mlp(torch.cat([pooled, extras], dim=-1))
            return logits if self.skip is None else logits + self.skip(extras)
        if features is not None and features.numel():
            raise ValueError("this model takes no extra features (n_features == 0)")
        return self.mlp(pooled)


class SequenceClassifier(nn.Module):
    """Base of every genoseq model: ``trunk`` (encoded input -> vector) then :class:`ClassifierHead`.

    Subclasses build ``self.trunk`` (a module whose ``forward(x, mask)`` returns
    float ``(N, out_dim)``) and call :meth:`_finish` with ``out_dim``.
    """

    config: ModelConfig
    trunk: nn.Module
    head: ClassifierHead

    def _finish(self, config: ModelConfig, out_dim: int) -> None:
        self.config = config
        self.head = ClassifierHead(out_dim, config)

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        features: torch.Tensor | None = None,
        tokens_extra: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Return logits float ``(N, n_outputs)``; no sigmoid or softmax is applied.

        Parameters
        ----------
        x
            The encoded sequences (one-hot float ``(N, L, C)`` or token ids int64
            ``(N, T)``, depending on the architecture).
        mask
            bool ``(N, T)``, True at real tokens (token models); ignored by one-hot models.
        features
            float ``(N, n_features)`` extra features, when ``config.n_features > 0``.
        tokens_extra
            float ``(N, T, n_token_channels)`` extra per-token channels (e.g. annotation), for
            token models configured with ``n_token_channels > 0``.
        """
        if tokens_extra is None:
            return self.head(self.trunk(x, mask), features)
        return self.head(self.trunk(x, mask, tokens_extra), features)
