"""The training loop with a toy model: learning, logs, early stopping, best-model restore,
bit-exact resume, NaN handling, checkpoint contents and the pieces they rest on."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
import torch

from genoseq.errors import ConfigError, TrainingError
from genoseq.train import TrainConfig, TrainingInterrupted, compute_metrics, fit
from genoseq.train.checkpoint import optimizer_from_flat, optimizer_to_flat, read_checkpoint
from genoseq.train.distributed import ShardedBatchSampler
from genoseq.train.loop import CHECKPOINT_NAME, LOG_CSV, LOG_JSON
from genoseq.train.objective import lr_factor, make_loss
from tests.test_train_toys import ToyConvNet, toy_datasets, toy_model

FAST = {"batch_size": 16, "lr": 3e-2, "device": "cpu", "patience": 0}


pytestmark = pytest.mark.usefixtures("one_thread")


class StopAfter:
    """A stop request that turns on after ``calls`` checks (the loop checks once per step)."""

    def __init__(self, calls: int) -> None:
        self.calls = calls

    def is_set(self) -> bool:
        self.calls -= 1
        return self.calls < 0


def _state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_learns_planted_motif_and_writes_logs(tmp_path) -> None:
    train, valid = toy_datasets()
    result = fit(toy_model(), train, valid, TrainConfig(epochs=3, **FAST), out_dir=tmp_path)
    assert result.metrics["auroc"] > 0.9
    assert result.epochs_run == 3 and len(result.history) == 3
    assert result.valid_probs.shape == (100, 1) and result.valid_labels.shape == (100,)
    # the reported metrics are those of the probabilities returned
    recomputed = compute_metrics(result.valid_labels, result.valid_probs, "binary")
    assert recomputed["auroc"] == pytest.approx(result.metrics["auroc"])
    with open(tmp_path / LOG_CSV) as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert {"train_loss", "valid_loss", "valid_auroc", "valid_accuracy", "valid_mcc", "lr"} <= set(rows[0])
    doc = json.loads((tmp_path / LOG_JSON).read_text())
    assert doc["monitor"] == "auroc" and len(doc["epochs"]) == 3 and doc["world_size"] == 1
    assert float(rows[2]["valid_auroc"]) == pytest.approx(doc["epochs"][2]["valid_auroc"])
    assert (tmp_path / CHECKPOINT_NAME).exists()


def test_best_model_is_restored(tmp_path) -> None:
    train, valid = toy_datasets()
    # a learning rate this high makes later epochs worse than some earlier one
    config = TrainConfig(epochs=4, batch_size=16, lr=0.5, device="cpu", patience=0, grad_clip=0.0)
    model = toy_model()
    result = fit(model, train, valid, config, out_dir=tmp_path)
    best_row = result.history[result.best_epoch - 1]
    assert best_row["best"] is True
    assert best_row["valid_auroc"] == max(r["valid_auroc"] for r in result.history)
    # the weights the model now holds reproduce the best epoch's validation figures
    assert result.metrics["auroc"] == pytest.approx(best_row["valid_auroc"])
    assert result.metrics["loss"] == pytest.approx(best_row["valid_loss"], rel=1e-6)
    tensors, _ = read_checkpoint(tmp_path / CHECKPOINT_NAME)
    _assert_same_weights({k[5:]: v for k, v in tensors.items() if k.startswith("best.")}, _state(model))


def test_early_stopping_after_patience_epochs(tmp_path) -> None:
    train, valid = toy_datasets()
    # a vanishing learning rate: validation figures never change, so no epoch after the first improves
    config = TrainConfig(epochs=10, batch_size=64, lr=1e-12, device="cpu", patience=2, warmup_fraction=0.0)
    result = fit(toy_model(), train, valid, config, out_dir=tmp_path)
    assert result.stopped_early
    assert result.epochs_run == 3
    assert result.best_epoch == 1
    assert [r["best"] for r in result.history] == [True, False, False]


@pytest.mark.parametrize("ema_decay", [0.0, 0.9], ids=["plain", "ema"])
@pytest.mark.parametrize("stop_checks", [None, 40], ids=["epoch-boundary", "mid-epoch"])
def test_resume_is_bit_exact(tmp_path, stop_checks, ema_decay) -> None:
    config = TrainConfig(epochs=3, ema_decay=ema_decay, **FAST)
    train, valid = toy_datasets(rc_augment=True)
    reference = toy_model()
    fit(reference, train, valid, config, out_dir=tmp_path / "straight")

    run_dir = tmp_path / "interrupted"
    ckpt = run_dir / CHECKPOINT_NAME

    class StopAfterFirstEpoch:
        def is_set(self) -> bool:
            return ckpt.exists()

    stop = StopAfterFirstEpoch() if stop_checks is None else StopAfter(stop_checks)
    with pytest.raises(TrainingInterrupted, match="--resume"):
        fit(toy_model(), train, valid, config, out_dir=run_dir, stop_event=stop)
    _, meta = read_checkpoint(ckpt)
    if stop_checks is None:
        assert (meta["state"]["epoch"], meta["state"]["step_in_epoch"]) == (1, 0)
    else:  # 25 checks in epoch 1's steps + 1 after it: the 41st check follows step 15 of epoch 2
        assert (meta["state"]["epoch"], meta["state"]["step_in_epoch"]) == (1, 15)

    torch.manual_seed(123)  # the resumed run must not depend on the process's RNG state
    resumed = ToyConvNet()
    result = fit(resumed, train, valid, config, out_dir=run_dir, resume=True)
    assert result.epochs_run == 3
    _assert_same_weights(_state(reference), _state(resumed))
    straight_log = json.loads((tmp_path / "straight" / LOG_JSON).read_text())["epochs"]
    resumed_log = json.loads((run_dir / LOG_JSON).read_text())["epochs"]
    for a, b in zip(straight_log, resumed_log, strict=True):
        assert a["train_loss"] == b["train_loss"] and a["valid_auroc"] == b["valid_auroc"]


def test_checkpoint_without_resume_is_refused_and_options_must_match(tmp_path) -> None:
    train, valid = toy_datasets(n_train=64, n_valid=32)
    config = TrainConfig(epochs=1, **FAST)
    fit(toy_model(), train, valid, config, out_dir=tmp_path)
    with pytest.raises(ConfigError, match="--resume"):
        fit(toy_model(), train, valid, config, out_dir=tmp_path)
    other = TrainConfig(epochs=1, **{**FAST, "lr": 1e-3})
    with pytest.raises(ConfigError, match="lr"):
        fit(toy_model(), train, valid, other, out_dir=tmp_path, resume=True)


class NaNAfter(ToyConvNet):
    """Returns NaN logits once it has run ``after`` training forwards."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after
        self.calls = 0

    def forward(self, x, mask=None, features=None):  # noqa: ANN001, ANN201
        out = super().forward(x)
        if self.training:
            self.calls += 1
            if self.calls > self.after:
                return out * float("nan")
        return out


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path) -> None:
    train, valid = toy_datasets(n_train=64, n_valid=32)  # 4 steps per epoch
    config = TrainConfig(epochs=3, **FAST)
    torch.manual_seed(0)
    with pytest.raises(TrainingError, match=r"nan at epoch 2, step 2.*checkpoint"):
        fit(NaNAfter(after=5), train, valid, config, out_dir=tmp_path)
    tensors, meta = read_checkpoint(tmp_path / CHECKPOINT_NAME)
    assert meta["state"]["epoch"] == 1 and meta["state"]["step_in_epoch"] == 0
    assert all(torch.isfinite(v).all() for k, v in tensors.items() if k.startswith("model."))


