"""Models: shapes for every task, hand-set weights with known outputs, a NumPy reference CNN-LSTM, configs."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from genoseq.errors import ConfigError
from genoseq.models import (
    MODEL_REGISTRY,
    CNNLSTMConfig,
    TransformerConfig,
    build_model,
    config_from_dict,
    default_config,
    encoding_spec,
)
from genoseq.models.transformer import sinusoidal_positions
from tests.tiny_models import TINY

TASKS = [("binary", 1), ("multiclass", 3), ("multilabel", 2)]


def tiny_config(name: str, task: str = "binary", n_outputs: int = 1, length: int = 12, **kw):
    return default_config(name, input_length=length, n_outputs=n_outputs, task=task, **{**TINY[name], **kw})


def inputs(name: str, config, n: int = 3, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    if name == "cnn-lstm":
        idx = torch.randint(0, 4, (n, config.input_length), generator=gen)
        return torch.nn.functional.one_hot(idx, 4).float(), None
    ids = torch.randint(5, config.vocab_size, (n, config.max_tokens), generator=gen)
    return ids, torch.ones(n, config.max_tokens, dtype=torch.bool)


@pytest.mark.parametrize("name", list(MODEL_REGISTRY))
@pytest.mark.parametrize(("task", "n_outputs"), TASKS)
@pytest.mark.parametrize("n_features", [0, 2])
def test_shapes_for_every_task(name: str, task: str, n_outputs: int, n_features: int) -> None:
    config = tiny_config(name, task, n_outputs, n_features=n_features)
    model = build_model(name, config)
    x, mask = inputs(name, config, n=5)
    features = torch.randn(5, n_features) if n_features else None
    logits = model(x, mask, features)
    assert logits.shape == (5, n_outputs)
    assert logits.dtype == torch.float32
    logits.sum().backward()  # differentiable end to end
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


@pytest.mark.parametrize("name", list(MODEL_REGISTRY))
def test_features_are_required_when_configured(name: str) -> None:
    model = build_model(name, tiny_config(name, n_features=2))
    x, mask = inputs(name, model.config)
    with pytest.raises(ValueError, match="2 extra features"):
        model(x, mask)
    with pytest.raises(ValueError, match="shape"):
        model(x, mask, torch.zeros(3, 5))
    plain = build_model(name, tiny_config(name))
    with pytest.raises(ValueError, match="no extra features"):
        plain(x, mask, torch.zeros(3, 2))


@pytest.mark.parametrize("name", list(MODEL_REGISTRY))
def test_zero_weights_give_the_head_bias(name: str) -> None:
    """With every weight zero the logits are exactly the output bias, whatever the input."""
    config = tiny_config(name, "multiclass", 3)
    model = build_model(name, config).eval()
    bias = torch.tensor([0.5, -1.25, 2.0])
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.head.output.bias.copy_(bias)
    x, mask = inputs(name, config, n=4)
    torch.testing.assert_close(model(x, mask), bias.expand(4, 3))


@pytest.mark.parametrize("name", list(MODEL_REGISTRY))
def test_models_return_logits_not_probabilities(name: str) -> None:
    config = tiny_config(name)
    model = build_model(name, config).eval()
    with torch.no_grad():
        model.head.output.bias.fill_(10.0)
    x, mask = inputs(name, config)
    assert (model(x, mask) > 5).all()  # a sigmoid would cap these at 1


# ---------------------------------------------------------------- NumPy reference CNN-LSTM


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


def _reference_lstm(seq: np.ndarray, w_ih, w_hh, b_ih, b_hh) -> np.ndarray:
    """One LSTM direction, step by step (PyTorch gate order i, f, g, o)."""
    hidden = w_hh.shape[1]
    h, c = np.zeros(hidden), np.zeros(hidden)
    outputs = []
    for x_t in seq:
        gates = w_ih @ x_t + b_ih + w_hh @ h + b_hh
        i, f, g, o = (gates[j * hidden : (j + 1) * hidden] for j in range(4))
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.array(outputs)


def reference_cnn_lstm(model, onehot: np.ndarray) -> np.ndarray:
    """Forward pass of a one-layer CNNLSTM written with loops, for one sequence (L, 4) -> logits."""
    cfg = model.config
    p = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}
    length, width = onehot.shape[0], cfg.conv_width
    left = (width - 1) // 2
    padded = np.zeros((length + width - 1, 4))
    padded[left : left + length] = onehot
    conv = np.zeros((length, cfg.conv_filters))
    for pos in range(length):
        for f in range(cfg.conv_filters):
            conv[pos, f] = (
                np.sum(p["trunk.conv.weight"][f] * padded[pos : pos + width].T) + p["trunk.conv.bias"][f]
            )
    conv = np.maximum(conv, 0)
    pooled = np.array([conv[s : s + cfg.pool_size].max(axis=0) for s in range(0, length, cfg.pool_size)])
    fwd = _reference_lstm(
        pooled, *(p[f"trunk.lstm.{n}_l0"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    )
    bwd = _reference_lstm(
        pooled[::-1],
        *(p[f"trunk.lstm.{n}_l0_reverse"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")),
    )[::-1]
    h = np.concatenate([fwd, bwd], axis=1)
    vec = np.concatenate([h.max(axis=0), h.mean(axis=0)])
    hidden = np.maximum(p["head.mlp.0.weight"] @ vec + p["head.mlp.0.bias"], 0)
    return p["head.mlp.3.weight"] @ hidden + p["head.mlp.3.bias"]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize(("length", "width", "pool"), [(12, 5, 2), (11, 4, 3), (7, 1, 7)])
def test_cnn_lstm_matches_numpy_reference(length: int, width: int, pool: int) -> None:
    torch.manual_seed(1)
    config = tiny_config("cnn-lstm", "multilabel", 2, length=length, conv_width=width, pool_size=pool)
    model = build_model("cnn-lstm", config).eval()
    x, _ = inputs("cnn-lstm", config, n=2, seed=3)
    got = model(x).detach().numpy()
    for i in range(2):
        np.testing.assert_allclose(got[i], reference_cnn_lstm(model, x[i].numpy()), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- transformer specifics


def test_transformer_ignores_padding_tokens() -> None:
    torch.manual_seed(0)
    config = tiny_config("transformer", length=16)
    model = build_model("transformer", config).eval()
    ids, mask = inputs("transformer", config, n=2)
    mask[:, 9:] = False
    other = ids.clone()
    other[:, 9:] = 0  # anything at masked positions
    torch.testing.assert_close(model(ids, mask), model(other, mask))
    assert not torch.allclose(model(ids, mask), model(ids, torch.ones_like(mask)))


def test_transformer_cls_pooling_reads_the_first_token() -> None:
    torch.manual_seed(0)
    config = tiny_config("transformer", length=16, pooling="cls", n_layers=1)
    model = build_model("transformer", config).eval()
    ids, mask = inputs("transformer", config, n=1)
    trunk = model.trunk
    with torch.no_grad():
        h = trunk.encoder(trunk.embed(ids) + trunk.positions[: ids.shape[1]], src_key_padding_mask=~mask)
        torch.testing.assert_close(trunk(ids, mask), h[:, 0])


def test_transformer_rejects_too_many_tokens() -> None:
    config = tiny_config("transformer", length=10)
    model = build_model("transformer", config)
    with pytest.raises(ValueError, match="T <= "):
        model(torch.zeros(1, config.max_tokens + 1, dtype=torch.long))


def test_sinusoidal_positions_closed_form() -> None:
    table = sinusoidal_positions(7, 6).numpy()
    for pos in range(7):
        for i in range(6):
            angle = pos / 10000 ** ((i - i % 2) / 6)
            expected = math.sin(angle) if i % 2 == 0 else math.cos(angle)
            assert table[pos, i] == pytest.approx(expected, abs=1e-5)
    config = tiny_config("transformer", positional="sinusoidal")
    model = build_model("transformer", config)
    assert "trunk.positions" not in model.state_dict()  # fixed, not a weight


def test_transformer_token_count_follows_the_tokenizer() -> None:
    from genoseq.tokenize import KmerTokenizer

    for k, stride, length in [(3, 1, 200), (6, 3, 101), (2, 2, 9)]:
        config = default_config(
            "transformer", input_length=length, n_outputs=1, task="binary", k=k, stride=stride
        )
        tok = KmerTokenizer(k, stride)
        assert config.vocab_size == tok.vocab_size
        assert config.max_tokens == tok.n_tokens(length) + 2  # [CLS] ... [SEP]
        assert encoding_spec("transformer", config) == tok.to_dict()
    # more ids or positions than the tokenizer needs are kept; fewer are refused (torch's IndexError later)
    roomy = default_config("transformer", input_length=9, n_outputs=1, task="binary", vocab_size=500, max_tokens=40)
    assert (roomy.vocab_size, roomy.max_tokens) == (500, 40)
    for key, value in (("vocab_size", 10), ("max_tokens", 4)):  # k=4, stride=2: 3 k-mers + 2
        with pytest.raises(ConfigError, match=rf"{key} {value} is less than k=.* need \("):
            default_config("transformer", input_length=9, n_outputs=1, task="binary", **{key: value})


# ---------------------------------------------------------------- configs and registry


def test_registry_names_and_encodings() -> None:
    assert set(MODEL_REGISTRY) == {"cnn-lstm", "transformer"}
    assert encoding_spec("cnn-lstm", tiny_config("cnn-lstm"))["type"] == "onehot"
    assert encoding_spec("transformer", tiny_config("transformer"))["type"] == "kmer"
    assert MODEL_REGISTRY["cnn-lstm"].input_type == "onehot"


def test_configs_are_frozen() -> None:
    config = tiny_config("cnn-lstm")
    with pytest.raises(AttributeError):
        config.conv_filters = 7  # type: ignore[misc]


@pytest.mark.parametrize("name", list(MODEL_REGISTRY))
def test_config_dict_round_trip(name: str) -> None:
    config = tiny_config(name, "multiclass", 4, n_features=3)
    again = config_from_dict(name, config.to_dict())
    assert again == config
    assert type(again) is type(config)


def test_unknown_config_key_is_named() -> None:
    values = tiny_config("cnn-lstm").to_dict()
    values["conv_filter"] = 8
    with pytest.raises(ConfigError, match="'conv_filter'"):
        config_from_dict("cnn-lstm", values)
    with pytest.raises(ConfigError, match="'lstm_hiden'"):
        default_config("cnn-lstm", input_length=10, n_outputs=1, task="binary", lstm_hiden=3)
    with pytest.raises(ConfigError, match="'vocab_size'"):
        config_from_dict(
            "transformer", {"input_length": 5, "n_outputs": 1, "task": "binary", "max_tokens": 5}
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"task": "binary", "n_outputs": 2}, "n_outputs == 1"),
        ({"task": "multiclass", "n_outputs": 1}, "n_outputs >= 2"),
        ({"task": "regression"}, "task must be one of"),
        ({"conv_filters": 0}, "conv_filters must be >= 1"),
        ({"conv_filters": True}, "conv_filters must be int"),
        ({"conv_filters": "8"}, "conv_filters must be int"),
        ({"dropout": 1.0}, "dropout"),
        ({"n_features": -1}, "n_features must be >= 0"),
    ],
)
def test_invalid_cnn_lstm_configs(changes: dict, message: str) -> None:
    values = {"input_length": 10, "n_outputs": 1, "task": "binary", **changes}
    with pytest.raises(ConfigError, match=message):
        CNNLSTMConfig(**values)


def test_invalid_transformer_configs() -> None:
    base = {"input_length": 10, "n_outputs": 1, "task": "binary", "vocab_size": 21, "max_tokens": 11}
    with pytest.raises(ConfigError, match="divisible"):
        TransformerConfig(**base, d_model=10, n_heads=4)
    with pytest.raises(ConfigError, match="pooling"):
        TransformerConfig(**base, pooling="max")
    with pytest.raises(ConfigError, match="positional"):
        TransformerConfig(**base, positional="rotary")
    with pytest.raises(ConfigError, match="attention_dropout must be in"):
        TransformerConfig(**base, attention_dropout=1.0)


def test_transformer_attention_dropout_is_its_own_rate() -> None:
    """attention_dropout reaches every layer's attention (0 by default); dropout stays elsewhere."""
    model = build_model("transformer", tiny_config("transformer", dropout=0.3))
    layers = model.trunk.encoder.layers
    assert [layer.self_attn.dropout for layer in layers] == [0.0] * len(layers)
    assert all(layer.dropout1.p == 0.3 and layer.dropout.p == 0.3 for layer in layers)
    model = build_model("transformer", tiny_config("transformer", attention_dropout=0.25))
    assert {layer.self_attn.dropout for layer in model.trunk.encoder.layers} == {0.25}
    # with no dropout anywhere, training mode computes what eval mode computes: the rate is the only
    # thing the attention's training path adds
    model = build_model("transformer", tiny_config("transformer", dropout=0.0))
    ids, mask = inputs("transformer", model.config, n=4)
    mask[0, -3:] = False
    train_out = model.train()(ids, mask=mask)
    assert torch.allclose(train_out, model.eval()(ids, mask=mask), atol=1e-6)


