"""Graceful stop on SIGINT/SIGTERM: the first signal asks the training loop to checkpoint and stop."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType, TracebackType
from typing import Protocol

__all__ = ["StopRequest", "ignore_stop_signals"]

log = logging.getLogger(__name__)


def ignore_stop_signals(worker_id: int = 0) -> None:
    """Ignore SIGINT and SIGTERM in this process: a DataLoader worker's ``worker_init_fn``.

    A terminal's Ctrl-C and a scheduler's SIGTERM (SLURM's time limit, preemption) reach every
    process of the group. A worker killed by it makes torch raise in the main process
    (``DataLoader worker ... is killed by signal``) before the training loop can write its
    checkpoint, and a worker that inherited :class:`StopRequest`'s handler would log the stop
    once per worker. The main process alone acts on the signal; it shuts its workers down as
    the loop ends (and they exit by themselves should it die).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


class _Event(Protocol):
    def is_set(self) -> bool: ...


class StopRequest:
    """A stop flag set by SIGINT/SIGTERM (while entered) or by an external event.

    Used as a context manager, it installs handlers for SIGINT and SIGTERM in
    the main thread (elsewhere it only watches ``event``) and restores the
    previous handlers on exit. The first signal sets the flag; a second SIGINT
    raises :class:`KeyboardInterrupt` at once.

    Parameters
    ----------
    event
        Anything with ``is_set()`` (e.g. :class:`threading.Event`) that also requests a stop.
    """

    def __init__(self, event: _Event | None = None) -> None:
        self.event = event
        self.signal_name: str | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.signal_name is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal_name = name
        log.warning("%s received: finishing the current step, then writing a checkpoint", name)

    def is_set(self) -> bool:
        """Whether a stop was requested."""
        return self.signal_name is not None or (self.event is not None and self.event.is_set())

    @property
    def reason(self) -> str:
        """What asked for the stop (a signal name or ``"stop request"``)."""
        return self.signal_name or "stop request"

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()