def test_logits_of_the_wrong_shape_are_named(tmp_path) -> None:
    train, valid = toy_datasets(n_train=32, n_valid=16)
    with pytest.raises(TrainingError, match=r"shape \(16, 2\).*\(16, 1\)"):
        fit(ToyConvNet(n_outputs=2), train, valid, TrainConfig(epochs=1, **FAST), out_dir=tmp_path)


def test_multiclass_training(tmp_path) -> None:
    train, valid = toy_datasets(n_train=300, n_valid=90, n_classes=3)
    config = TrainConfig(epochs=3, **FAST)
    result = fit(toy_model(n_outputs=3), train, valid, config, out_dir=tmp_path)
    assert result.monitor == "mcc"
    assert result.valid_probs.shape == (90, 3)
    np.testing.assert_allclose(result.valid_probs.sum(axis=1), 1.0, rtol=1e-5)
    assert result.metrics["accuracy"] > 0.6


def test_loss_weights() -> None:
    config = TrainConfig(balance_classes=True)
    labels = np.array([0, 0, 0, 1])
    loss = make_loss("binary", labels, 1, config, torch.device("cpu"))
    logits = torch.tensor([[0.3], [-1.2]])
    target = torch.tensor([[1.0], [0.0]])
    # positives weighted n_neg / n_pos = 3
    expected = torch.stack(
        [-3.0 * torch.log(torch.sigmoid(logits[0, 0])), -torch.log(1 - torch.sigmoid(logits[1, 0]))]
    )
    torch.testing.assert_close(loss(logits, target), expected)
    mc = make_loss("multiclass", np.array([0, 0, 0, 1, 2, 2]), 3, config, torch.device("cpu"))
    logits3 = torch.tensor([[0.1, 0.5, -0.3]])
    # class 1 weight = n / (C * n_1) = 6 / 3 = 2
    expected3 = 2.0 * -torch.log_softmax(logits3, dim=1)[0, 1]
    torch.testing.assert_close(mc(logits3, torch.tensor([1])), expected3.reshape(1))
    with pytest.raises(ConfigError):
        make_loss("multiclass", labels, 2, TrainConfig(pos_weight=2.0), torch.device("cpu"))