def test_int_given_for_float_becomes_float() -> None:
    config = CNNLSTMConfig(input_length=10, n_outputs=1, task="binary", dropout=0)
    assert isinstance(config.dropout, float)


def test_unknown_model_name() -> None:
    with pytest.raises(ConfigError, match="known models: cnn-lstm, transformer"):
        build_model("danq", {})
    with pytest.raises(ConfigError, match="TransformerConfig"):
        build_model("transformer", tiny_config("cnn-lstm"))


@pytest.mark.parametrize("width", [4, 9])
def test_cnn_trunk_fast_path_equals_conv1d(width: int) -> None:
    """The 2-D channels-last convolution/pooling path gives what Conv1d/MaxPool1d give."""
    from genoseq.models.layers import masked_max_mean

    cfg = default_config(
        "cnn-lstm",
        input_length=53,
        n_outputs=1,
        task="binary",
        conv_width=width,
        pool_size=4,
        conv_filters=6,
        lstm_hidden=3,
    )
    torch.manual_seed(1)
    trunk = build_model("cnn-lstm", cfg).eval().trunk
    x = torch.rand(5, 53, 4)
    with torch.no_grad():
        h = trunk.pool(torch.relu(trunk.conv(x.transpose(1, 2)))).transpose(1, 2)
        expected = masked_max_mean(trunk.lstm(h)[0])
        assert torch.allclose(trunk(x), expected, atol=1e-6)


