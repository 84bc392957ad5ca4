"""The training loop: model-agnostic, single- or multi-process, resumable.

:func:`fit` trains any ``nn.Module`` whose ``forward(**inputs)`` returns logits
``(N, n_outputs)`` on a dataset whose ``__getitems__(indices)`` returns a batch
``dict`` of the model's keyword inputs plus the target ``y`` (see
:class:`genoseq.data.SequenceDataset`). It handles:

* device and precision (CUDA when available; bf16 autocast, or fp16 with
  gradient scaling; fp32 on CPU), pinned-memory DataLoaders with workers;
* DistributedDataParallel when started by ``torchrun`` (rank 0 alone writes;
  validation is sharded and gathered, so every process takes the same
  early-stopping decision);
* AdamW with linear warm-up + cosine (or constant) learning rate, gradient
  clipping, BCE-with-logits or cross-entropy loss with optional class weights;
* early stopping on a validation metric with best-model restore;
* a checkpoint after every epoch (and on SIGINT/SIGTERM, mid-epoch), from
  which ``resume=True`` continues so that the end result equals an
  uninterrupted run on CPU bit for bit;
* a stop with :class:`~genoseq.errors.TrainingError` on a non-finite loss,
  keeping the last good checkpoint;
* per-epoch logs ``train_log.csv`` / ``train_log.json``.

Testing aid: the environment variable ``GENOSEQ_TRAIN_STEP_DELAY`` (seconds)
makes every training step sleep that long, so a test can signal a run mid-way.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from genoseq.data.datasets import collate_batch
from genoseq.errors import ConfigError, TrainingError
from genoseq.modeldir import CHECKPOINT_FILE, CONFIG_FILE, WEIGHTS_FILE
from genoseq.train.checkpoint import (
    capture_rng,
    optimizer_from_flat,
    optimizer_to_flat,
    read_checkpoint,
    restore_rng,
    write_checkpoint,
)
from genoseq.train.config import METRICS, SEMANTIC_FIELDS, TrainConfig
from genoseq.train.device import auto_workers, resolve_device, resolve_precision, seed_all
from genoseq.train.distributed import DistContext, ShardedBatchSampler
from genoseq.train.logs import LOG_CSV, LOG_JSON, json_safe, write_history
from genoseq.train.metrics import compute_metrics
from genoseq.train.objective import lr_factor, make_loss, make_optimizer, probabilities, targets
from genoseq.train.signals import StopRequest, ignore_stop_signals

# json_safe is re-exported for callers that import it from here (genoseq.variants.risk_model).
__all__ = ["CHECKPOINT_NAME", "LOG_CSV", "LOG_JSON", "CannotResume", "TrainResult", "TrainingInterrupted", "fit", "json_safe"]

log = logging.getLogger(__name__)

CHECKPOINT_NAME = CHECKPOINT_FILE
STEP_DELAY_ENV = "GENOSEQ_TRAIN_STEP_DELAY"


class TrainingInterrupted(TrainingError):
    """Training stopped on request (SIGINT/SIGTERM); a checkpoint to resume from was written."""

    #: every process of a data-parallel run stops with this same message: only rank 0 prints it
    same_on_every_rank = True


class CannotResume(ConfigError):
    """``--resume`` refused: the checkpoint is of another run (options, task, precision, data)."""

    #: read from the one checkpoint by every process of a data-parallel run: only rank 0 prints it
    same_on_every_rank = True


class TrainDataset(Protocol):
    """What :func:`fit` needs from a dataset."""

    task: str
    labels: np.ndarray

    def __len__(self) -> int: ...

    def __getitems__(self, indices: list[int]) -> Mapping[str, np.ndarray]: ...


@dataclass(frozen=True)
class TrainResult:
    """What :func:`fit` returns.

    Attributes
    ----------
    history : list[dict]
        One row per epoch run: ``epoch`` (1-based), ``train_loss``, ``valid_loss``,
        ``valid_<metric>``, ``lr``, ``seconds``, ``samples_per_s``, ``best``.
    best_epoch : int
        1-based epoch whose weights the model now holds.
    epochs_run : int
        Epochs trained (``len(history)``).
    stopped_early : bool
        Whether early stopping ended the run before ``config.epochs``.
    monitor : str
        The metric used to pick the best epoch.
    metrics : dict[str, float]
        Validation metrics of the restored best model (:func:`compute_metrics` + ``loss``).
    valid_labels, valid_probs : numpy.ndarray
        Validation targets and the best model's probabilities (``float32`` ``(n, n_outputs)``),
        in validation-set order.
    device, precision : str
        Where and how it trained.
    world_size, rank : int
        Number of processes and this one's rank.
    wall_seconds : float
        Training time of this call (not counting earlier, interrupted calls).
    out_dir : pathlib.Path
        Where the checkpoint and logs are.
    """

    history: list[dict[str, Any]]
    best_epoch: int
    epochs_run: int
    stopped_early: bool
    monitor: str
    metrics: dict[str, float]
    valid_labels: np.ndarray
    valid_probs: np.ndarray
    device: str
    precision: str
    world_size: int
    rank: int
    wall_seconds: float
    out_dir: Path


@dataclass(frozen=True)
class Fingerprint:
    """What a resumed run must share with the interrupted one.

    ``digest`` is the whole's checksum (what a checkpoint has always recorded); ``parts`` the
    checksum of each part under a stable key (``"train"``), recorded beside it; ``names`` how a
    part is named when it differs (``"other training data"``), so that a refused ``--resume``
    says what changed. A plain ``str`` fingerprint has no parts.
    """

    digest: str
    parts: Mapping[str, str]
    names: Mapping[str, str]


@dataclass
class _State:
    """Mutable loop state, saved in checkpoints."""

    epoch: int = 0  # epochs completed (0-based index of the current epoch)
    step_in_epoch: int = 0
    global_step: int = 0
    loss_sum: float = 0.0
    seen: int = 0
    epoch_seconds: float = 0.0
    best_epoch: int = 0  # 1-based; 0 = none yet
    best_primary: float = -math.inf
    best_loss: float = math.inf
    epochs_since_best: int = 0
    stopped_early: bool = False
    finished: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _Trainer:
    """One :func:`fit` call; see there."""

    def __init__(
        self,
        model: nn.Module,
        train_ds: TrainDataset,
        valid_ds: TrainDataset,
        config: TrainConfig,
        out_dir: Path,
        ctx: DistContext,
        device: torch.device,
        fingerprint: str | Fingerprint | None,
    ) -> None:
        self.model = model
        self.train_ds = train_ds
        self.valid_ds = valid_ds
        self.config = config
        self.out_dir = out_dir
        self.ctx = ctx
        self.device = device
        self.fingerprint = fingerprint.digest if isinstance(fingerprint, Fingerprint) else fingerprint
        self.fingerprint_parts = dict(fingerprint.parts) if isinstance(fingerprint, Fingerprint) else None
        self.fingerprint_names = dict(fingerprint.names) if isinstance(fingerprint, Fingerprint) else {}
        self.task = train_ds.task
        self.precision, self.amp_dtype = resolve_precision(config.precision, device)
        if config.precision == "auto" and ctx.distributed and device.type == "cuda":
            # One choice for every rank: DDP averages gradients, and a rank scaling its loss for
            # fp16 beside one in bf16 would mix scaled and unscaled gradients (mixed GPU models).
            (some_fp16,) = ctx.any_flag(self.precision == "fp16")
            if some_fp16:
                self.precision, self.amp_dtype = "fp16", torch.float16
        self.monitor = config.resolved_monitor(self.task)
        self._warned_undefined = False  # said once that the monitored metric is undefined
        self.ckpt_path = out_dir / CHECKPOINT_NAME
        self.n_outputs = _n_outputs(train_ds)

        model.to(device)
        self.ddp_model: nn.Module = model
        if ctx.distributed:
            from torch.nn.parallel import DistributedDataParallel

            self.ddp_model = DistributedDataParallel(
                model, device_ids=[device.index] if device.type == "cuda" else None
            )
        self.optimizer = make_optimizer(model, config)
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.precision == "fp16")
        self.loss_fn = make_loss(self.task, train_ds.labels, self.n_outputs, config, device)
        workers = auto_workers(device) if config.num_workers < 0 else config.num_workers
        self.train_sampler = ShardedBatchSampler(
            len(train_ds),
            config.batch_size,
            rank=ctx.rank,
            world_size=ctx.world_size,
            shuffle=True,
            seed=config.seed,
        )
        self.valid_sampler = ShardedBatchSampler(
            len(valid_ds), 2 * config.batch_size, rank=ctx.rank, world_size=ctx.world_size, shuffle=False
        )
        self.loader_kwargs: dict[str, Any] = {
            "collate_fn": collate_batch,
            "num_workers": workers,
            "pin_memory": device.type == "cuda",
        }
        if workers > 0:
            self.loader_kwargs["prefetch_factor"] = 4
            # a signal to the whole process group is the main process's to handle (checkpoint, stop)
            self.loader_kwargs["worker_init_fn"] = ignore_stop_signals
        self.steps_per_epoch = len(self.train_sampler)
        self.total_steps = self.steps_per_epoch * config.epochs
        self.warmup_steps = int(round(config.warmup_fraction * self.total_steps))
        self.state = _State()
        self.best_weights: dict[str, torch.Tensor] | None = None
        #: exponential moving average of the weights (``config.ema_decay > 0``), same keys as state_dict
        self.ema: dict[str, torch.Tensor] | None = None
        if config.ema_decay > 0:
            self.ema = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        self.step_delay = float(os.environ.get(STEP_DELAY_ENV, "0") or 0)

    # ------------------------------------------------------------------ checkpoints
    def _config_json(self) -> dict[str, Any]:
        return self.config.to_dict()

    def save_checkpoint(self) -> None:
        """Every process contributes its RNG state and its share of the epoch's loss; rank 0 writes the file."""
        rng_tensors, rng_meta = capture_rng(self.ctx.rank)
        state_json = self.state.to_json()
        if self.ctx.distributed:
            # each rank sums the loss of its own batches; the checkpoint holds the epoch's total so far
            loss_total, seen_total = self.ctx.sum(self.state.loss_sum, float(self.state.seen))
            state_json.update(loss_sum=loss_total, seen=int(seen_total))
        if self.ctx.distributed:
            gathered: dict[str, torch.Tensor] = {}
            for kind in ("torch", "cuda"):
                key = f"rng.{kind}.rank{self.ctx.rank}"
                if kind == "cuda" and self.device.type != "cuda":
                    continue
                parts = self.ctx.gather_rows(rng_tensors[key].unsqueeze(0))
                gathered.update({f"rng.{kind}.rank{r}": p[0] for r, p in enumerate(parts)})
            rng_tensors = {
                k: v for k, v in rng_tensors.items() if not k.startswith(("rng.torch", "rng.cuda"))
            }
            rng_tensors.update(gathered)
        if self.ctx.is_main:
            tensors: dict[str, torch.Tensor] = {}
            tensors.update({f"model.{k}": v for k, v in self.model.state_dict().items()})
            if self.best_weights is not None:
                tensors.update({f"best.{k}": v for k, v in self.best_weights.items()})
            if self.ema is not None:
                tensors.update({f"ema.{k}": v for k, v in self.ema.items()})
            optim_tensors, optim_meta = optimizer_to_flat(self.optimizer.state_dict())
            tensors.update(optim_tensors)
            tensors.update(rng_tensors)
            meta = {
                "state": state_json,
                "config": self._config_json(),
                "task": self.task,
                "world_size": self.ctx.world_size,
                "fingerprint": self.fingerprint,
                **({"fingerprint_parts": self.fingerprint_parts} if self.fingerprint_parts else {}),
                "precision": self.precision,  # as resolved ("auto" -> bf16/fp16/fp32 on this device)
                "optimizer": optim_meta,
                "scaler": self.scaler.state_dict(),
                "rng": rng_meta,
            }
            write_checkpoint(self.ckpt_path, tensors, meta)
        self.ctx.barrier()

    def load_checkpoint(self) -> None:
        tensors, meta = read_checkpoint(self.ckpt_path)
        saved = meta.get("config", {})
        current = self._config_json()
        for key in SEMANTIC_FIELDS:
            if saved.get(key) != current[key]:
                raise CannotResume(
                    f"cannot resume: {key} was {saved.get(key)!r} in the interrupted run, now {current[key]!r} "
                    "(give the same options, or start a new run in another directory)",
                    path=self.ckpt_path,
                )
        if meta.get("task") != self.task:
            raise CannotResume(
                f"cannot resume: the checkpoint is for a {meta.get('task')} task", path=self.ckpt_path
            )
        if meta.get("precision") not in (None, self.precision):  # None: a checkpoint from before it was kept
            raise CannotResume(
                f"cannot resume: the interrupted run trained in {meta['precision']}, this one would train "
                f"in {self.precision} (--precision {meta['precision']} continues it as it was)",
                path=self.ckpt_path,
            )
        if self.fingerprint is not None and meta.get("fingerprint") not in (None, self.fingerprint):
            saved_parts, parts = meta.get("fingerprint_parts"), self.fingerprint_parts
            differ = []
            if isinstance(saved_parts, dict) and parts:
                keys = [key for key in parts if saved_parts.get(key) != parts[key]]
                keys += [key for key in saved_parts if key not in parts]
                differ = list(dict.fromkeys(self.fingerprint_names.get(key, str(key)) for key in keys))
            what = ", ".join(differ) if differ else "other data or model settings"
            raise CannotResume(
                f"cannot resume: the checkpoint was made with {what} (give the same data and options,"
                " or start a new run in another directory)",
                path=self.ckpt_path,
            )
        state = _State(**meta["state"])
        if meta.get("world_size") != self.ctx.world_size:
            if state.step_in_epoch:
                raise CannotResume(
                    f"cannot resume mid-epoch with {self.ctx.world_size} processes: the run used "
                    f"{meta.get('world_size')}",
                    path=self.ckpt_path,
                )
            log.warning(
                "resuming with %d processes (the run used %s); results will differ from an uninterrupted run",
                self.ctx.world_size,
                meta.get("world_size"),
            )
        model_state = {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
        self.model.load_state_dict(model_state, strict=True)
        best = {k[len("best.") :]: v.to(self.device) for k, v in tensors.items() if k.startswith("best.")}
        self.best_weights = best or None
        if self.ema is not None:
            ema = {k[len("ema.") :]: v.to(self.device) for k, v in tensors.items() if k.startswith("ema.")}
            if set(ema) != set(self.ema):
                raise CannotResume("cannot resume: the checkpoint has no weight average", path=self.ckpt_path)
            self.ema = ema
        self.optimizer.load_state_dict(optimizer_from_flat(tensors, meta["optimizer"]))
        if meta.get("scaler"):
            self.scaler.load_state_dict(meta["scaler"])
        if not restore_rng(tensors, meta.get("rng", {}), self.ctx.rank):
            seed_all(self.config.seed + self.ctx.rank + 1000 * state.epoch)
        if not self.ctx.is_main:  # the epoch's loss so far is rank 0's to carry (see save_checkpoint)
            state.loss_sum, state.seen = 0.0, 0
        self.state = state
        log.info("resumed from %s: epoch %d, step %d", self.ckpt_path, state.epoch + 1, state.step_in_epoch)

    # ------------------------------------------------------------------ logs
    def write_logs(self) -> None:
        if self.ctx.is_main:
            meta = {
                "monitor": self.monitor,
                "best_epoch": self.state.best_epoch,
                "stopped_early": self.state.stopped_early,
                "world_size": self.ctx.world_size,
                "config": self._config_json(),
            }
            write_history(self.out_dir, self.state.history, meta)

    # ------------------------------------------------------------------ loops
    def _loader(self, dataset: TrainDataset, sampler: ShardedBatchSampler) -> DataLoader:
        generator = torch.Generator()
        generator.manual_seed(self.config.seed)
        return DataLoader(dataset, batch_sampler=sampler, generator=generator, **self.loader_kwargs)  # type: ignore[arg-type]

    def _to_device(self, batch: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        y = batch.pop("y").to(self.device, non_blocking=True)
        inputs = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
        return inputs, y

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def _check_logits(self, logits: torch.Tensor, n: int) -> None:
        if logits.ndim != 2 or logits.shape != (n, self.n_outputs):
            raise TrainingError(
                f"the model returned logits of shape {tuple(logits.shape)}; expected ({n}, {self.n_outputs}) "
                f"for a {self.task} task"
            )

    def _update_ema(self, step: int) -> None:
        """Move the weight average towards the current weights (after optimiser step ``step``)."""
        if self.ema is None:
            return
        decay = min(self.config.ema_decay, (1 + step) / (10 + step))
        with torch.no_grad():
            for key, value in self.model.state_dict().items():
                average = self.ema[key]
                if average.is_floating_point():
                    average.lerp_(value.to(average.dtype), 1.0 - decay)
                else:
                    average.copy_(value)

    def train_epoch(self, stop: StopRequest, epoch: int) -> None:
        cfg, state = self.config, self.state
        self.model.train()
        if hasattr(self.train_ds, "set_epoch"):
            self.train_ds.set_epoch(epoch)
        self.train_sampler.set_epoch(epoch, start_batch=state.step_in_epoch)
        loader = self._loader(self.train_ds, self.train_sampler)
        bar = _progress(
            self.ctx, self.steps_per_epoch, state.step_in_epoch, f"epoch {epoch + 1}/{cfg.epochs}"
        )
        started = time.perf_counter()
        try:
            for batch in loader:
                inputs, y = self._to_device(batch)
                n = int(y.shape[0])
                factor = lr_factor(state.global_step, self.total_steps, self.warmup_steps, cfg.scheduler)
                for group in self.optimizer.param_groups:
                    group["lr"] = cfg.lr * factor
                with self._autocast():
                    logits = self.ddp_model(**inputs)
                if state.global_step == 0 or state.step_in_epoch == 0:
                    self._check_logits(logits, n)
                loss = self.loss_fn(logits.float(), targets(y, self.task)).mean()
                self.optimizer.zero_grad(set_to_none=True)
                self.scaler.scale(loss).backward()
                if cfg.grad_clip > 0:
                    self.scaler.unscale_(self.optimizer)
                    nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self._update_ema(state.global_step)
                loss_value = float(loss.detach())
                state.global_step += 1
                state.step_in_epoch += 1
                state.loss_sum += loss_value * n
                state.seen += n
                bar.update(1)
                if bar.disable is False:
                    bar.set_postfix(loss=f"{state.loss_sum / max(state.seen, 1):.4f}")
                if self.step_delay > 0:
                    time.sleep(self.step_delay)
                bad, stopping = self.ctx.any_flag(not math.isfinite(loss_value), stop.is_set())
                if bad:
                    raise TrainingError(
                        f"the training loss became {loss_value if not math.isfinite(loss_value) else 'non-finite'} "
                        f"at epoch {epoch + 1}, step {state.step_in_epoch}; stopped. The last good checkpoint "
                        f"({_last_good(self.ckpt_path, state)}) is kept; try a lower --lr or fp32 precision"
                    )
                if stopping and state.step_in_epoch < self.steps_per_epoch:
                    state.epoch_seconds += time.perf_counter() - started
                    self.save_checkpoint()
                    raise TrainingInterrupted(self._resume_message(stop, epoch))
        finally:
            bar.close()
        state.epoch_seconds += time.perf_counter() - started

    def evaluate(self) -> tuple[float, np.ndarray, np.ndarray]:
        """Validation loss, labels and probabilities over the whole validation set (gathered)."""
        self.model.eval()
        loader = self._loader(self.valid_ds, self.valid_sampler)
        loss_sum = 0.0
        probs, labels = [], []
        with torch.no_grad():
            for batch in loader:
                inputs, y = self._to_device(batch)
                with self._autocast():
                    logits = self.model(**inputs)
                self._check_logits(logits, int(y.shape[0]))
                logits = logits.float()
                loss_sum += float(self.loss_fn(logits, targets(y, self.task)).sum())
                probs.append(probabilities(logits, self.task))
                labels.append(y)
        n_out = self.n_outputs
        mine_p = torch.cat(probs) if probs else torch.zeros((0, n_out), device=self.device)
        label_shape = tuple(self.valid_ds.labels.shape[1:])
        label_dtype = torch.from_numpy(np.asarray(self.valid_ds.labels[:0])).dtype
        mine_y = (
            torch.cat(labels)
            if labels
            else torch.zeros((0, *label_shape), dtype=label_dtype, device=self.device)
        )
        (total_loss,) = self.ctx.sum(loss_sum)
        n = len(self.valid_ds)
        p_parts = self.ctx.gather_rows(mine_p)
        y_parts = self.ctx.gather_rows(mine_y)
        all_p = np.empty((n, n_out), dtype=np.float32)
        all_y = np.empty((n, *label_shape), dtype=np.asarray(self.valid_ds.labels).dtype)
        for r, (p, yv) in enumerate(zip(p_parts, y_parts, strict=True)):
            all_p[r :: self.ctx.world_size] = p.numpy()
            all_y[r :: self.ctx.world_size] = yv.numpy()
        return total_loss / max(n, 1), all_y, all_p

    def _resume_message(self, stop: StopRequest, epoch: int) -> str:
        return (
            f"interrupted by {stop.reason} in epoch {epoch + 1}; a checkpoint was written to {self.ckpt_path}. "
            "Run the same command again with --resume to continue"
        )

    def end_of_epoch(self, epoch: int) -> bool:
        """Validate, update best/early stopping, log, checkpoint; return whether to stop early."""
        cfg, state = self.config, self.state
        live = None
        if self.ema is not None:  # validate (and keep as best) the averaged weights
            live = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            self.model.load_state_dict(self.ema)
        try:
            valid_loss, labels, probs = self.evaluate()
        finally:
            if live is not None:
                self.model.load_state_dict(live)
        if not math.isfinite(valid_loss):
            raise TrainingError(
                f"the validation loss became {valid_loss} at epoch {epoch + 1}; stopped. The last good "
                f"checkpoint ({_last_good(self.ckpt_path, state)}) is kept; try a lower --lr or fp32 precision"
            )
        metrics = compute_metrics(labels, probs, self.task)
        primary = -valid_loss if self.monitor == "loss" else metrics[self.monitor]
        if not math.isfinite(primary) and not self._warned_undefined:
            self._warned_undefined = True
            log.warning(
                "validation %s is undefined (e.g. a class missing from the validation set): the best"
                " epoch is chosen by validation loss while it stays undefined; give a validation set"
                " holding every class (--valid, or a larger --valid-fraction) or set --monitor",
                self.monitor,
            )
        primary = primary if math.isfinite(primary) else -math.inf
        improved = bool(state.best_epoch == 0 or primary > state.best_primary + cfg.min_delta)
        if not improved and self.monitor != "loss" and primary == state.best_primary:
            improved = bool(valid_loss < state.best_loss)
        (seen_total,) = self.ctx.sum(float(state.seen))
        (loss_total,) = self.ctx.sum(state.loss_sum)
        row: dict[str, Any] = {
            "epoch": epoch + 1,
            "train_loss": loss_total / max(seen_total, 1.0),
            "valid_loss": valid_loss,
            **{f"valid_{m}": metrics[m] for m in METRICS},
            "lr": self.optimizer.param_groups[0]["lr"],
            "seconds": round(state.epoch_seconds, 3),
            "samples_per_s": round(seen_total / state.epoch_seconds, 1) if state.epoch_seconds > 0 else None,
            "best": improved,
        }
        if improved:
            state.best_epoch = epoch + 1
            state.best_primary = primary
            state.best_loss = valid_loss
            state.epochs_since_best = 0
            validated = self.ema if self.ema is not None else self.model.state_dict()
            self.best_weights = {k: v.detach().clone() for k, v in validated.items()}
        else:
            state.epochs_since_best += 1
        state.history.append(row)
        log.log(
            logging.INFO if self.ctx.is_main else logging.DEBUG,
            "epoch %d/%d: train loss %.4f, valid loss %.4f, valid %s %.4f%s",
            epoch + 1,
            cfg.epochs,
            row["train_loss"],
            valid_loss,
            self.monitor,
            -valid_loss if self.monitor == "loss" else metrics[self.monitor],
            " (best)" if improved else "",
        )
        stop_early = cfg.patience > 0 and state.epochs_since_best >= cfg.patience
        state.epoch = epoch + 1
        state.step_in_epoch = 0
        state.loss_sum = 0.0
        state.seen = 0
        state.epoch_seconds = 0.0
        if stop_early and state.epoch < cfg.epochs:
            state.stopped_early = True
            log.info("early stopping: no improvement of %s for %d epochs", self.monitor, cfg.patience)
        # the checkpoint first: a failed checkpoint write leaves the log at the epoch it holds (a log one
        # epoch ahead of its checkpoint would name an epoch that --resume trains again)
        self.save_checkpoint()
        self.write_logs()
        return stop_early

    def run(self, stop: StopRequest, resume: bool) -> TrainResult:
        started = time.perf_counter()
        exists = self.ckpt_path.exists()
        (n_exists,) = self.ctx.sum(float(exists))
        if 0 < n_exists < self.ctx.world_size:
            raise ConfigError(
                f"{self.ckpt_path} is visible to some processes only; the output directory must be on a "
                "file system shared by all nodes"
            )
        if exists:
            if not resume:
                raise ConfigError(
                    f"{self.out_dir} already holds a training checkpoint; pass --resume (resume=True from Python) to continue that run "
                    "(a finished one is written again as it was), or choose another output directory"
                )
            self.load_checkpoint()
        elif (self.out_dir / CONFIG_FILE).exists() or (self.out_dir / WEIGHTS_FILE).exists():
            held = " and ".join(
                name for name in (CONFIG_FILE, WEIGHTS_FILE) if (self.out_dir / name).exists()
            )
            raise ConfigError(
                f"{self.out_dir} already holds {held} (a model's files) and no training checkpoint to resume;"
                " choose another output directory, or remove them first"
            )
        elif resume:
            log.warning("no checkpoint in %s: starting from the beginning", self.out_dir)
        if self.ctx.is_main:
            _remove_stale_temporaries(self.ckpt_path)
        state = self.state
        while not state.finished and not state.stopped_early and state.epoch < self.config.epochs:
            epoch = state.epoch
            self.train_epoch(stop, epoch)
            self.end_of_epoch(epoch)
            (stopping,) = self.ctx.any_flag(stop.is_set())
            if stopping and state.epoch < self.config.epochs and not state.stopped_early:
                raise TrainingInterrupted(self._resume_message(stop, epoch))
        if stop.is_set():  # after the last training step: nothing is left to resume
            log.warning(
                "%s came after the last training step: finishing the run and writing the model", stop.reason
            )
        if self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
        if not state.finished:
            state.finished = True
            self.write_logs()
            self.save_checkpoint()
        valid_loss, labels, probs = self.evaluate()
        metrics = dict(compute_metrics(labels, probs, self.task), loss=valid_loss)
        return TrainResult(
            history=list(state.history),
            best_epoch=state.best_epoch,
            epochs_run=len(state.history),
            stopped_early=state.stopped_early,
            monitor=self.monitor,
            metrics=metrics,
            valid_labels=labels,
            valid_probs=probs,
            device=str(self.device),
            precision=self.precision,
            world_size=self.ctx.world_size,
            rank=self.ctx.rank,
            wall_seconds=time.perf_counter() - started,
            out_dir=self.out_dir,
        )


def _n_outputs(dataset: TrainDataset) -> int:
    n_outputs = getattr(dataset, "n_outputs", None)
    if n_outputs is not None:
        return int(n_outputs)
    labels = np.asarray(dataset.labels)
    if dataset.task == "binary":
        return 1
    if dataset.task == "multilabel":
        return int(labels.shape[1])
    return int(labels.max()) + 1


def _last_good(path: Path, state: _State) -> str:
    if not path.exists():
        return "none written yet"
    return f"{path}, after epoch {state.epoch}" if state.epoch else str(path)


def _remove_stale_temporaries(path: Path) -> None:
    """Delete temporary checkpoint files left by a killed process."""
    for stale in path.parent.glob(f".{path.name}.*.tmp*"):
        with contextlib.suppress(OSError):
            stale.unlink()


class _NoBar:
    disable = True

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(ctx: DistContext, total: int, initial: int, desc: str) -> Any:
    if not (ctx.is_main and sys.stderr.isatty()):
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, leave=False, unit="batch", file=sys.stderr)


@contextlib.contextmanager
def _dist_context(device: torch.device) -> Iterator[DistContext]:
    ctx = DistContext.from_env(use_cuda=device.type == "cuda")
    try:
        yield ctx
    finally:
        ctx.close()


def fit(
    model: nn.Module,
    train_ds: TrainDataset,
    valid_ds: TrainDataset,
    config: TrainConfig,
    *,
    out_dir: str | os.PathLike[str],
    resume: bool = False,
    fingerprint: str | Fingerprint | None = None,
    stop_event: Any = None,
) -> TrainResult:
    """Train ``model`` on ``train_ds``, validating on ``valid_ds`` after every epoch.

    Parameters
    ----------
    model
        Any module with ``forward(**inputs) -> logits float (N, n_outputs)`` (no
        final activation). Initialise it (seeded) before calling; its weights are
        overwritten from the checkpoint when resuming. It ends up holding the best
        epoch's weights.
    train_ds, valid_ds
        Datasets returning batches through ``__getitems__`` (see module docstring),
        with ``task`` and ``labels`` attributes; ``set_epoch(epoch)`` is called on
        ``train_ds`` if it has one.
    config
        Training options.
    out_dir
        Directory for ``checkpoint.safetensors``, ``train_log.csv`` and ``train_log.json``.
    resume
        Continue from ``out_dir``'s checkpoint (if there is none, start afresh).
    fingerprint
        Identifies the training data (e.g. checksums); a resumed run must match it. A
        :class:`Fingerprint` also names the parts that differ when it does not.
    stop_event
        Anything with ``is_set()``; when set, training checkpoints and stops like on SIGTERM.

    Returns
    -------
    TrainResult

    Raises
    ------
    TrainingError
        On a non-finite loss (the previous checkpoint is kept).
    TrainingInterrupted
        After SIGINT/SIGTERM or ``stop_event``, once the checkpoint is written.
    ConfigError
        Inconsistent options, a checkpoint in ``out_dir`` without ``resume``, or a
        checkpoint that does not match the options/data.
    """
    out_dir = Path(out_dir)
    device = resolve_device(config.device)
    with _dist_context(device) as ctx:
        if device.type == "cuda" and ctx.distributed:
            device = torch.device("cuda", ctx.local_rank)
        created = ctx.is_main and not out_dir.exists()
        if ctx.is_main:
            out_dir.mkdir(parents=True, exist_ok=True)
        try:
            seed_all(config.seed + ctx.rank)
            trainer = _Trainer(model, train_ds, valid_ds, config, out_dir, ctx, device, fingerprint)
            with StopRequest(stop_event) as stop:
                return trainer.run(stop, resume)
        except BaseException:
            if created:  # a run that failed before writing anything leaves no empty directory
                with contextlib.suppress(OSError):
                    out_dir.rmdir()
            raise