def test_lr_schedule() -> None:
    total, warmup = 100, 10
    factors = [lr_factor(s, total, warmup, "cosine") for s in range(total)]
    assert factors[0] == pytest.approx(0.1) and factors[9] == pytest.approx(1.0)
    assert factors[10] == pytest.approx(1.0) and factors[-1] == pytest.approx(0.01)
    assert all(a >= b for a, b in zip(factors[10:], factors[11:], strict=False))
    assert lr_factor(50, total, warmup, "constant") == 1.0
    assert lr_factor(0, total, 0, "cosine") == pytest.approx(1.0)


def test_optimizer_state_round_trip() -> None:
    model = toy_model()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.8, 0.95))
    for _ in range(3):
        model(torch.rand(4, 50, 4)).sum().backward()
        opt.step()
    state = opt.state_dict()
    tensors, meta = optimizer_to_flat(state)
    back = optimizer_from_flat(tensors, json.loads(json.dumps(meta)))
    assert back["param_groups"] == state["param_groups"]
    assert isinstance(back["param_groups"][0]["betas"], tuple)
    for i, per_param in state["state"].items():
        for key, value in per_param.items():
            assert torch.equal(back["state"][i][key], value)


def test_sharded_batch_sampler() -> None:
    n, bs, world = 23, 4, 3
    shards = [ShardedBatchSampler(n, bs, rank=r, world_size=world, seed=5) for r in range(world)]
    seen = []
    for s in shards:
        s.set_epoch(2)
        batches = list(s)
        assert len(batches) == len(s)
        seen.extend(i for b in batches for i in b)
    assert set(seen) == set(range(n)) and len(seen) == 24  # padded to a multiple of the world size
    full = [i for b in shards[0] for i in b]
    shards[0].set_epoch(2, start_batch=1)
    assert [i for b in shards[0] for i in b] == full[bs:]
    shards[0].set_epoch(3)
    assert [i for b in shards[0] for i in b] != full
    evals = [ShardedBatchSampler(n, bs, rank=r, world_size=world, shuffle=False) for r in range(world)]
    assert sorted(i for s in evals for b in s for i in b) == list(range(n))


