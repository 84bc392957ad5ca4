"""Model directories: round trip, provenance, and every refusal of load_model_dir."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import pytest
import torch

from genoseq.errors import ConfigError, ModelFormatError
from genoseq.modeldir import (
    CONFIG_FILE,
    FORMAT_VERSION,
    WEIGHTS_FILE,
    load_model_dir,
    read_config,
    save_model_dir,
)
from genoseq.models import build_model, default_config, encoding_spec
from tests.tiny_models import TINY


def save_tiny(
    path: Path, name: str = "cnn-lstm", task: str = "binary", n_outputs: int = 1, seed: int = 0, **kw
):
    torch.manual_seed(seed)
    config = default_config(name, input_length=12, n_outputs=n_outputs, task=task, **TINY[name])
    model = build_model(name, config)
    classes = ["neg", "pos"] if task == "binary" else [f"c{i}" for i in range(n_outputs)]
    save_model_dir(
        path,
        model,
        model_name=name,
        model_config=config,
        task=task,
        classes=classes,
        encoding=encoding_spec(name, config),
        input_length=12,
        **kw,
    )
    return model, config


def example_inputs(name: str, config):
    torch.manual_seed(5)
    if name == "cnn-lstm":
        return torch.nn.functional.one_hot(torch.randint(0, 4, (3, 12)), 4).float(), None
    return torch.randint(5, config.vocab_size, (3, config.max_tokens)), torch.ones(
        3, config.max_tokens, dtype=bool
    )


@pytest.mark.parametrize(
    ("name", "task", "n_outputs"), [("cnn-lstm", "binary", 1), ("transformer", "multiclass", 3)]
)
def test_round_trip_gives_identical_outputs(tmp_path: Path, name: str, task: str, n_outputs: int) -> None:
    model, config = save_tiny(
        tmp_path / "m",
        name,
        task,
        n_outputs,
        training={"data_sha256": "ab" * 32, "world_size": 1},
        metrics={"auroc": 0.9},
    )
    loaded = load_model_dir(tmp_path / "m")
    assert loaded.model_name == name
    assert loaded.model_config == config
    assert loaded.task == task
    assert loaded.input_length == 12
    assert loaded.training == {"data_sha256": "ab" * 32, "world_size": 1}
    assert loaded.metrics == {"auroc": 0.9}
    assert not loaded.model.training  # eval mode
    model.eval()
    x, mask = example_inputs(name, config)
    with torch.no_grad():
        assert torch.equal(model(x, mask), loaded.model(x, mask))


def test_config_json_contents(tmp_path: Path) -> None:
    save_tiny(tmp_path / "m", extra={"calibration": {"a": 1.0}})
    doc = json.loads((tmp_path / "m" / CONFIG_FILE).read_text())
    assert doc["format_version"] == FORMAT_VERSION
    assert doc["provenance"]["torch"] == torch.__version__
    assert doc["provenance"]["genoseq"]
    weights = (tmp_path / "m" / WEIGHTS_FILE).read_bytes()
    assert doc["weights"]["sha256"] == hashlib.sha256(weights).hexdigest()
    assert doc["weights"]["bytes"] == len(weights)
    assert doc["classes"] == ["neg", "pos"]
    assert doc["encoding"]["type"] == "onehot"
    assert doc["model"]["config"]["conv_filters"] == 3
    assert doc["extra"] == {"calibration": {"a": 1.0}}
    assert read_config(tmp_path / "m") == doc


def test_saving_keeps_other_files_and_overwrites(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "training_log.tsv").write_text("epoch\tloss\n")
    save_tiny(tmp_path / "m", seed=0)
    first = (tmp_path / "m" / WEIGHTS_FILE).read_bytes()
    model, config = save_tiny(tmp_path / "m", seed=1)
    assert (tmp_path / "m" / "training_log.tsv").read_text() == "epoch\tloss\n"
    assert (tmp_path / "m" / WEIGHTS_FILE).read_bytes() != first
    x, _ = example_inputs("cnn-lstm", config)
    with torch.no_grad():
        assert torch.equal(model.eval()(x), load_model_dir(tmp_path / "m").model(x))
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        CONFIG_FILE,
        WEIGHTS_FILE,
        "training_log.tsv",
    ]


def test_save_rejects_inconsistent_metadata(tmp_path: Path) -> None:
    config = default_config("cnn-lstm", input_length=12, n_outputs=1, task="binary", **TINY["cnn-lstm"])
    model = build_model("cnn-lstm", config)
    common = {"model_name": "cnn-lstm", "model_config": config, "encoding": {"type": "onehot"}}
    with pytest.raises(ConfigError, match="2 class names"):
        save_model_dir(tmp_path, model, task="binary", classes=["x"], input_length=12, **common)
    with pytest.raises(ConfigError, match="input_length"):
        save_model_dir(tmp_path, model, task="binary", classes=["a", "b"], input_length=13, **common)
    with pytest.raises(ConfigError, match="task"):
        save_model_dir(tmp_path, model, task="multilabel", classes=["a"], input_length=12, **common)
    with pytest.raises(ConfigError, match="JSON"):
        save_model_dir(
            tmp_path,
            model,
            task="binary",
            classes=["a", "b"],
            input_length=12,
            metrics={"x": object()},
            **common,
        )
    assert not (tmp_path / CONFIG_FILE).exists()


# ---------------------------------------------------------------- refusals


def _edit_config(directory: Path, edit) -> None:
    path = directory / CONFIG_FILE
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))


def _refused(directory: Path, file_name: str, match: str) -> None:
    with pytest.raises(ModelFormatError, match=match) as info:
        load_model_dir(directory)
    assert info.value.path == str(directory / file_name)
    assert file_name in str(info.value)


def test_refuses_a_pickle_renamed_to_safetensors(tmp_path: Path) -> None:
    model, _ = save_tiny(tmp_path / "m")
    weights = tmp_path / "m" / WEIGHTS_FILE
    torch.save(model.state_dict(), weights)  # a zip archive holding pickles
    _refused(tmp_path / "m", WEIGHTS_FILE, "pickle")
    weights.write_bytes(pickle.dumps({k: v.numpy() for k, v in model.state_dict().items()}))
    _refused(tmp_path / "m", WEIGHTS_FILE, "pickle")


@pytest.mark.parametrize("keep", [0, 5, 8, 40, -10])
def test_refuses_a_truncated_file(tmp_path: Path, keep: int) -> None:
    save_tiny(tmp_path / "m")
    weights = tmp_path / "m" / WEIGHTS_FILE
    data = weights.read_bytes()
    weights.write_bytes(data[:keep])
    _refused(tmp_path / "m", WEIGHTS_FILE, "truncated")


def test_refuses_a_checksum_mismatch(tmp_path: Path) -> None:
    save_tiny(tmp_path / "m")
    weights = tmp_path / "m" / WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[-3] ^= 0xFF  # flip bits inside a tensor: still a well-formed file
    weights.write_bytes(bytes(data))
    _refused(tmp_path / "m", WEIGHTS_FILE, "checksum mismatch")


def test_refuses_weights_of_another_model(tmp_path: Path) -> None:
    save_tiny(tmp_path / "a")
    save_tiny(tmp_path / "b", task="multiclass", n_outputs=3)
    # a consistent checksum, but the tensors do not fit the architecture
    (tmp_path / "a" / WEIGHTS_FILE).write_bytes((tmp_path / "b" / WEIGHTS_FILE).read_bytes())
    _refused(tmp_path / "a", WEIGHTS_FILE, "checksum mismatch")
    data = (tmp_path / "b" / WEIGHTS_FILE).read_bytes()
    _edit_config(tmp_path / "a", lambda d: d["weights"].update(sha256=hashlib.sha256(data).hexdigest()))
    _refused(tmp_path / "a", WEIGHTS_FILE, "records weights.bytes")  # the size was left as it was
    _edit_config(tmp_path / "a", lambda d: d["weights"].update(bytes=len(data)))
    _refused(tmp_path / "a", WEIGHTS_FILE, "do not fit the cnn-lstm architecture")


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda d: d.update(format_version=999), "format_version 999 is newer"),
        (lambda d: d.update(format_version="1"), "invalid format_version"),
        (lambda d: d.update(calibraton={}), "unknown key 'calibraton'"),
        (lambda d: d["model"]["config"].update(conv_filterz=3), "unknown cnn-lstm config key 'conv_filterz'"),
        (lambda d: d["weights"].update(md5="x"), "unknown key weights.'md5'"),
        (lambda d: d["model"].update(name="danq"), "unknown model 'danq'"),
        (lambda d: d.pop("classes"), "missing key 'classes'"),
        (lambda d: d.update(classes=["only"]), "2 class names"),
        (lambda d: d.update(input_length=13), "input_length 13 disagrees"),
        (lambda d: d.update(task="multilabel"), "task 'multilabel' disagrees"),
        (lambda d: d.update(metrics=[1, 2]), "'metrics' must be an object"),
        (lambda d: d["encoding"].update(type="kmer", k=4), "does not match the cnn-lstm architecture"),
        (lambda d: d["model"]["config"].update(lstm_layers=100000), "lstm_layers must be between 1 and 64"),
        # a traceback each before: an unhashable name, torch's int overflow inside the constructor
        (lambda d: d["model"].update(name=["cnn-lstm"]), r"unknown model \['cnn-lstm'\]"),
        (lambda d: d["model"]["config"].update(conv_filters=10**40), "conv_filters must be at most 2147483647"),
    ],
)
def test_refuses_bad_config_json(tmp_path: Path, edit, match: str) -> None:
    save_tiny(tmp_path / "m")
    _edit_config(tmp_path / "m", edit)
    _refused(tmp_path / "m", CONFIG_FILE, match)


def test_weights_size_is_checked_and_checksum_case_ignored(tmp_path: Path) -> None:
    save_tiny(tmp_path / "m")
    _edit_config(tmp_path / "m", lambda d: d["weights"].update(sha256=d["weights"]["sha256"].upper()))
    load_model_dir(tmp_path / "m")
    _edit_config(tmp_path / "m", lambda d: d["weights"].update(bytes=5))
    _refused(tmp_path / "m", WEIGHTS_FILE, "records weights.bytes 5")


def test_refuses_missing_files_and_bad_json(tmp_path: Path) -> None:
    save_tiny(tmp_path / "m")
    (tmp_path / "m" / WEIGHTS_FILE).unlink()
    _refused(tmp_path / "m", WEIGHTS_FILE, "missing weights file")
    (tmp_path / "m" / CONFIG_FILE).write_text("{not json")
    _refused(tmp_path / "m", CONFIG_FILE, "not valid JSON")
    (tmp_path / "m" / CONFIG_FILE).unlink()
    _refused(tmp_path / "m", CONFIG_FILE, "missing model config")


def test_refuses_deeply_nested_json_and_nan_weights(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    save_tiny(tmp_path / "m")
    weights = tmp_path / "m" / WEIGHTS_FILE
    state = load_file(str(weights))
    name = next(iter(state))
    state[name] = torch.full_like(state[name], float("nan"))
    save_file(state, str(weights))
    data = weights.read_bytes()
    _edit_config(
        tmp_path / "m",
        lambda d: d["weights"].update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data)),
    )
    _refused(tmp_path / "m", WEIGHTS_FILE, f"tensor {name!r} holds NaN or infinite values")
    (tmp_path / "m" / CONFIG_FILE).write_text("[" * 100_000 + "]" * 100_000)  # deeper than Python recurses
    _refused(tmp_path / "m", CONFIG_FILE, "not valid JSON")


def test_refuses_a_file_that_is_not_safetensors(tmp_path: Path) -> None:
    save_tiny(tmp_path / "m")
    (tmp_path / "m" / WEIGHTS_FILE).write_bytes(b"just some text, not tensors at all")
    _refused(tmp_path / "m", WEIGHTS_FILE, "not a safetensors file")


def test_weights_files_are_reproducible_and_readable_by_others(tmp_path: Path) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        for i in range(10):  # safetensors writes its metadata map in no fixed order
            save_tiny(tmp_path / f"m{i}", "transformer", "multiclass", 3, seed=4)
    finally:
        os.umask(old)
    digests = {
        hashlib.sha256((tmp_path / f"m{i}" / WEIGHTS_FILE).read_bytes()).hexdigest() for i in range(10)
    }
    assert len(digests) == 1
    assert digests == {read_config(tmp_path / "m0")["weights"]["sha256"]}
    for name in (WEIGHTS_FILE, CONFIG_FILE):
        assert stat.S_IMODE((tmp_path / "m0" / name).stat().st_mode) == 0o644, name


def test_a_tokenizer_out_of_range_is_a_model_format_error_naming_the_config(tmp_path: Path) -> None:
    """k=13 in both model.config and encoding: the tokenizer's ConfigError named no file."""
    save_tiny(tmp_path / "m", name="transformer")

    def k13(doc: dict) -> None:
        doc["model"]["config"]["k"] = 13
        doc["encoding"]["k"] = 13

    _edit_config(tmp_path / "m", k13)
    _refused(tmp_path / "m", CONFIG_FILE, "k must be an integer between 1 and 12, got 13")