@pytest.mark.parametrize(
    ("length", "width", "pool", "index"),
    [
        (53, 9, 4, 26),  # odd width, centre
        (53, 8, 4, 26),  # even width: the extra "same" pad is on the right
        (40, 5, 7, 0),  # first base; last pooling bin partial
        (40, 5, 7, 39),  # last base
        (30, 1, 1, 11),  # width 1, no pooling
        (30, 15, 100, 14),  # one pooling bin for the whole window
    ],
)
def test_cnn_lstm_point_edit_equals_forward_on_edited_windows(length, width, pool, index) -> None:
    """point_edit_logits reuses the original convolution; it must equal forward() on the edit."""
    cfg = tiny_config(
        "cnn-lstm", task="multiclass", n_outputs=3, length=length, conv_width=width, pool_size=pool
    )
    torch.manual_seed(2)
    model = build_model("cnn-lstm", cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)  # outputs that move visibly with one base
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (6, length)), 4).float()
    x[0, index] = 0.0  # an N at the edited base
    new = torch.nn.functional.one_hot(torch.randint(0, 4, (6,)), 4).float()
    new[1] = torch.tensor([0.5, 0.0, 0.5, 0.0])  # an IUPAC replacement (R)
    new[2] = 0.0  # an N replacement
    original, changed = _assert_point_edit_matches_forward(model, x, new, index)
    assert (changed - original).abs().max() > 1e-4  # the edit did change the outputs


