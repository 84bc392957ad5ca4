"""Atomic file and directory writes: write to a temporary name, rename on success.

A failed or interrupted write never leaves a half-written file and never
clobbers the previous version of the target. A symbolic link is followed (the
file it points to is replaced, the link kept); a target that is not a regular
file (``/dev/null``, ``/dev/stdout``, a named pipe) is written through once the
output is complete, never replaced by a file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: the temporary names of :func:`_tmp_name`: ``.<target name>.<random>.tmp[<suffixes>]``
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[^.]+\.tmp(\.[^/]*)?$")


def target_of(path: str | os.PathLike[str]) -> str:
    """The output a temporary name of this module stands for (for error messages); else ``path``."""
    path = os.fspath(path)
    match = _TEMPORARY.match(os.path.basename(path))
    return os.path.join(os.path.dirname(path), match["name"]) if match else path


def _tmp_name(target: Path, suffix: str = "") -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{suffix}", dir=target.parent)
    # mkstemp creates 0600; give the file the permissions a plain open() would
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    return Path(name)


def _kept_suffix(target: Path) -> str:
    """The extensions a writer may choose its format by (``.tsv``, ``.vcf.gz``): the last two at most.

    All of a dotted name's "suffixes" (``GRCh38.v4.1.scores.tsv``) would double its length in the
    temporary name and can pass the file system's 255-byte limit.
    """
    return "".join(target.suffixes[-2:])


#: names of this process's open file descriptors: ``/dev/stdout``, ``/dev/fd/3``, ``/proc/self/fd/1``
_DESCRIPTOR = re.compile(
    r"/dev/(?:std(?P<std>out|err)|fd/(?P<fd>\d+))|/proc/(?P<pid>self|\d+)/fd/(?P<pfd>\d+)"
)


def _descriptor(target: Path) -> int | None:
    """The file descriptor ``target`` names (``/dev/stdout`` is 1), if it names one of ours, directly
    or through links (``out.tsv -> /dev/stdout``)."""
    path = os.path.abspath(target)
    for _ in range(40):  # the kernel's own limit on links in a path
        match = _DESCRIPTOR.fullmatch(path)
        if match is not None and match["pid"] in (None, "self", str(os.getpid())):
            if match["std"]:
                return 1 if match["std"] == "out" else 2
            return int(match["fd"] or match["pfd"])
        if not os.path.islink(path):
            return None
        # a relative link is read from the directory it really sits in (its own path may run
        # through other links, where a textual ".." would go elsewhere)
        path = os.path.abspath(os.path.join(os.path.realpath(os.path.dirname(path)), os.readlink(path)))
    return None


def placement(target: str | os.PathLike[str]) -> tuple[Path, bool]:
    """Where an output for ``target`` goes, and whether that is a special file written through.

    A link to a regular file (or a dangling one) resolves to the file, which is replaced; a device,
    named pipe or socket (also behind a link) is kept and written into, and so is whatever an open
    descriptor's name stands for (``/dev/stdout`` redirected to a file: the shell's file, appended
    to at the descriptor's offset, not replaced). Side files (an index) go beside the first.
    """
    target = Path(target)
    fd = _descriptor(target)
    if fd is not None:
        try:
            os.fstat(fd)
        except OSError:
            raise OSError(errno.EBADF, f"file descriptor {fd} is not open", str(target)) from None
        return target, True
    try:
        mode = os.stat(target).st_mode
    except OSError:
        mode = None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return target, True
    return (Path(os.path.realpath(target)) if target.is_symlink() else target), False


def is_stdout(target: str | os.PathLike[str]) -> bool:
    """Whether ``target`` is ``-`` or names this process's standard output (``/dev/stdout``,
    ``/dev/fd/1``, a link to either)."""
    return str(target) == "-" or _descriptor(Path(target)) == 1


def writes_through(target: str | os.PathLike[str]) -> bool:
    """Whether an output to ``target`` is written into a special file (a device, a named pipe)
    rather than put in place as a file; side files such as an index then have nowhere to go."""
    return placement(target)[1]


def _write_through(tmp: Path, target: Path) -> None:
    """Copy the finished output ``tmp`` into the special file ``target``, then remove ``tmp``."""
    fd = _descriptor(target)
    try:
        # a descriptor is written through a duplicate: its offset and flags, never truncated
        with open(tmp, "rb") as src, open(target, "wb") if fd is None else os.fdopen(os.dup(fd), "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except OSError as exc:
        if exc.filename is None and not isinstance(exc, BrokenPipeError):
            exc.filename = str(target)  # /dev/full: "No space left on device", named
        raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _staging(target: Path, suffix: str) -> tuple[Path, Path, bool]:
    """(temporary path, final path, write through?) for one output."""
    final, special = placement(target)
    if special:  # no file can be put beside a device: stage the output in the temporary directory
        fd, name = tempfile.mkstemp(prefix=".genoseq.", suffix=f".tmp{suffix}")
        os.close(fd)
        return Path(name), final, True
    final.parent.mkdir(parents=True, exist_ok=True)
    return _tmp_name(final, suffix), final, False


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], *, keep_suffix: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    Use this for writers that want a path (polars, pysam, safetensors). On an
    exception the temporary file is removed and ``target`` is untouched.
    With ``keep_suffix`` the temporary name ends in the target's suffixes (so
    writers that choose a format by extension still work).
    """
    target = Path(target)
    tmp, final, special = _staging(target, _kept_suffix(target) if keep_suffix else "")
    try:
        yield tmp
        if special:
            _write_through(tmp, final)
            return
        # some writers (safetensors) replace the file, and with it the permissions set above
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_paths(targets: list[Path]) -> Iterator[list[Path]]:
    """:func:`atomic_path` for a set of files that must appear together (all, or none of them).

    Yields one temporary path per target; once the block succeeds each is renamed onto its target,
    in order. If the block fails, no target is touched; if a rename fails (a directory in the way,
    say), the targets renamed so far are removed with the remaining temporary files, so no part of
    the set is left behind.
    """
    tmps: list[Path] = []
    finals: list[tuple[Path, bool]] = []
    placed: list[Path] = []
    try:
        for target in map(Path, targets):
            tmp, final, special = _staging(target, _kept_suffix(target))
            tmps.append(tmp)
            finals.append((final, special))
        yield tmps
        # special files first: writing into one can fail (a closed pipe) after nothing is replaced
        for tmp, (final, special) in zip(tmps, finals, strict=True):
            if special:
                _write_through(tmp, final)
        for tmp, (final, special) in zip(tmps, finals, strict=True):
            if special:
                continue
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, final)
            placed.append(final)
    except BaseException:
        for path in [*tmps, *placed]:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
                path.unlink()
        raise


class CommitOrAbort:
    """A writer used as a context manager: ``close()`` (put the output in place) when the block
    succeeds, ``abort()`` (discard it, the target untouched) when it raises."""

    def close(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def abort(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self) -> Any:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


@contextlib.contextmanager
def atomic_write(target: str | os.PathLike[str], mode: str = "w", **open_kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``target`` for writing; rename it onto ``target`` on success."""
    with atomic_path(target) as tmp, open(tmp, mode, **open_kwargs) as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory beside ``target``; it replaces ``target`` on success.

    An existing ``target`` directory is replaced only once the new one is
    complete (it is moved aside, the new one renamed in, then the old one removed).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        os.replace(target, old / "x")
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, target)