def test_config_validation() -> None:
    with pytest.raises(ConfigError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(ConfigError, match="precision"):
        TrainConfig(precision="fp8")
    with pytest.raises(ConfigError, match="unknown training option 'epoch'"):
        TrainConfig.from_dict({"epoch": 3})
    assert TrainConfig.from_dict(TrainConfig(lr=2).to_dict()) == TrainConfig(lr=2.0)
    for lr in (0.0, -1e-3, 1e38, math.inf, math.nan):  # 1e38 overflowed float32 inside AdamW
        with pytest.raises(ConfigError, match="lr must be > 0 and at most 10"):
            TrainConfig(lr=lr)
    for name in ("weight_decay", "grad_clip", "min_delta"):
        with pytest.raises(ConfigError, match=f"{name} must be a finite number"):
            TrainConfig(**{name: math.inf})
    assert TrainConfig().resolved_monitor("multiclass") == "mcc"
    assert math.isclose(TrainConfig(pos_weight=3).pos_weight, 3.0)


def test_weight_average_is_validated_and_saved(tmp_path) -> None:
    """With ema_decay the best (and returned) weights are the running average, not the last step's."""
    train, valid = toy_datasets()
    config = TrainConfig(epochs=2, ema_decay=0.9, **FAST)
    model = toy_model()
    result = fit(model, train, valid, config, out_dir=tmp_path)
    plain = toy_model()
    fit(plain, train, valid, TrainConfig(epochs=2, **FAST), out_dir=tmp_path / "plain")
    # same seed, same steps: only the averaging differs
    assert any(
        not torch.equal(a, b) for a, b in zip(_state(model).values(), _state(plain).values(), strict=True)
    )
    tensors, _ = read_checkpoint(tmp_path / CHECKPOINT_NAME)
    ema = {k[4:]: v for k, v in tensors.items() if k.startswith("ema.")}
    assert ema.keys() == _state(model).keys()
    if result.best_epoch == 2:  # the model holds the average at the end of epoch 2
        _assert_same_weights(ema, _state(model))
    # one update by hand: decay min(0.9, (1 + 0) / (10 + 0)) = 0.1 moves the average 90 % of the way
    from types import SimpleNamespace

    from genoseq.train.loop import _Trainer

    toy = toy_model()
    fake = SimpleNamespace(
        model=toy, config=config, ema={k: torch.zeros_like(v) for k, v in toy.state_dict().items()}
    )
    with torch.no_grad():
        for value in toy.state_dict().values():
            value.fill_(1.0)
    _Trainer._update_ema(fake, 0)
    for value in fake.ema.values():
        assert torch.allclose(value, torch.full_like(value, 0.9))


def test_weight_average_must_match_on_resume(tmp_path) -> None:
    train, valid = toy_datasets()
    fit(toy_model(), train, valid, TrainConfig(epochs=1, **FAST), out_dir=tmp_path)
    with pytest.raises(ConfigError, match="ema_decay"):
        fit(
            toy_model(),
            train,
            valid,
            TrainConfig(epochs=1, ema_decay=0.9, **FAST),
            out_dir=tmp_path,
            resume=True,
        )
    with pytest.raises(ConfigError, match="ema_decay"):
        TrainConfig(ema_decay=1.0)


def test_a_run_that_fails_at_once_leaves_no_empty_directory(tmp_path) -> None:
    train, valid = toy_datasets(n_train=32, n_valid=16)
    out = tmp_path / "new" / "model"
    with pytest.raises(TrainingError, match="nan at epoch 1, step 1"):
        fit(NaNAfter(after=0), train, valid, TrainConfig(epochs=1, **FAST), out_dir=out)
    assert not out.exists()
    out.mkdir(parents=True)  # a directory the user made is left alone
    with pytest.raises(TrainingError):
        fit(NaNAfter(after=0), train, valid, TrainConfig(epochs=1, **FAST), out_dir=out)
    assert out.is_dir()


def test_an_undefined_monitor_metric_is_warned_about_and_loss_decides(tmp_path, caplog) -> None:
    """A validation set of one class has no AUROC: say so once, and pick the best epoch by loss."""
    train, valid = toy_datasets()
    keep = np.flatnonzero(valid.labels == 1)
    one_class = type(valid)(
        valid.sequences[keep], valid.labels[keep], task="binary", encode=valid.encode, n_classes=2
    )
    with caplog.at_level("WARNING", logger="genoseq"):
        result = fit(toy_model(), train, one_class, TrainConfig(epochs=3, **FAST), out_dir=tmp_path)
    assert caplog.text.count("validation auroc is undefined") == 1
    losses = [r["valid_loss"] for r in result.history]
    assert result.best_epoch == 1 + losses.index(min(losses))


def test_resume_refuses_another_precision(tmp_path) -> None:
    """A run interrupted in fp32 and resumed under bf16 autocast would mix numerics in one run
    (and config.json would record one precision for both): refused, naming the flag that continues."""
    train, valid = toy_datasets()
    run_dir = tmp_path / "run"
    with pytest.raises(TrainingInterrupted):
        fit(
            toy_model(), train, valid, TrainConfig(epochs=3, **FAST), out_dir=run_dir, stop_event=StopAfter(5)
        )
    _, meta = read_checkpoint(run_dir / CHECKPOINT_NAME)
    assert meta["precision"] == "fp32"
    with pytest.raises(
        ConfigError, match=r"trained in fp32, this one would train in bf16 \(--precision fp32"
    ):
        fit(
            toy_model(),
            train,
            valid,
            TrainConfig(epochs=3, precision="bf16", **FAST),
            out_dir=run_dir,
            resume=True,
        )
    result = fit(toy_model(), train, valid, TrainConfig(epochs=3, **FAST), out_dir=run_dir, resume=True)
    assert result.epochs_run == 3


def test_a_stop_after_the_last_step_finishes_the_run_and_says_so(tmp_path, caplog) -> None:
    # 26 checks an epoch (25 steps + 1 after them): the 52nd comes after epoch 2's last step
    train, valid = toy_datasets()
    with caplog.at_level("WARNING", logger="genoseq"):
        result = fit(
            toy_model(),
            train,
            valid,
            TrainConfig(epochs=2, **FAST),
            out_dir=tmp_path / "r",
            stop_event=StopAfter(51),
        )
    assert result.epochs_run == 2
    assert "came after the last training step: finishing the run and writing the model" in caplog.text


def test_a_failed_checkpoint_write_leaves_the_log_at_the_checkpoints_epoch(tmp_path, monkeypatch) -> None:
    import genoseq.train.loop as loop

    train, valid = toy_datasets(n_train=32, n_valid=16)
    real_write = loop.write_checkpoint

    def failing_second_epoch(path, tensors, meta):
        if meta["state"]["epoch"] == 2 and meta["state"]["step_in_epoch"] == 0:
            raise OSError(28, "No space left on device")
        real_write(path, tensors, meta)

    monkeypatch.setattr(loop, "write_checkpoint", failing_second_epoch)
    with pytest.raises(OSError, match="No space"):
        fit(toy_model(), train, valid, TrainConfig(epochs=3, **FAST), out_dir=tmp_path)
    _, meta = read_checkpoint(tmp_path / CHECKPOINT_NAME)
    assert meta["state"]["epoch"] == 1
    with open(tmp_path / LOG_CSV) as fh:
        assert [int(r["epoch"]) for r in csv.DictReader(fh)] == [1]
    assert [row["epoch"] for row in json.loads((tmp_path / LOG_JSON).read_text())["epochs"]] == [1]
