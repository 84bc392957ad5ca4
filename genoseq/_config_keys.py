"""Model config fields genoseq fills in from the data and the tokenizer (torch-free, for the CLI)."""

from __future__ import annotations

#: never set by hand (the CLI's --set refuses them; the registry leaves them out of its list of keys)
DERIVED_KEYS = frozenset(
    {
        "input_length",
        "n_outputs",
        "task",
        "n_features",
        "in_channels",
        "vocab_size",
        "max_tokens",
        "n_token_channels",
    }
)