def test_cnn_lstm_point_edit_rejects_bad_index_and_features() -> None:
    model = build_model("cnn-lstm", tiny_config("cnn-lstm")).eval()
    x = torch.zeros(2, 12, 4)
    with pytest.raises(ValueError, match="outside"):
        model.point_edit_logits(x, 12, torch.zeros(2, 4))
    with_features = build_model("cnn-lstm", tiny_config("cnn-lstm", n_features=2)).eval()
    with pytest.raises(ValueError, match="features"):
        with_features.point_edit_logits(x, 3, torch.zeros(2, 4))


def test_cnn_lstm_point_edit_with_stacked_lstm_layers() -> None:
    """Two LSTM layers take the plain path (no shared steps); still forward()'s answer."""
    cfg = tiny_config("cnn-lstm", length=30, lstm_layers=2)
    torch.manual_seed(5)
    _assert_point_edit_matches_forward(build_model("cnn-lstm", cfg).eval(), *_random_edit(30), index=15)


def _random_edit(length: int, n: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Random one-hot windows ``(n, length, 4)`` and replacement bases ``(n, 4)``."""
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (n, length)), 4).float()
    return x, torch.nn.functional.one_hot(torch.randint(0, 4, (n,)), 4).float()


def _assert_point_edit_matches_forward(
    model: torch.nn.Module, x: torch.Tensor, new: torch.Tensor, index: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """point_edit_logits equals forward() on the original and the edited windows; returns its logits."""
    edited = x.clone()
    edited[:, index] = new
    with torch.no_grad():
        original, changed = model.point_edit_logits(x, index, new)
        assert torch.allclose(original, model(x), atol=1e-6)
        assert torch.allclose(changed, model(edited), atol=1e-6)
    return original, changed


def test_kmer_frequencies_known_counts() -> None:
    from genoseq.models.cnn_lstm import kmer_frequencies

    onehot = torch.nn.functional.one_hot(torch.tensor([[0, 1, 2, 3, 0, 1]]), 4).float()  # ACGTAC
    freqs = kmer_frequencies(onehot, 2)[0]
    assert freqs.shape == (4 + 16,)
    # 1-mers: A, C twice, G, T once, over 6 starts, scaled by 4
    assert torch.allclose(freqs[:4], torch.tensor([2.0, 2.0, 1.0, 1.0]) * 4 / 6)
    dimers = torch.zeros(4, 4)
    for a, b in [(0, 1), (1, 2), (2, 3), (3, 0), (0, 1)]:  # AC CG GT TA AC
        dimers[a, b] += 1
    assert torch.allclose(freqs[4:], dimers.flatten() * 16 / 5)
    # an N counts nowhere (nor among the k-mers divided by), an IUPAC base (R = A/G) fractionally;
    # k longer than the window gives zeros
    partial = torch.tensor([[[0.5, 0.0, 0.5, 0.0], [0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]])
    one = kmer_frequencies(partial, 4)[0]
    assert torch.allclose(one[:4], torch.tensor([1.5, 0.0, 0.5, 0.0]) * 4 / 2)
    assert torch.count_nonzero(one[4:]) == 0  # every 2- and 3-mer crosses the N; no 4-mer fits
    # padding with N (a short sequence centred in the model's input) leaves the frequencies alone
    padded = torch.cat([torch.zeros(1, 3, 4), onehot, torch.zeros(1, 4, 4)], dim=1)
    assert torch.allclose(kmer_frequencies(padded, 3), kmer_frequencies(onehot, 3))
    assert torch.equal(kmer_frequencies(torch.zeros(2, 5, 4), 3), torch.zeros(2, 4 + 16 + 64))


@pytest.mark.parametrize("length", [3, 4, 37])
def test_kmer_counting_equals_the_matrix_products(length: int) -> None:
    from genoseq.models.cnn_lstm import _count_kmers, kmer_frequencies

    g = torch.Generator().manual_seed(length)
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (9, length), generator=g), 4).float()
    x[0, 1] = 0  # an N
    x[3, :] = 0  # all N
    counted = _count_kmers(x, 4)
    products = kmer_frequencies(x.requires_grad_(), 4).detach()  # requires_grad: the product path
    assert counted is not None and torch.equal(counted, products)
    assert torch.equal(kmer_frequencies(x.detach(), 4), products)
    fractional = x.detach().clone()
    fractional[1, 0] = torch.tensor([0.5, 0.0, 0.5, 0.0])  # R: only the products weigh it
    assert _count_kmers(fractional, 4) is None
    assert torch.equal(
        kmer_frequencies(fractional, 4), kmer_frequencies(fractional.requires_grad_(), 4).detach()
    )


def test_cnn_lstm_kmer_spectrum_reaches_the_head_and_point_edits() -> None:
    cfg = tiny_config("cnn-lstm", length=30, kmer_spectrum=3)
    torch.manual_seed(6)
    model = build_model("cnn-lstm", cfg).eval()
    assert model.head.mlp[0].in_features == model.trunk.out_dim == 4 * cfg.lstm_hidden + 4 + 16 + 64
    _assert_point_edit_matches_forward(model, *_random_edit(30), index=7)
    with pytest.raises(ConfigError, match="kmer_spectrum"):
        tiny_config("cnn-lstm", kmer_spectrum=7)


def _saved(path, name: str, cfg):
    """Save an untrained model of ``cfg`` (binary, 20 bp) at ``path``; the model and config.json's dict."""
    import json

    from genoseq.modeldir import save_model_dir

    model = build_model(name, cfg).eval()
    out = save_model_dir(
        path,
        model,
        model_name=name,
        model_config=cfg,
        task="binary",
        classes=["0", "1"],
        encoding=encoding_spec(name, cfg),
        input_length=20,
    )
    return model, json.loads((out / "config.json").read_text())


def test_model_directories_without_newer_config_keys_still_load(tmp_path) -> None:
    """config.json written before kmer_spectrum existed builds the model it was saved from (no spectrum)."""
    import json

    from genoseq.modeldir import load_model_dir

    out = tmp_path / "m"
    _saved(out, "cnn-lstm", tiny_config("cnn-lstm", length=20))
    doc = json.loads((out / "config.json").read_text())
    del doc["model"]["config"]["kmer_spectrum"]
    (out / "config.json").write_text(json.dumps(doc))
    loaded = load_model_dir(out, device="cpu")
    assert loaded.model.config.kmer_spectrum == 0


@pytest.mark.parametrize("training", [False, True])
def test_transformer_encoding_equals_torchs_encoder(training: bool) -> None:
    """The written-out layers compute what nn.TransformerEncoder computes (eval: torch's fast path)."""
    cfg = tiny_config("transformer", length=30, dropout=0.0, n_layers=2, d_model=16, n_heads=4)
    trunk = build_model("transformer", cfg).trunk.train(training)
    gen = torch.Generator().manual_seed(3)
    h = torch.randn(5, cfg.max_tokens, 16, generator=gen)
    mask = torch.ones(5, cfg.max_tokens, dtype=torch.bool)
    mask[1, -4:] = False  # padding
    mask[3, 5:] = False
    for m in (mask, None):
        with torch.no_grad():
            ours = trunk._encode(h, m)
            theirs = trunk.encoder(h, src_key_padding_mask=None if m is None else ~m)
        real = slice(None) if m is None else m
        # padded queries' outputs are never read (pooling skips them); torch's fast path zeroes them
        assert torch.allclose(ours[real], theirs[real], atol=1e-5), (ours - theirs)[real].abs().max()
    # gradients reach every parameter through the written-out path
    trunk.train()
    trunk._encode(h, mask).sum().backward()
    assert all(p.grad is not None for p in trunk.encoder.parameters())


def test_attention_dropout_is_written_only_when_set() -> None:
    off = tiny_config("transformer")
    assert "attention_dropout" not in off.to_dict()
    assert config_from_dict("transformer", off.to_dict()) == off
    on = tiny_config("transformer", attention_dropout=0.1)
    assert on.to_dict()["attention_dropout"] == 0.1
    assert config_from_dict("transformer", on.to_dict()) == on


def _varies_in_training(model, ids, mask) -> bool:
    """Whether two training-mode passes differ (some dropout acts) -- eval passes must not."""
    with torch.no_grad():
        model.eval()
        assert torch.equal(model(ids, mask=mask), model(ids, mask=mask))
        model.train()
        return not torch.equal(model(ids, mask=mask), model(ids, mask=mask))


def test_transformer_dropouts_act_where_configured() -> None:
    """Attention dropout in training only; the attention-output and feed-forward dropouts each act."""
    torch.manual_seed(0)
    quiet = tiny_config("transformer", dropout=0.0)
    model = build_model("transformer", quiet)
    ids, mask = inputs("transformer", quiet, n=4)
    assert not _varies_in_training(model, ids, mask)
    noisy = build_model("transformer", dataclasses.replace(quiet, attention_dropout=0.5))
    noisy.load_state_dict(model.state_dict())
    assert _varies_in_training(noisy, ids, mask)
    with torch.no_grad():  # no attention dropout at inference
        assert torch.allclose(noisy.eval()(ids, mask=mask), model.eval()(ids, mask=mask), atol=1e-6)
    for name in ("dropout1", "dropout", "dropout2"):  # attention output, inside and after the FFN
        for layer in model.trunk.encoder.layers:
            getattr(layer, name).p = 0.5
        assert _varies_in_training(model, ids, mask), name
        for layer in model.trunk.encoder.layers:
            getattr(layer, name).p = 0.0


def test_transformer_attention_bypasses_torchs_encoder_call() -> None:
    """forward runs the written-out layers, not nn.TransformerEncoder.forward (its slow CPU fast path)."""
    cfg = tiny_config("transformer")
    model = build_model("transformer", cfg).eval()

    def refuse(*args, **kwargs):
        raise AssertionError("nn.TransformerEncoder.forward was called")

    model.trunk.encoder.forward = refuse
    ids, mask = inputs("transformer", cfg)
    with torch.no_grad():
        assert model(ids, mask=mask).shape == (3, 1)


def test_transformer_refuses_a_float_mask() -> None:
    cfg = tiny_config("transformer")
    model = build_model("transformer", cfg)
    ids, mask = inputs("transformer", cfg)
    with pytest.raises(ValueError, match="mask must be bool"):
        model(ids, mask=mask.float())


def test_transformer_directories_without_attention_dropout_load_and_predict_alike(tmp_path) -> None:
    """config.json written before attention_dropout existed loads (as 0, which inference never uses)."""
    import json

    from genoseq.modeldir import load_model_dir

    cfg = tiny_config("transformer", length=20)
    out = tmp_path / "m"
    model, doc = _saved(out, "transformer", cfg)
    assert "attention_dropout" not in doc["model"]["config"]  # left out at 0: older genoseq reads it
    doc["model"]["config"]["dropout"] = 0.3  # as a directory trained before the key existed may say
    (out / "config.json").write_text(json.dumps(doc))
    loaded = load_model_dir(out, device="cpu")
    assert loaded.model.config.attention_dropout == 0.0
    ids, mask = inputs("transformer", cfg)
    assert torch.equal(loaded.model(ids, mask=mask), model(ids, mask=mask))


def test_transformer_token_spectrum_counts_real_tokens_only() -> None:
    cfg = tiny_config("transformer", length=12, token_spectrum=True)
    model = build_model("transformer", cfg).eval()
    assert model.trunk.out_dim == cfg.d_model + cfg.vocab_size
    assert model.head.mlp[0].in_features == model.trunk.out_dim
    x = torch.tensor([[7, 7, 9, 0], [8, 9, 9, 9]])
    mask = torch.tensor([[True, True, True, False], [True, True, True, True]])  # the 0 is padding
    spectrum = model.trunk._spectrum(x, mask)
    scale = 4**cfg.k
    assert spectrum[0, 7] == pytest.approx(scale * 2 / 3) and spectrum[0, 9] == pytest.approx(scale / 3)
    assert spectrum[0, 0] == 0  # padding is not counted
    assert spectrum[1, 9] == pytest.approx(scale * 3 / 4) and spectrum[1, 8] == pytest.approx(scale / 4)
    with torch.no_grad():
        assert model(x, mask).shape == (2, 1)


def test_feature_skip_is_written_only_when_on() -> None:
    off = tiny_config("cnn-lstm", length=30)
    assert "feature_skip" not in off.to_dict()  # older genoseq versions can still read the directory
    on = dataclasses.replace(off, n_features=3, feature_skip=True)
    assert on.to_dict()["feature_skip"] is True
    assert config_from_dict("cnn-lstm", on.to_dict()) == on
    assert config_from_dict("cnn-lstm", off.to_dict()) == off


def test_kmer_frequencies_are_exact_under_mixed_precision() -> None:
    """Autocast (bf16 here, on CPU; bf16/fp16 on GPUs) must not round the k-mer counts."""
    from genoseq.models.cnn_lstm import kmer_frequencies

    g = torch.Generator().manual_seed(0)
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (4, 1000), generator=g), 4).float()
    x[0, 5] = 0.25  # an N-like fractional row takes the matrix-product path
    expected = kmer_frequencies(x, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = kmer_frequencies(x, 4)
    assert got.dtype == torch.float32
    assert torch.equal(got, expected)


def test_an_even_conv_width_runs_without_torch_warnings() -> None:
    """DanQ's width is 26: torch's warning about even 'same' padding would break one-line output."""
    import warnings

    config = tiny_config("cnn-lstm", length=40, conv_width=16)
    model = build_model("cnn-lstm", config)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = model(inputs("cnn-lstm", config, n=2)[0])
    assert out.shape == (2, 1)


def test_sizes_beyond_a_c_int_and_strides_past_the_kmers_are_refused():
    """10**20 filters was torch's int overflow (a traceback) inside the model's constructor; a stride
    longer than k trained a model that read 4 of every 300 bases (the first k-mer only at 200 bp)."""
    with pytest.raises(ConfigError, match="pool_size must be at most 2147483647, got 100000000000000000000"):
        default_config("cnn-lstm", input_length=10, n_outputs=1, task="binary", pool_size=10**20)
    with pytest.raises(ConfigError, match="a number of 1329 bits"):
        default_config("cnn-lstm", input_length=10, n_outputs=1, task="binary", conv_filters=10**400)
    with pytest.raises(ConfigError, match=r"stride 300 is longer than the k-mers \(k=4\): 296 of every 300"):
        default_config("transformer", input_length=200, n_outputs=1, task="binary", stride=300)
    assert default_config("transformer", input_length=200, n_outputs=1, task="binary", stride=4).stride == 4


def test_a_transformer_on_sequences_shorter_than_its_kmers_is_refused():
    with pytest.raises(
        ConfigError, match=r"sequences of 3 bases are shorter than the transformer's k-mers \(k=4\)"
    ):
        default_config("transformer", input_length=3, n_outputs=1, task="binary")
    assert default_config("transformer", input_length=3, n_outputs=1, task="binary", k=3).k == 3
