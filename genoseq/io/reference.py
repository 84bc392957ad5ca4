"""Indexed random access to a reference FASTA (plain or bgzip) through htslib's faidx."""

from __future__ import annotations

import hashlib
import logging
import operator
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pysam

from genoseq._atomic import atomic_path, target_of
from genoseq.errors import ConfigError, InputFormatError
from genoseq.io._fasta import not_this_format
from genoseq.io._open import InputStream, read_errors
from genoseq.io._pysam import pysam_errors
from genoseq.io._sequence import COMPLEMENT_PAIRS
from genoseq.io.contigs import ContigResolver

logger = logging.getLogger(__name__)


class Reference:
    """A reference FASTA opened for random access: ``fetch(contig, start, end)``.

    The ``.fai`` index (and ``.gzi`` for bgzip) is built beside the FASTA when
    missing or older than it.  If that directory is not writable, the index is
    built in a per-user cache directory instead (``$GENOSEQ_CACHE``, else
    ``$XDG_CACHE_HOME/genoseq`` or ``~/.cache/genoseq``, else the temporary
    directory) and a warning is logged.  Only the bases asked for are read.

    Contigs without any sequence are left out by htslib's index, so they are
    not in :attr:`contigs`.

    Parameters
    ----------
    path
        Plain or bgzip-compressed FASTA.  Plain gzip cannot be indexed.

    Raises
    ------
    InputFormatError
        Missing file, directory, not FASTA, plain gzip, or a FASTA that cannot be
        indexed (e.g. lines of unequal length inside a record); the message names
        the file and, where known, the record and line.

    Examples
    --------
    >>> with Reference("chrM.fa") as ref:  # doctest: +SKIP
    ...     ref.fetch("MT", 0, 10)
    'GATCACAGGT'
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        with InputStream(path) as src:
            self.path = src.path
            compressed = src.compressed
            head = src.head
        name = str(self.path)
        if compressed == "gzip":
            raise InputFormatError(
                "gzip-compressed but not bgzip, so it cannot be indexed for random access;"
                " recompress it with bgzip (e.g. `gzip -dc in.fa.gz | bgzip > in.fa.gz.bgz`, or"
                " pysam.tabix_compress), or stream it with read_fasta",
                path=name,
            )
        if head.startswith(b"\xef\xbb\xbf"):
            raise InputFormatError(
                "starts with a UTF-8 byte-order mark, which faidx cannot index; remove it "
                "(e.g. `sed -i '1s/^\\xEF\\xBB\\xBF//' FILE`)",
                path=name,
            )
        if head.lstrip()[:1] != b">":
            if not head.strip():
                raise InputFormatError("empty file: no FASTA records to index", path=name)
            raise not_this_format(head, name, "FASTA")
        bgzf = compressed == "bgzf"
        fai, gzi = _index_files(self.path, bgzf=bgzf)
        self._fasta = _open_indexed(name, fai, gzi)
        if not _index_fits(self._fasta, self.path, fai, bgzf=bgzf):
            # newer than the FASTA by its time stamp, yet made for another file (a FASTA replaced by
            # mv/cp -p/rsync -a keeps its older time; an index copied from elsewhere)
            self._fasta.close()
            logger.warning(
                "%s: the index %s does not fit this FASTA (made for another file?); not using it", name, fai
            )
            fai, gzi = _index_files(self.path, bgzf=bgzf, distrust=fai)
            self._fasta = _open_indexed(name, fai, gzi)
            if not _index_fits(self._fasta, self.path, fai, bgzf=bgzf):
                self._fasta.close()
                raise InputFormatError(f"the rebuilt index {fai} does not fit the FASTA", path=name)
        if "" in self._fasta.references:
            self._fasta.close()
            raise InputFormatError("a header line holds no name ('>' alone)", path=name)
        self._lengths = dict(zip(self._fasta.references, self._fasta.lengths, strict=True))
        self._resolver = ContigResolver(self._fasta.references, name)
        self.index_path = fai

    @property
    def contigs(self) -> list[str]:
        """Contig names in file order."""
        return list(self._resolver.contigs)

    def resolve(self, name: str) -> str:
        """This file's name for contig ``name`` (``chr1`` ↔ ``1``, ``chrM``/``chrMT`` ↔ ``MT``/``M``).

        Raises
        ------
        UnknownContigError
            Naming this file and the contig.
        """
        return self._resolver.resolve(name)

    def length(self, contig: str) -> int:
        """Length of ``contig`` (any harmonisable name) in bases."""
        return self._lengths[self.resolve(contig)]

    def fetch(
        self,
        contig: str,
        start: int | None = None,
        end: int | None = None,
        pad: bool = False,
        strand: str = "+",
    ) -> str:
        """Bases ``[start, end)`` (0-based, half-open) of ``contig``, exactly as in the file.

        Parameters
        ----------
        contig
            Any name :meth:`resolve` accepts.
        start, end
            0-based half-open interval; ``None`` means the contig start / end.
        pad
            If true, positions outside ``[0, length)`` come back as ``N`` (so a
            negative ``start`` or an ``end`` past the contig end is fine and the
            result always has ``end - start`` characters).
        strand
            ``"+"`` (or ``"."``): as in the file; ``"-"``: the reverse complement
            of the interval (IUPAC-aware, case kept; other characters unchanged).

        Returns
        -------
        str
            ``end - start`` characters (case and IUPAC codes as written).

        Raises
        ------
        InputFormatError
            ``start > end``, or (without ``pad``) the interval leaves the contig;
            the message names the file, contig and coordinates.
        UnknownContigError
            ``contig`` is not in this file.
        """
        if strand not in ("+", "-", "."):
            raise ConfigError(f"strand must be '+', '-' or '.', got {strand!r}")
        if strand == "-":
            forward = self.fetch(contig, start, end, pad=pad)
            return forward.encode("latin-1").translate(_COMPLEMENT)[::-1].decode("latin-1")
        name = self.resolve(contig)
        length = self._lengths[name]
        try:
            if isinstance(start, bool) or isinstance(end, bool):  # True is an int to operator.index
                raise TypeError
            start = 0 if start is None else operator.index(start)
            end = length if end is None else operator.index(end)
        except TypeError:
            raise ConfigError(
                f"start and end must be integers (0-based, half-open) or None, got {start!r} and {end!r}"
            ) from None
        where = f"{contig}:{start}-{end}"
        if start > end:
            raise InputFormatError(
                f"invalid interval: start {start} > end {end}", path=str(self.path), record=where
            )
        if not pad and (start < 0 or end > length):
            raise InputFormatError(
                f"interval [{start}, {end}) is outside contig {name!r} (length {length}; 0-based"
                " half-open coordinates); use pad=True to get N outside the contig",
                path=str(self.path),
                record=where,
            )
        lo, hi = max(start, 0), min(end, length)
        core = ""
        if lo < hi:
            with pysam_errors(str(self.path), "cannot read from the indexed FASTA", where):
                core = self._fasta.fetch(name, lo, hi)
            stray = next((c for c in _NOT_BASES if c in core), None)
            if len(core) != hi - lo or stray is not None:
                found = f"a {stray!r} among the bases" if stray is not None else f"{len(core)} characters"
                raise InputFormatError(
                    f"read {found} where {hi - lo} bases were expected: the index"
                    f" {self.index_path} is probably out of date (delete it to rebuild)",
                    path=str(self.path),
                    record=where,
                )
        if not pad:
            return core
        left = max(0, min(end, 0) - start)
        right = max(0, end - max(start, length))
        return "N" * left + core + "N" * right

    def close(self) -> None:
        """Close the file."""
        self._fasta.close()

    def __enter__(self) -> Reference:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __contains__(self, contig: object) -> bool:
        return contig in self._resolver

    def __repr__(self) -> str:
        return f"Reference({str(self.path)!r}, {len(self._lengths)} contigs)"


def _cache_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("GENOSEQ_CACHE"):
        dirs.append(Path(os.environ["GENOSEQ_CACHE"]))
    xdg = os.environ.get("XDG_CACHE_HOME")
    dirs.append(Path(xdg) / "genoseq" if xdg else Path.home() / ".cache" / "genoseq")
    dirs.append(Path(tempfile.gettempdir()) / f"genoseq-{os.getuid() if hasattr(os, 'getuid') else 'user'}")
    return dirs


def _writable_dir(directory: Path) -> bool:
    """Whether we may write in ``directory``: permitted, and not marked read-only for everyone.

    The mode-bit test keeps a privileged user (root in a container) from writing
    into a directory that is meant to be read-only.
    """
    try:
        mode = directory.stat().st_mode
    except OSError:
        return False
    return os.access(directory, os.W_OK) and bool(mode & 0o222)


def _open_indexed(name: str, fai: Path, gzi: Path | None) -> pysam.FastaFile:
    index = f"{fai}" if gzi is None else f"{fai} / {gzi}"
    what = f"cannot open the indexed FASTA (is its index {index} damaged? delete it to have it rebuilt)"
    with pysam_errors(name, what):
        return pysam.FastaFile(
            name, filepath_index=str(fai), filepath_index_compressed=None if gzi is None else str(gzi)
        )


#: characters that never come back from a fetch through a fitting index
_NOT_BASES = ("\n", "\r", ">")


def _index_fits(fasta: pysam.FastaFile, path: Path, fai: Path, *, bgzf: bool) -> bool:
    """Whether the ``.fai`` describes this FASTA: the first and last contigs' ends fetch as bases
    (no line break or header), and in a plain file the last contig ends where the file does
    (only line breaks after it). Cheap: a few small reads, whatever the genome's size."""
    names = fasta.references
    if not names:
        return True
    for contig in {names[0], names[-1]}:
        length = fasta.get_reference_length(contig)
        for lo, hi in ((0, min(length, 512)), (max(0, length - 512), length)):
            try:
                bases = fasta.fetch(contig, lo, hi)
            except (ValueError, OSError):
                return False
            if len(bases) != hi - lo or any(c in bases for c in _NOT_BASES):
                return False
    if bgzf:
        return True
    try:
        last = fai.read_bytes().rstrip(b"\r\n").rsplit(b"\n", 1)[-1].split(b"\t")
        length, offset, line_bases, line_bytes = (int(v) for v in last[1:5])
    except (OSError, ValueError):
        return False
    full, rest = divmod(length, line_bases) if line_bases > 0 else (0, 0)
    # the byte after the contig's last base: a full last line's break may be missing at the end of the file
    end = offset + full * line_bytes + rest if rest or not full else offset + (full - 1) * line_bytes + line_bases
    size = path.stat().st_size
    if end > size:
        return False
    with open(path, "rb") as fh:
        fh.seek(end)
        tail = fh.read(1 << 16).lstrip()
    # line breaks to the end, or a header htslib left out of the index (an empty record, a name
    # used twice): never the middle of a sequence line
    return tail.startswith(b">") if tail else size - end <= 1 << 16