def test_hostile_directories_are_refused_before_they_cost_memory(tmp_path: Path) -> None:
    """Each was read or built before it was checked: a config asking for 2*10**7 filters beside 8-filter
    weights allocated 7.5 GB before 'weights do not fit'; a 3 GB sparse file in place of the weights was
    read whole; a 5,000-digit integer was int()'s ValueError (a traceback); 200 extra tensors were
    listed whole in the message (2 MB in QA)."""
    save_tiny(tmp_path / "m")
    _edit_config(tmp_path / "m", lambda d: d["model"]["config"].update(conv_filters=2 * 10**7))
    _refused(tmp_path / "m", WEIGHTS_FILE, r"'trunk.conv.weight' is \[\d+, 4, \d+\], the architecture's \[20000000, 4")
    save_tiny(tmp_path / "w")
    weights = tmp_path / "w" / WEIGHTS_FILE
    data = weights.read_bytes()
    with weights.open("r+b") as fh:
        fh.truncate(3 * 2**30)  # sparse: no disk used
    _refused(tmp_path / "w", WEIGHTS_FILE, "3221225472 bytes, but config.json records weights.bytes")
    weights.write_bytes(data)
    config = tmp_path / "w" / CONFIG_FILE
    text = config.read_text()
    config.write_text(text.replace('"format_version": 1', '"format_version": ' + "9" * 5000))
    _refused(tmp_path / "w", CONFIG_FILE, "not valid JSON")
    config.write_text(text)
    from safetensors.torch import save_file

    state = {k: v for k, v in load_model_dir(tmp_path / "w").model.state_dict().items()}
    state.update({f"extra_{i:04d}": torch.zeros(1) for i in range(200)})
    save_file(state, str(weights))
    _edit_config(
        tmp_path / "w",
        lambda d: d["weights"].update(sha256=hashlib.sha256(weights.read_bytes()).hexdigest(), bytes=weights.stat().st_size),
    )
    with pytest.raises(ModelFormatError, match=r"unexpected tensor\(s\) 'extra_0000', 'extra_0001', 'extra_0002' and 197 more") as info:
        load_model_dir(tmp_path / "w")
    assert len(str(info.value)) < 400


