"""Data-parallel plumbing: process group set-up from ``torchrun``'s environment, sharding, gathers.

``torchrun --nproc_per_node N -m genoseq train ...`` starts N processes with
``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT``
set; :meth:`DistContext.from_env` joins them into one process group (NCCL on
GPUs, gloo on CPU). Without those variables everything here is a no-op for a
single process.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist

from genoseq.errors import ConfigError

__all__ = ["DistContext", "ShardedBatchSampler"]

log = logging.getLogger(__name__)


@dataclass
class DistContext:
    """This process's place in the (possibly one-process) training job.

    Attributes
    ----------
    rank, local_rank, world_size : int
        Global rank, rank on this node, number of processes.
    backend : str | None
        ``"nccl"`` or ``"gloo"`` when distributed, else ``None``.
    owns_group : bool
        Whether this context created the process group (and destroys it in :meth:`close`).
    """

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    backend: str | None = None
    owns_group: bool = False

    @classmethod
    def from_env(cls, use_cuda: bool) -> DistContext:
        """Join the process group described by the ``torchrun`` environment, if any.

        Parameters
        ----------
        use_cuda
            Whether training runs on CUDA (NCCL backend, one GPU per local rank) or CPU (gloo).
        """
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        if world_size <= 1:
            return cls()
        rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if dist.is_initialized():
            return cls(rank, local_rank, dist.get_world_size(), dist.get_backend(), owns_group=False)
        backend = "nccl" if use_cuda else "gloo"
        if use_cuda:
            if local_rank >= torch.cuda.device_count():
                raise ConfigError(
                    f"local rank {local_rank} has no GPU ({torch.cuda.device_count()} visible); "
                    "use --nproc_per_node <= the number of GPUs"
                )
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend=backend)
        log.info("joined %s process group: rank %d of %d", backend, rank, world_size)
        return cls(rank, local_rank, world_size, backend, owns_group=True)

    @property
    def distributed(self) -> bool:
        """Whether more than one process trains."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Whether this is rank 0 (the only process that writes files)."""
        return self.rank == 0

    def _comm_device(self) -> torch.device:
        return (
            torch.device("cuda", torch.cuda.current_device())
            if self.backend == "nccl"
            else torch.device("cpu")
        )

    def barrier(self) -> None:
        """Wait for every process (no-op for one process)."""
        if self.distributed:
            dist.barrier()

    def any_flag(self, *flags: bool) -> list[bool]:
        """Each flag OR-ed over all processes (one small all-reduce)."""
        if not self.distributed:
            return list(flags)
        t = torch.tensor([float(f) for f in flags], device=self._comm_device())
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return [bool(v) for v in t.tolist()]

    def sum(self, *values: float) -> list[float]:
        """Each value summed over all processes (float64)."""
        if not self.distributed:
            return list(values)
        t = torch.tensor(values, dtype=torch.float64, device=self._comm_device())
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t.tolist()

    def gather_rows(self, t: torch.Tensor) -> list[torch.Tensor]:
        """``t`` of every process (rows may differ in number), in rank order, on CPU."""
        if not self.distributed:
            return [t.cpu()]
        dev = self._comm_device()
        t = t.to(dev).contiguous()
        sizes = [torch.zeros(1, dtype=torch.int64, device=dev) for _ in range(self.world_size)]
        dist.all_gather(sizes, torch.tensor([t.shape[0]], dtype=torch.int64, device=dev))
        counts = [int(s.item()) for s in sizes]
        longest = max(counts)
        padded = torch.zeros((longest, *t.shape[1:]), dtype=t.dtype, device=dev)
        padded[: t.shape[0]] = t
        out = [torch.zeros_like(padded) for _ in range(self.world_size)]
        dist.all_gather(out, padded)
        return [o[:c].cpu() for o, c in zip(out, counts, strict=True)]

    def close(self) -> None:
        """Destroy the process group if this context created it."""
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()
            self.owns_group = False


class ShardedBatchSampler:
    """Batches of this process's share of a dataset, reshuffled each epoch, resumable mid-epoch.

    The epoch's order is ``torch.randperm(n)`` from a generator seeded with
    ``seed + epoch`` (the same on every process), padded by wrapping around to a
    multiple of ``world_size`` and dealt round-robin (``order[rank::world_size]``),
    like :class:`torch.utils.data.DistributedSampler`. Without shuffling the
    order is ``0..n-1`` and nothing is padded (each row is seen exactly once
    over all processes; shares may differ by one).

    Parameters
    ----------
    n
        Dataset size.
    batch_size
        Rows per batch; the last batch may be smaller (``drop_last=False``).
    rank, world_size
        This process and the number of processes.
    shuffle
        Reshuffle every epoch (training) or keep the order (evaluation).
    seed
        Shuffling seed.
    """

    def __init__(
        self,
        n: int,
        batch_size: int,
        *,
        rank: int = 0,
        world_size: int = 1,
        shuffle: bool = True,
        seed: int = 0,
    ) -> None:
        self.n = n
        self.batch_size = batch_size
        self.rank = rank
        self.world_size = world_size
        self.shuffle = shuffle
        self.seed = seed
        self.epoch = 0
        self.start_batch = 0

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        """Use the order of ``epoch`` and skip its first ``start_batch`` batches (to resume)."""
        self.epoch = epoch
        self.start_batch = start_batch

    def _indices(self) -> np.ndarray:
        if not self.shuffle:
            return np.arange(self.rank, self.n, self.world_size, dtype=np.int64)
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)
        order = torch.randperm(self.n, generator=g).numpy()
        total = -(-self.n // self.world_size) * self.world_size
        order = np.resize(order, total)  # wraps around to pad
        return order[self.rank :: self.world_size]

    def __iter__(self) -> Iterator[list[int]]:
        idx = self._indices()
        for start in range(self.start_batch * self.batch_size, idx.size, self.batch_size):
            yield idx[start : start + self.batch_size].tolist()

    def __len__(self) -> int:
        """Batches per epoch (including skipped ones)."""
        per_rank = (
            -(-self.n // self.world_size) if self.shuffle else len(range(self.rank, self.n, self.world_size))
        )
        return -(-per_rank // self.batch_size)