def _fresh(index: Path, fasta: Path) -> bool:
    return index.exists() and index.stat().st_mtime >= fasta.stat().st_mtime


def _index_files(path: Path, *, bgzf: bool, distrust: Path | None = None) -> tuple[Path, Path | None]:
    """Paths of an up-to-date ``.fai`` (and ``.gzi``), building them if needed; ``distrust`` is an
    index found not to fit the FASTA, used no more (rebuilt, or replaced by the cache's own)."""
    fai = Path(f"{path}.fai")
    gzi = Path(f"{path}.gzi") if bgzf else None
    if fai != distrust and _fresh(fai, path) and (gzi is None or _fresh(gzi, path)):
        return fai, gzi
    if _writable_dir(path.parent):
        try:
            _build_index(path, fai, gzi)
            return fai, gzi
        except PermissionError:
            pass
        except OSError as exc:  # read-only file system and the like
            if exc.errno is None:
                raise
    st = path.stat()
    key = hashlib.sha256(f"{path.resolve()}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()[:16]
    for cache in _cache_dirs():
        cfai = cache / "fai" / f"{key}-{path.name}.fai"
        cgzi = cache / "fai" / f"{key}-{path.name}.gzi" if bgzf else None
        if cfai != distrust and cfai.exists() and (cgzi is None or cgzi.exists()):
            return cfai, cgzi  # keyed by the FASTA's path, size and time: made for this very file
        try:
            cfai.parent.mkdir(parents=True, exist_ok=True)
            if not _writable_dir(cfai.parent):
                continue
            _build_index(path, cfai, cgzi)
        except OSError:
            continue
        logger.warning(
            "%s: cannot write the index beside the FASTA (directory not writable); built it in %s",
            path,
            cfai,
        )
        return cfai, cgzi
    raise InputFormatError(
        f"cannot build the .fai index: neither the FASTA's directory nor a cache directory"
        f" ({', '.join(map(str, _cache_dirs()))}) is writable; set GENOSEQ_CACHE to a writable directory",
        path=str(path),
    )


def _build_index(path: Path, fai: Path, gzi: Path | None) -> None:
    """Build the index with ``samtools faidx`` (via pysam), writing atomically.

    The FASTA is then read once more (:func:`_scan_records`) to count its records
    and to refuse whitespace inside a sequence line, which faidx would fetch as
    a base: the index is only kept when that check passes.
    """
    with atomic_path(fai) as tmp_fai:
        if gzi is None:
            _run_faidx(path, [str(path), "--fai-idx", str(tmp_fai)])
        else:
            with atomic_path(gzi) as tmp_gzi:
                _run_faidx(path, [str(path), "--fai-idx", str(tmp_fai), "--gzi-idx", str(tmp_gzi)])
                tmp_gzi.chmod(0o644)
        tmp_fai.chmod(0o644)  # the temporary file was created private
        indexed = sum(1 for line in tmp_fai.read_bytes().splitlines() if line.strip())
        records = _scan_records(path)
    logger.info("built FASTA index %s", fai)
    if records > indexed:
        logger.warning(
            "%s: %d record(s) but %d in the index: htslib keeps the first of records sharing a name and "
            "leaves out empty ones, so %d record(s) cannot be fetched (rename or remove them)",
            path,
            records,
            indexed,
            records - indexed,
        )


#: IUPAC complements, either case (bytes.translate table); other bytes are left as they are
_COMPLEMENT = bytes.maketrans(
    "".join(COMPLEMENT_PAIRS).encode() + "".join(COMPLEMENT_PAIRS).lower().encode(),
    "".join(COMPLEMENT_PAIRS.values()).encode() + "".join(COMPLEMENT_PAIRS.values()).lower().encode(),
)


@dataclass
class _ScanState:
    """Where a block starts, for :func:`_index_lines`: at a line start, or inside a header/sequence line."""

    at_line_start: bool = True
    in_header: bool = False  # the line the block continues is a header line
    header: bytes = b""  # the start of the last header line seen (its name), for messages


def _index_lines(chunk: bytes, state: _ScanState) -> tuple[int, int, int]:
    """Header lines, line breaks and the first whitespace in a sequence line (offset, or -1) of ``chunk``.

    ``chunk`` is any piece of the file (lines may continue from the previous
    piece and into the next: ``state`` says how it starts and is updated for the
    next piece, so memory stays one piece however long a line is). Header lines
    (starting with ``>``) may hold spaces; a space, tab, vertical tab or form
    feed in any other line is the problem :func:`_scan_records` reports.
    Vectorised: the line breaks, the whitespace positions, then the first byte
    of each whitespace's line.
    """
    arr = np.frombuffer(chunk, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    following = newlines[newlines + 1 < arr.size] + 1
    starts = following[arr[following] == 62]  # headers starting after a line break in this chunk
    first_is_header = state.at_line_start and chunk[:1] == b">"
    continues_header = first_is_header or (not state.at_line_start and state.in_header)
    bad = -1
    if any(c in chunk for c in (b" ", b"\t", b"\v", b"\f")):
        mask = arr == 32
        for code in (9, 11, 12):
            mask |= arr == code
        spaces = np.flatnonzero(mask)
        before = np.searchsorted(newlines, spaces)  # line breaks before each whitespace
        header_line = np.full(spaces.size, continues_header)  # lines that began before this chunk
        inside = before > 0
        if inside.any():
            header_line[inside] = arr[newlines[before[inside] - 1] + 1] == 62
        in_sequence = spaces[~header_line]
        bad = int(in_sequence[0]) if in_sequence.size else -1
    # the header whose name a later message may need, and how the next chunk starts
    last = int(starts[-1]) if starts.size else (0 if first_is_header else -1)
    if last >= 0:
        state.header = chunk[last + 1 : last + 1 + 4096]
    elif continues_header and len(state.header) < 4096:
        state.header += chunk[: 4096 - len(state.header)]
    if newlines.size:
        tail = int(newlines[-1]) + 1  # the start of the last, unfinished line
        state.in_header = tail < arr.size and arr[tail] == 62
    else:
        state.in_header = continues_header
    state.at_line_start = chunk.endswith(b"\n") if chunk else state.at_line_start
    return int(starts.size + first_is_header), int(newlines.size), bad


def _first_word(header_line: bytes) -> str:
    """The record name of a header line (without the ``>``), for messages."""
    words = header_line.split(None, 1)
    return words[0].decode("utf-8", "replace") if words else ""


def _whitespace_error(path: Path, record: str, line_no: int) -> InputFormatError:
    return InputFormatError(
        f"cannot index: whitespace inside a sequence line of record {record!r}; faidx would fetch it"
        " as a base and shift every later position (remove it, e.g. rewrite the file with"
        " genoseq.io.write_fasta)",
        path=str(path),
        record=f"line {line_no}",
    )


def _scan_records(path: Path, block: int = 1 << 24) -> int:
    """Header lines (``>`` at a line start) in a FASTA, read in blocks (decompressed if gzip/bgzip).

    Raises
    ------
    InputFormatError
        A sequence line holds whitespace other than its line break: ``read_fasta``
        removes it, but faidx would return it as a base and shift every later
        position of the record, so the two would disagree.
    """
    count, line_no = 0, 1
    state = _ScanState()
    with InputStream(path) as src, read_errors(str(path), "FASTA file"):
        while chunk := src.stream.read(block):
            before = (state.at_line_start, state.in_header, state.header)
            headers, breaks, bad = _index_lines(chunk, state)
            count += headers
            if bad >= 0:
                at_line_start, in_header, previous = before
                header = chunk.rfind(b"\n>", 0, bad)
                if header >= 0:  # the record's header line starts in this chunk
                    name = chunk[header + 2 :]
                elif at_line_start and chunk[:1] == b">":
                    name = chunk[1:]
                elif in_header and not at_line_start:  # a header line running on from the last chunk
                    name = previous + chunk
                else:
                    name = previous
                raise _whitespace_error(
                    path, _first_word(name.split(b"\n", 1)[0]), line_no + chunk.count(b"\n", 0, bad)
                )
            line_no += breaks
    return count


def _run_faidx(path: Path, args: list[str]) -> None:
    try:
        pysam.faidx(*args)
    except pysam.SamtoolsError as exc:
        raise _diagnose(path, str(exc)) from None


def _diagnose(path: Path, detail: str) -> InputFormatError:
    """Why faidx could not index ``path``: find the first record with unequal line lengths."""
    name = str(path)
    record = None
    width = None  # line length (with terminator) of the record's first line
    short_seen_at = None  # a line shorter than `width` must be the record's last
    blank_at = None  # a blank line inside a record
    empty = None  # the last record, if it has no sequence
    with InputStream(path) as src, read_errors(name, "FASTA file"):
        for line_no, line in enumerate(src.stream, start=1):
            if line.startswith(b">"):
                record = line[1:].split(None, 1)[0].decode("utf-8", "replace") if line[1:].strip() else ""
                width, short_seen_at, blank_at = None, None, None
                continue
            if record is None:
                if line.strip():
                    return not_this_format(line, name, "FASTA")
                continue
            if not line.strip():
                blank_at = blank_at or line_no
                continue
            if len(line.split()) > 1:
                return _whitespace_error(path, record, line_no)
            if blank_at is not None:
                return InputFormatError(
                    f"cannot index: line {blank_at} is blank inside record {record!r}; faidx needs the"
                    " sequence lines of a record to follow each other (remove the blank line)",
                    path=name,
                    record=f"line {blank_at}",
                )
            if short_seen_at is not None:
                return InputFormatError(
                    f"cannot index: in record {record!r}, line {short_seen_at} is shorter than the lines"
                    " before it but is not the record's last line; faidx needs every line of a record"
                    " but the last to have the same length (rewrite with genoseq.io.write_fasta)",
                    path=name,
                    record=f"line {line_no}",
                )
            if width is None:
                width = len(line)
            elif len(line) > width:
                return InputFormatError(
                    f"cannot index: in record {record!r}, this line is longer than the first line"
                    " of the record; faidx needs equal line lengths (rewrite with genoseq.io.write_fasta)",
                    path=name,
                    record=f"line {line_no}",
                )
            elif len(line) < width:
                short_seen_at = line_no
    if record is not None and width is None:  # faidx skips an empty record, but not the last one
        empty = record
    if empty is not None:
        return InputFormatError(
            f"cannot index: record {empty!r} has no sequence; faidx cannot index an empty record (remove it)",
            path=name,
        )
    detail = detail.replace("samtools returned with error 1: ", "").replace("stdout=, stderr=", "").strip()
    detail = " ".join(target_of(word) for word in detail.split())  # no temporary index names
    return InputFormatError(f"cannot build the .fai index ({detail})", path=name)