def test_a_transformers_token_sizes_must_follow_from_its_tokenizer(tmp_path: Path) -> None:
    """stride edited from 2 to 1 in both places loaded, then failed inside torch at the first batch
    (more tokens than positions); k edited likewise (token ids past the embedding)."""
    save_tiny(tmp_path / "m", name="transformer")

    def stride1(doc: dict) -> None:
        doc["model"]["config"]["stride"] = 1
        doc["encoding"]["stride"] = 1

    _edit_config(tmp_path / "m", stride1)
    _refused(tmp_path / "m", CONFIG_FILE, r"max_tokens is \d+, but k=\d+, stride=1 and input_length 12 need \d+")
    # larger sizes than the tokenizer needs are a valid model (default_config takes them when given)
    config = default_config("transformer", input_length=12, n_outputs=1, task="binary", **TINY["transformer"],
                            max_tokens=64, vocab_size=600)  # fmt: skip
    save_model_dir(tmp_path / "big", build_model("transformer", config), model_name="transformer",
                   model_config=config, task="binary", classes=["neg", "pos"],
                   encoding=encoding_spec("transformer", config), input_length=12)  # fmt: skip
    assert load_model_dir(tmp_path / "big").model_config.max_tokens == 64


def test_a_float_parameter_stored_as_integers_is_refused(tmp_path: Path) -> None:
    """An I32 tensor (checksum updated) was cast to float by load_state_dict without a word."""
    from safetensors.torch import save_file

    save_tiny(tmp_path / "m")
    weights = tmp_path / "m" / WEIGHTS_FILE
    state = dict(load_model_dir(tmp_path / "m").model.state_dict())
    key = next(k for k, v in state.items() if v.is_floating_point())
    state[key] = state[key].round().to(torch.int32)
    save_file(state, str(weights))
    _edit_config(
        tmp_path / "m",
        lambda d: d["weights"].update(sha256=hashlib.sha256(weights.read_bytes()).hexdigest(), bytes=weights.stat().st_size),
    )
    _refused(tmp_path / "m", WEIGHTS_FILE, f"tensor '{key}' is stored as torch.int32, not as floating point")


def test_a_config_json_that_is_missing_behind_a_link_or_a_directory_says_so(tmp_path: Path) -> None:
    (tmp_path / "dangling").mkdir()
    (tmp_path / "dangling" / CONFIG_FILE).symlink_to(tmp_path / "nowhere")
    _refused(tmp_path / "dangling", CONFIG_FILE, "missing model config")
    (tmp_path / "dir" / CONFIG_FILE).mkdir(parents=True)
    _refused(tmp_path / "dir", CONFIG_FILE, "model config is a directory")
