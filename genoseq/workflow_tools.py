"""Small steps the Snakemake workflow runs between the big ones: validate inputs, scatter, gather, report.

Each function here backs one ``genoseq`` command the workflow's rules call (``prepare``, ``split-vcf``,
``gather-scores``, ``report``), so that the workflow itself holds no logic of its own. Every output is
written under a temporary name and renamed on success (:mod:`genoseq._atomic`).
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import itertools
import json
import logging
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pysam

from genoseq import __version__
from genoseq._atomic import atomic_paths, atomic_write
from genoseq.data.writers import output_table_format, write_table
from genoseq.errors import ConfigError, InputFormatError

if TYPE_CHECKING:
    from genoseq.io import Reference, Variant

log = logging.getLogger(__name__)

__all__ = [
    "chunk_sizes",
    "gather_tables",
    "gather_vcfs",
    "prepare_inputs",
    "render_report",
    "shard_name",
    "split_vcf",
    "write_json",
    "write_report",
]


def write_json(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``obj`` as indented JSON to ``path`` atomically; returns the path."""
    with atomic_write(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, sort_keys=False)
        fh.write("\n")
    return Path(path)


# --------------------------------------------------------------------------------------------- prepare


def _variant_kind(variant: Variant) -> str:
    if variant.is_symbolic:
        return "symbolic"
    if len(variant.ref) == 1 and len(variant.alt) == 1:
        return "snv"
    if len(variant.ref) == len(variant.alt):
        return "mnv"
    return "indel"


def _ref_matches(ref: Reference, variant: Variant) -> bool:
    """Whether the VCF's REF equals the reference bases it covers (case-insensitive)."""
    length = ref.length(variant.chrom)
    end = variant.start + len(variant.ref)  # REF's own end (Variant.end follows INFO/END)
    if end > length:
        return False
    return ref.fetch(variant.chrom, variant.start, end).upper() == variant.ref.upper()


def prepare_inputs(
    reference: str | Path,
    vcfs: Sequence[str | Path],
    *,
    label_field: str | None = None,
    info_fields: Sequence[str] = (),
    annotation: str | Path | None = None,
    require_sorted: bool = False,
) -> dict[str, Any]:
    """Index ``reference`` (``.fai``) and validate each VCF against it, counting what it holds.

    Every variant of every VCF is read through :func:`genoseq.io.read_vcf` with the reference, so an
    unknown contig or a malformed record raises the reader's error (naming the file and the record)
    before any model is trained or any variant scored. REF alleles that disagree with the reference
    are counted (and logged), not fatal: scoring has its own policy for them (``--on-ref-mismatch``).
    ``label_field`` and ``info_fields`` must be declared in every VCF's header (the features numeric),
    and an ``annotation`` BED must have loci on the VCFs' contigs, as training checks later. Each
    VCF's ``sorted`` says whether its records come contig by contig in rising POS (what an annotated,
    indexed VCF needs); ``require_sorted`` makes an unsorted one an error naming the first record out
    of order.

    Returns
    -------
    dict
        ``{"genoseq_version", "reference": {"path", "contigs": {name: length}},
        "vcfs": [{"path", "variants", "snv", "mnv", "indel", "symbolic", "ref_mismatch", "sorted",
        "contigs": {name: count}}]}``; variants are counted one per ALT allele, contigs by the
        reference's spelling.
    """
    from genoseq.data.variant_data import check_info_fields
    from genoseq.io import Reference, read_vcf

    for path in vcfs:  # cheap header checks first
        check_info_fields(path, label_field, info_fields)
    summary: dict[str, Any] = {"genoseq_version": __version__}
    with Reference(reference) as ref:
        summary["reference"] = {
            "path": str(reference),
            "contigs": {name: int(ref.length(name)) for name in ref.contigs},
        }
        summary["vcfs"] = []
        for path in vcfs:
            counts: Counter[str] = Counter()
            contigs: Counter[str] = Counter()
            # the INFO values that training and scoring will read, checked as they will be
            read = [f for f in (label_field, *info_fields) if f]
            with read_vcf(path, reference=ref, check_numbers=read) as variants:
                for variant in variants:
                    counts["variants"] += 1
                    counts[_variant_kind(variant)] += 1
                    counts["ref_mismatch"] += not _ref_matches(ref, variant)
                    contigs[variant.chrom] += 1
            is_sorted = _is_sorted(path, require_sorted)
            if counts["variants"] == 0:
                log.warning("%s: no variants", path)
            if counts["ref_mismatch"]:
                log.warning(
                    "%s: REF disagrees with the reference for %d variant(s)", path, counts["ref_mismatch"]
                )
            keys = ("variants", "snv", "mnv", "indel", "symbolic", "ref_mismatch")
            summary["vcfs"].append(
                {
                    "path": str(path),
                    **{k: counts[k] for k in keys},
                    "sorted": is_sorted,
                    "contigs": dict(contigs),
                }
            )
            log.info("%s: %d variant(s) validated", path, counts["variants"])
    if annotation is not None:
        from genoseq.data.annotation import Annotation

        contigs = list(dict.fromkeys(c for v in summary["vcfs"] for c in v["contigs"]))
        Annotation.from_bed(annotation).check_covers(contigs, path=str(annotation))
    return summary


def _is_sorted(path: str | Path, require: bool) -> bool:
    """Whether the VCF's records are sorted as the annotated VCF writer needs (contigs as written, one
    block each, POS rising); ``require``: an :class:`InputFormatError` naming the first record out of
    order instead of False."""
    from genoseq.io.vcf import RecordOrderError, read_vcf_records, scan_record_order

    try:
        with read_vcf_records(path, with_location=True) as records:
            scan_record_order(records, Path(path), located=True)
    except RecordOrderError:
        if require:
            raise
        return False
    return True


# ---------------------------------------------------------------------------------------------- scatter


#: a file :func:`shard_name` names, and its index
_SHARD = re.compile(r"^shard_(\d{3,})\.vcf$")


def shard_name(index: int) -> str:
    """File name of VCF shard ``index`` (0-based): ``shard_000.vcf``, ``shard_001.vcf``, …"""
    if index < 0:
        raise ValueError(f"shard index must be >= 0, got {index}")
    return f"shard_{index:03d}.vcf"


def chunk_sizes(n_records: int, n_shards: int) -> list[int]:
    """Sizes of ``n_shards`` contiguous chunks of ``n_records`` records, as equal as possible.

    The first ``n_records % n_shards`` chunks get one record more; chunks may be empty when there are
    fewer records than shards.
    """
    if n_shards < 1:
        raise ConfigError(f"the number of shards must be >= 1, got {n_shards}")
    if n_records < 0:
        raise ValueError(f"n_records must be >= 0, got {n_records}")
    q, r = divmod(n_records, n_shards)
    return [q + 1 if i < r else q for i in range(n_shards)]


def _open_vcf(path: str | Path, name: str | Path | None = None) -> pysam.VariantFile:
    """pysam's reader of ``path``; what htslib cannot read is an error naming ``name`` (default ``path``)."""
    quiet = pysam.set_verbosity(0)  # no "[E::idx_find_and_load]" line for a bgzipped VCF without index
    try:
        return pysam.VariantFile(str(path))
    except (OSError, ValueError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise InputFormatError(f"cannot read as VCF/BCF: {exc}", path=name or path) from exc
    finally:
        pysam.set_verbosity(quiet)


def split_vcf(vcf: str | Path, n_shards: int, out_dir: str | Path) -> list[Path]:
    """Split ``vcf`` into ``n_shards`` plain-text VCFs of contiguous records, in order.

    Every shard (``out_dir/shard_000.vcf`` …, see :func:`shard_name`) carries the input's header,
    so each is a valid VCF even when it holds no records. Shard ``i`` holds records
    ``sum(sizes[:i]) … sum(sizes[:i+1]) - 1`` with ``sizes = chunk_sizes(n_records, n_shards)``;
    concatenating the shards gives back the input's records. A VCF (plain or compressed) is
    split as text, so header and records are copied byte for byte, whatever htslib would make of
    them (a symbolic ALT without a declared ``END``, an undeclared contig); a BCF is written out
    as VCF text by htslib. The shards appear together: on an error none of them is written; after a split, shards of an
    earlier split of ``out_dir`` into more pieces (``shard_NNN.vcf`` past the last) are removed.

    Returns
    -------
    list of Path
        The shard paths, in order.
    """
    chunk_sizes(0, n_shards)  # validates n_shards before reading anything
    with _vcf_lines(vcf) as (_, lines):
        n_records = sum(1 for _ in lines)
    sizes = chunk_sizes(n_records, n_shards)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / shard_name(i) for i in range(n_shards)]
    with _vcf_lines(vcf) as (header, lines), atomic_paths(paths) as tmps:  # all shards, or none
        for tmp, size in zip(tmps, sizes, strict=True):
            with open(tmp, "wb") as out:
                out.write(header)
                for _ in range(size):
                    line = next(lines, None)
                    if line is None:
                        raise InputFormatError(
                            "VCF changed while it was being split (fewer records on the second read)",
                            path=vcf,
                        )
                    out.write(line if line.endswith(b"\n") else line + b"\n")
    # shards of an earlier split into more pieces would be gathered with these (records twice)
    stale = sorted(
        p
        for p in out_dir.iterdir()
        if (m := _SHARD.match(p.name)) and int(m.group(1)) >= n_shards and p.is_file()
    )
    for path in stale:
        path.unlink()
    if stale:
        log.warning(
            "%s: removed %d shard(s) of an earlier split (%s ...)", out_dir, len(stale), stale[0].name
        )
    log.info("%s: %d record(s) split into %d shard(s) in %s", vcf, n_records, n_shards, out_dir)
    return paths


@contextlib.contextmanager
def _vcf_lines(path: str | Path) -> Iterator[tuple[bytes, Iterator[bytes]]]:
    """The header (bytes, every ``#`` line) and an iterator over the record lines of a VCF/BCF."""
    import gzip

    from genoseq.io.vcf import htslib_path

    # a typed error for what htslib cannot read as VCF/BCF (a plain-gzip VCF: its decompressed copy)
    with _open_vcf(htslib_path(path), name=path) as vf:
        if vf.is_bcf:
            header = str(vf.header).encode()
            yield header, (str(rec).encode() for rec in vf)
            return
    with open(path, "rb") as fh:
        compressed = fh.read(2) == b"\x1f\x8b"
    with (gzip.open if compressed else open)(path, "rb") as src:
        head: list[bytes] = []
        first: bytes | None = None
        for line in src:
            if line.startswith(b"#"):
                head.append(line if line.endswith(b"\n") else line + b"\n")
                continue
            first = line
            break
        records = src if first is None else itertools.chain([first], src)
        yield b"".join(head), (line for line in records if line.strip())


# ----------------------------------------------------------------------------------------------- gather

_TABLE_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".tsv": "tsv", ".txt": "tsv", ".csv": "csv"}


def _table_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in _TABLE_FORMATS:
        raise ConfigError(
            f"cannot tell the table format from the extension {suffix!r}: use .parquet, .tsv or .csv",
            path=path,
        )
    return _TABLE_FORMATS[suffix]


#: the types of genoseq's own table columns, by name, for a TSV/CSV, which carries none: polars guesses
#: from the first rows otherwise (contig 'X' after '1'…'22' failed to read, contig '22' became an
#: integer, and a header-only shard's text columns turned every gathered column into text)
_TEXT_COLUMNS = ("chrom", "id", "ref", "alt", "name", "strand")
_INTEGER_COLUMNS = ("pos", "start", "end", "length", "window_start", "window_end")
_BOOLEAN_COLUMNS = ("ref_match",)
#: score-variants' score columns (suffixed by output) and predict's probabilities
_FLOAT_PREFIXES = ("ref_score", "alt_score", "diff", "log_odds", "risk", "p_")


def _column_type(name: str) -> type[pl.DataType] | None:
    """The type of a genoseq table column named ``name``; ``None`` for a column of another's."""
    if name in _TEXT_COLUMNS:
        return pl.Utf8
    if name in _INTEGER_COLUMNS:
        return pl.Int64
    if name in _BOOLEAN_COLUMNS:
        return pl.Boolean
    return pl.Float64 if name.startswith(_FLOAT_PREFIXES) else None


def _scan_table(path: str | Path) -> pl.LazyFrame:
    fmt = _table_format(path)
    if not Path(path).exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    if fmt == "parquet":
        return pl.scan_parquet(path)
    separator = "\t" if fmt == "tsv" else ","
    names = pl.scan_csv(path, separator=separator, n_rows=0).collect_schema().names()
    known = {name: t for name in names if (t := _column_type(name)) is not None}
    if len(known) == len(names):  # nothing to infer (inferring reads the whole file: several times slower)
        return pl.scan_csv(path, separator=separator, schema_overrides=known)
    # other columns' types from every row, not from the first 100
    return pl.scan_csv(path, separator=separator, schema_overrides=known, infer_schema_length=None)


def _check_table_file(path: str | Path) -> None:
    """Known extension, and no binary data in a text table (polars would read garbage columns)."""
    from genoseq.io._open import InputStream, looks_binary

    if _table_format(path) != "parquet":
        with InputStream(Path(path)) as src:
            if looks_binary(src.head):
                raise InputFormatError("binary data, not a text table", path=path)


def read_table(path: str | Path) -> pl.DataFrame:
    """Read a Parquet/TSV/CSV table, the format taken from the extension."""
    _check_table_file(path)
    try:
        return _scan_table(path).collect()
    except pl.exceptions.PolarsError as exc:
        raise InputFormatError(f"cannot read table: {exc}", path=path) from exc


def _refuse_repeats(paths: Sequence[str | Path], what: str) -> None:
    """A shard given twice (the same file under any name) would be gathered twice: a ConfigError."""
    seen: dict[Path, int] = {}
    for i, p in enumerate(paths, start=1):
        key = Path(p).resolve()
        if key in seen:
            raise ConfigError(
                f"{what} shard {i} is shard {seen[key]} again: each shard is gathered once", path=p
            )
        seen[key] = i


def gather_tables(tables: Sequence[str | Path], out: str | Path) -> int:
    """Concatenate score tables, in the order given, into ``out`` (format from its extension).

    Columns are matched by name; a column typed differently in two shards is cast to a common
    supertype (an empty shard's all-null column, for instance). Streams through polars' lazy engine.

    Returns
    -------
    int
        The number of rows written.
    """
    output_table_format(out)
    df, scored_with = _gathered_table(tables)
    write_table(df, out, scored_with)
    log.info("gathered %d table(s), %d row(s) -> %s", len(tables), df.height, out)
    return df.height


def _gathered_table(tables: Sequence[str | Path]) -> tuple[pl.DataFrame, dict[str, str]]:
    """The shards' rows in one frame and the ``genoseq_*`` metadata they share, every shard checked."""
    if not tables:
        raise ConfigError("gather needs at least one table")
    _refuse_repeats(tables, "table")
    for t in tables:
        _check_table_file(t)
    frames, names = [], []
    for t in tables:  # each table's own schema, so that an error names the table at fault
        try:
            frame = _scan_table(t)
            names.append(frame.collect_schema().names())
        except pl.exceptions.PolarsError as exc:
            raise InputFormatError(f"cannot read table: {exc}", path=t) from exc
        frames.append(frame)
    for t, cols in zip(tables[1:], names[1:], strict=True):
        if set(cols) != set(names[0]):
            raise InputFormatError(
                f"columns differ from {tables[0]}: {sorted(set(cols) ^ set(names[0]))}", path=t
            )
    scored_with = _same_scoring_run(tables)
    try:
        # a header-only TSV/CSV shard holds no types, only text: left out, it cannot make a column text
        typed = [
            f
            for t, f in zip(tables, frames, strict=True)
            if _table_format(t) == "parquet" or f.select(pl.len()).collect().item() > 0
        ] or frames[:1]
        df = pl.concat([f.select(names[0]) for f in typed], how="vertical_relaxed").collect()
    except pl.exceptions.PolarsError as exc:
        for t, frame in zip(tables, frames, strict=True):  # find the table that cannot be read
            try:
                frame.collect()
            except pl.exceptions.PolarsError as inner:
                raise InputFormatError(f"cannot read table: {inner}", path=t) from inner
        raise InputFormatError(f"cannot gather tables: {exc}", path=tables[0]) from exc
    return df, scored_with


def _refuse_other_run(
    first: str | Path, path: str | Path, scored_with: dict[str, str], meta: dict[str, str]
) -> None:
    """InputFormatError when shard ``path``'s ``genoseq_*`` metadata differ from the first shard's."""
    differ = sorted(k for k in scored_with.keys() | meta.keys() if scored_with.get(k) != meta.get(k))
    if differ:
        raise InputFormatError(
            f"scored differently from {first} ({', '.join(differ)} differ: another model,"
            " strand or genoseq version); gather shards of one scoring run",
            path=path,
        )


def _same_scoring_run(tables: Sequence[str | Path]) -> dict[str, str]:
    """The ``genoseq_*`` metadata the Parquet shards share (score-variants writes them): shards of
    another scoring run are refused. TSV/CSV shards carry none, and are not compared."""
    from genoseq.data.writers import table_metadata

    carried = []
    for t in tables:
        if _table_format(t) != "parquet":
            continue
        try:
            carried.append((t, table_metadata(t)))
        except (OSError, ValueError) as exc:  # pyarrow's errors are both
            raise InputFormatError(f"cannot read table: {exc}", path=t) from exc
    if not carried:
        return {}
    text = next((t for t in tables if _table_format(t) != "parquet"), None)
    if text is not None:
        log.warning(
            "%s: a TSV/CSV shard carries no record of how it was scored, so it is not checked against"
            " the Parquet shards' model and strand (the gathered metadata are theirs)",
            text,
        )
    first, scored_with = carried[0]
    for path, meta in carried[1:]:
        _refuse_other_run(first, path, scored_with, meta)
    return scored_with


def _genoseq_meta(header: pysam.VariantHeader) -> dict[str, str]:
    """The ``##genoseq_*=`` lines of a VCF header (model, weights' checksum, strand, version)."""
    return {
        rec.key: str(rec.value)
        for rec in header.records
        if rec.type == "GENERIC" and rec.key is not None and rec.key.startswith("genoseq_")
    }


def gather_vcfs(vcfs: Sequence[str | Path], out: str | Path) -> int:
    """Concatenate VCF shards, in the order given, into a bgzipped, tabix-indexed ``out`` (``.vcf.gz``).

    The output header is the first shard's, merged with any header lines the others add; all shards
    must have the same samples and, where they carry them, the same ``##genoseq_*`` lines (the
    model, its weights' checksum, the strand: shards of one scoring run). The records must come
    out sorted (as they do when the shards are the contiguous pieces of one sorted VCF), or
    indexing fails with :class:`InputFormatError`. The index is written to ``out + ".tbi"`` (``".csi"``
    where a ``##contig`` is longer than a ``.tbi`` addresses, 2^29 bp); both files appear only on success.

    Returns
    -------
    int
        The number of records written.
    """
    out = _gathered_vcf_name(out)
    with _VcfShards(vcfs) as shards, atomic_paths([out, shards.index_of(out)]) as (tmp, tmp_index):
        n = shards.write(tmp, tmp_index, out)
    _drop_other_index(out, shards.suffix)
    log.info("gathered %d VCF shard(s), %d record(s) -> %s", len(vcfs), n, out)
    return n


def gather_scores(
    tables: Sequence[str | Path],
    out: str | Path,
    vcfs: Sequence[str | Path] = (),
    vcf_out: str | Path | None = None,
) -> tuple[int, int]:
    """:func:`gather_tables` and :func:`gather_vcfs` as one output: the table, the VCF and its index
    appear together or not at all (every shard of either kind is checked before anything is
    written). ``out`` ``"-"`` streams the table to standard output once the VCF is in place.

    Returns
    -------
    tuple[int, int]
        Rows of the table and records of the VCF (0 without ``vcf_out``).
    """
    if bool(vcfs) != (vcf_out is not None):
        raise ConfigError("VCF shards and the gathered VCF go together")
    output_table_format(out)
    if vcf_out is None:
        return gather_tables(tables, out), 0
    vcf_out = _gathered_vcf_name(vcf_out)
    df, scored_with = _gathered_table(tables)
    table_file = str(out) != "-"
    targets = [Path(out)] if table_file else []
    with _VcfShards(vcfs) as shards, atomic_paths([*targets, vcf_out, shards.index_of(vcf_out)]) as tmps:
        if scored_with and shards.scored_with:  # the tables and the VCFs of one scoring run
            _refuse_other_run(tables[0], vcfs[0], scored_with, shards.scored_with)
        rows = None
        if {"chrom", "pos"} <= set(df.columns):  # every row's variant is a record of the VCFs
            from genoseq.io.contigs import contig_key

            # the table spells contigs as the reference does (chrM for the VCF's MT): compared by key
            chroms = df["chrom"].cast(pl.Utf8).to_list()
            rows = ([contig_key(c) for c in chroms], df["pos"].cast(pl.Int64).to_list(), tables, chroms)
        n = shards.write(tmps[-2], tmps[-1], vcf_out, rows=rows)
        if table_file:  # in the output's format: a device's (/dev/stdout) staging file has no extension
            write_table(df, tmps[0], scored_with, format=output_table_format(out))
    _drop_other_index(vcf_out, shards.suffix)
    if not table_file:
        write_table(df, out, scored_with)
    log.info("gathered %d table(s), %d row(s) -> %s", len(tables), df.height, out)
    log.info("gathered %d VCF shard(s), %d record(s) -> %s", len(vcfs), n, vcf_out)
    return df.height, n


def _gathered_vcf_name(out: str | Path) -> Path:
    out = Path(out)
    if not out.name.endswith(".vcf.gz"):
        raise ConfigError("the gathered VCF must end in .vcf.gz (it is bgzipped and tabix-indexed)", path=out)
    return out


def _drop_other_index(path: Path, suffix: str) -> None:
    from genoseq.io.vcf import drop_other_index

    drop_other_index(path, suffix)


def _furthest(line: bytes, position: int) -> int:
    """The last position a VCF data ``line`` at ``position`` covers for tabix: its INFO/END if larger."""
    from genoseq.io.vcf import end_in_info

    fields = line.rstrip(b"\r\n").split(b"\t", 8)
    end = end_in_info(fields[7].decode("ascii", "replace")) if len(fields) > 7 else None
    return position if end is None else max(position, end)


class _VcfShards:
    """VCF shards opened and checked (samples, scoring run) for :meth:`write`; a context manager."""

    def __init__(self, vcfs: Sequence[str | Path]) -> None:
        if not vcfs:
            raise ConfigError("gather needs at least one VCF")
        _refuse_repeats(vcfs, "VCF")
        self.vcfs = list(vcfs)
        self.handles: list[pysam.VariantFile] = []
        try:
            for v in self.vcfs:
                self.handles.append(_open_vcf(v))
            self.header = self.handles[0].header.copy()
            samples = list(self.header.samples)
            self.suffix = ".tbi"  # the index's kind, once the headers are merged
            #: the ``##genoseq_*`` lines the shards share (how they were scored)
            self.scored_with = scored_with = _genoseq_meta(self.header)
            for path, vf in zip(self.vcfs[1:], self.handles[1:], strict=True):
                if list(vf.header.samples) != samples:
                    raise InputFormatError(f"samples differ from {self.vcfs[0]}", path=path)
                _refuse_other_run(self.vcfs[0], path, scored_with, _genoseq_meta(vf.header))
                self.header.merge(vf.header)
            from genoseq.io.vcf import index_suffix

            self.suffix = index_suffix(self.header)  # a .csi for a contig longer than 512 Mbp
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> _VcfShards:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for vf in self.handles:
            vf.close()

    def index_of(self, out: Path) -> Path:
        """Where the gathered VCF ``out``'s index goes: ``out.tbi``, or ``out.csi`` (see :attr:`suffix`)."""
        return Path(f"{out}{self.suffix}")

    def write(
        self,
        tmp: Path,
        tmp_index: Path,
        out: Path,
        rows: tuple[list[str], list[int], Sequence[str | Path], list[str]] | None = None,
    ) -> int:
        """Write the gathered, bgzipped VCF to ``tmp`` and its tabix index (:attr:`suffix`) to
        ``tmp_index`` (errors name ``out``); returns the number of records.

        ``rows``: the gathered table's contig keys (:func:`~genoseq.io.contigs.contig_key`), pos
        column, shards and chrom column: each row, in order,
        must be a record of the VCF shards (also in order), or :class:`InputFormatError` — table
        and VCF shards of other pieces or runs."""
        from genoseq.io.contigs import contig_key

        n = furthest = 0
        chroms, positions = (rows[0], rows[1]) if rows is not None else ([], [])
        k, n_rows = 0, len(chroms)
        # records are copied as text under the merged header: htslib's record translation ends the
        # process on a contig the shards never declared (as VCFs often do not)
        with pysam.BGZFile(str(tmp), "wb") as writer:
            writer.write(str(self.header).encode())
            for path in self.vcfs:
                with _vcf_lines(path) as (_, lines):
                    for line in lines:
                        writer.write(line if line.endswith(b"\n") else line + b"\n")
                        n += 1
                        chrom, pos = line.split(b"\t", 2)[:2]
                        position = int(pos)
                        end = _furthest(line, position) if b"END=" in line else position
                        if end > furthest:
                            furthest = end
                        if k < n_rows:
                            here = (contig_key(chrom.decode()), position)
                            while k < n_rows and (chroms[k], positions[k]) == here:
                                k += 1
        from genoseq.io.vcf import TBI_MAX_POSITION, index_vcf

        if self.suffix == ".tbi" and furthest > TBI_MAX_POSITION:
            raise InputFormatError(
                f"a record reaching position {furthest:,} is past what a .tbi index addresses (2^29), and no"
                " ##contig line of the shards declares a contig that long (which makes a .csi index):"
                " declare the contig's length in the VCF's header",
                path=out,
            )
        made = Path(f"{tmp}{self.suffix}")  # where tabix puts it
        quiet = pysam.set_verbosity(0)  # htslib's own stderr lines would repeat the error
        try:
            index_vcf(tmp, self.suffix)
            os.replace(made, tmp_index)
        except (OSError, pysam.utils.SamtoolsError) as exc:
            detail = str(exc).replace(str(tmp), str(out))
            raise InputFormatError(
                f"cannot index the gathered VCF (are the shards in order?): {detail}", path=out
            ) from exc
        finally:
            pysam.set_verbosity(quiet)
            made.unlink(missing_ok=True)
        if k < n_rows:
            assert rows is not None
            raise InputFormatError(
                f"row {k + 1} of the gathered table ({rows[3][k]}:{positions[k]}) is no record of the VCF"
                " shards at its place: table and VCF shards must be the same pieces, in the same order,"
                f" of one scoring run (tables {', '.join(map(str, rows[2]))})",
                path=self.vcfs[0],
            )
        return n


# ----------------------------------------------------------------------------------------------- report


@dataclass(frozen=True)
class TopTable:
    """The top rows of a score table, for the report.

    Attributes
    ----------
    frame
        The ``top`` rows with the largest ``sort_by`` (nulls last), shape ``(<= top, n_columns)``.
    sort_by
        The column sorted on.
    n_rows, n_null
        Rows in the whole table, and how many have a null ``sort_by``.
    values
        The non-null ``sort_by`` values of the whole table, for a histogram.
    """

    frame: pl.DataFrame
    sort_by: str
    n_rows: int
    n_null: int
    values: list[float]


def top_rows(table: pl.DataFrame, top: int, sort_by: str = "risk") -> TopTable:
    """The ``top`` rows of ``table`` with the largest ``sort_by`` value, nulls and NaNs last."""
    if sort_by not in table.columns:
        raise ConfigError(f"column {sort_by!r} is not in the table (columns: {', '.join(table.columns)})")
    col = table[sort_by]
    if col.null_count() == col.len():  # no value at all (an uncalibrated model's risk): TSV reads it as text
        col = col.cast(pl.Float64)
    if not col.dtype.is_numeric():
        numeric = [c for c in table.columns if table[c].dtype.is_numeric()]
        raise ConfigError(
            f"column {sort_by!r} holds {col.dtype} values, not numbers: rank by a score column"
            f" ({', '.join(numeric) or 'none'})"
        )
    if col.dtype.is_float():
        col = col.fill_nan(None)
    keyed = table.with_columns(col.alias("__key"))
    frame = keyed.sort("__key", descending=True, nulls_last=True).head(top).drop("__key")
    values = col.drop_nulls()
    return TopTable(
        frame=frame,
        sort_by=sort_by,
        n_rows=table.height,
        n_null=table.height - values.len(),
        values=[float(v) for v in values.to_list()],
    )


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return f"{value:.4g}"
    return str(value)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _sd_key(obj: dict[str, Any], mean_key: str, stem: str) -> str | None:
    """The key of the spread that goes with ``mean_key`` (``sd``/``std``, or ``<stem>_sd``/``_std``)."""
    candidates = ("sd", "std") if mean_key == "mean" else (f"{stem}_sd", f"{stem}_std")
    for key in candidates:
        if key in obj and _is_scalar(obj[key]) and _is_scalar(obj[mean_key]):
            return key
    return None


def flatten_metrics(obj: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten a metrics JSON object into ``(dotted key, formatted value)`` rows.

    A mean and its spread become one row ``m ± s``: the keys ``mean`` with ``sd`` (or ``std``) of an
    object (the row is named by the object's key), or ``<name>_mean`` with ``<name>_sd`` (row
    ``<name>``). A list of scalars becomes one comma-separated row; nested objects and lists recurse
    with dotted keys (``a.b``, ``a[0].b``).
    """
    if isinstance(obj, dict):
        rows: list[tuple[str, str]] = []
        paired: set[str] = set()
        for key, value in obj.items():
            if key in paired:
                continue
            key = str(key)
            stem = key[: -len("_mean")] if key.endswith("_mean") else "" if key == "mean" else None
            sd_key = None if stem is None else _sd_key(obj, key, stem)
            if sd_key is not None:
                paired.add(sd_key)
                name = stem if stem else prefix
                name = f"{prefix}.{name}" if prefix and stem else name
                rows.append((name, f"{_fmt(value)} ± {_fmt(obj[sd_key])}"))
                continue
            rows.extend(flatten_metrics(value, f"{prefix}.{key}" if prefix else key))
        return rows
    if isinstance(obj, list):
        if all(_is_scalar(v) for v in obj):
            return [(prefix, ", ".join(_fmt(v) for v in obj))]
        rows = []
        for i, value in enumerate(obj):
            rows.extend(flatten_metrics(value, f"{prefix}[{i}]"))
        return rows
    return [(prefix, _fmt(obj))]


def split_records(obj: Any) -> tuple[Any, dict[str, list[dict[str, Any]]]]:
    """Take the top-level lists of flat records (e.g. per-fold metrics) out of a metrics object.

    Returns
    -------
    tuple
        The object without those lists, and ``{key: records}`` for each list of objects whose values
        are all scalars (each becomes a table with one row per record in the report).
    """
    if not isinstance(obj, dict):
        return obj, {}
    rest: dict[str, Any] = {}
    records: dict[str, list[dict[str, Any]]] = {}
    for key, value in obj.items():
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, dict) and all(_is_scalar(x) for x in v.values()) for v in value)
        ):
            records[str(key)] = value
        else:
            rest[key] = value
    return rest, records


def expand_plots(paths: Iterable[str | Path]) -> list[Path]:
    """PNG files to show: each path itself, or for a directory its ``*.png`` (recursively, sorted)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(p.rglob("*.png")))
        elif p.exists():
            if p.suffix.lower() != ".png":
                raise ConfigError("plots must be PNG files or directories holding them", path=p)
            found.append(p)
        else:
            raise FileNotFoundError(2, "No such file or directory", str(p))
    return found


def _png_data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _histogram_png(values: list[float], label: str) -> bytes:
    from matplotlib.figure import Figure  # no pyplot: a notebook's own backend is left alone

    fig = Figure(figsize=(6, 3.2))
    ax = fig.subplots()
    ax.hist(values, bins=50, color="#3b6ea8")
    ax.set_xlabel(label)
    ax.set_ylabel("variants")
    ax.set_title(f"distribution of {label}")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


_CSS = """
body{font-family:system-ui,-apple-system,sans-serif;margin:2em auto;max-width:70em;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left}th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{display:inline-block;margin:.5em 1em .5em 0;vertical-align:top}
figure img{max-width:32em;border:1px solid #eee}figcaption{font-size:.85em;color:#555}
.note{color:#555;font-size:.9em}
"""


def render_report(
    *,
    metrics: Sequence[str | Path] = (),
    plots: Sequence[str | Path] = (),
    table: str | Path | None = None,
    top: int = 20,
    sort_by: str = "risk",
    title: str = "genoseq report",
) -> str:
    """Render a self-contained HTML report: metrics tables, plots and the top-scoring variants.

    Parameters
    ----------
    metrics
        JSON files; each becomes a section with one row per (flattened) metric, see
        :func:`flatten_metrics`.
    plots
        PNG files or directories of them (:func:`expand_plots`); embedded as base64 data URIs, so the
        HTML needs no other file.
    table
        A score table (Parquet/TSV/CSV); its ``top`` rows by ``sort_by`` are listed and the
        distribution of ``sort_by`` is plotted.

    Returns
    -------
    str
        The HTML document.
    """
    if top < 0:
        raise ConfigError(f"top must be >= 0, got {top}")
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="note">genoseq {esc(__version__)}</p>',
    ]
    for path in metrics:
        try:
            obj = json.loads(Path(path).read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise InputFormatError("binary data, not a JSON metrics file", path=path) from None
        except (json.JSONDecodeError, RecursionError) as exc:
            raise InputFormatError(f"not valid JSON: {exc}", path=path) from exc
        summary, records = split_records(obj)
        parts.append(f"<h2>Metrics: {esc(Path(path).name)}</h2>")
        parts.append("<table><tr><th>metric</th><th>value</th></tr>")
        parts.extend(
            f'<tr><td>{esc(k)}</td><td class="num">{esc(v)}</td></tr>' for k, v in flatten_metrics(summary)
        )
        parts.append("</table>")
        for key, rows in records.items():
            cols = list(dict.fromkeys(c for row in rows for c in row))
            parts.append(f'<p class="note">{esc(key)}</p>')
            parts.append("<table><tr>" + "".join(f"<th>{esc(str(c))}</th>" for c in cols) + "</tr>")
            parts.extend(
                "<tr>" + "".join(f'<td class="num">{esc(_fmt(row.get(c)))}</td>' for c in cols) + "</tr>"
                for row in rows
            )
            parts.append("</table>")
    pngs = expand_plots(plots)
    if pngs:
        parts.append("<h2>Plots</h2>")
        for png in pngs:
            uri = _png_data_uri(png.read_bytes())
            parts.append(
                f'<figure><img src="{uri}" alt="{esc(png.stem)}"><figcaption>{esc(png.parent.name + "/" + png.name)}</figcaption></figure>'
            )
    if table is not None:
        try:
            tt = top_rows(read_table(table), top, sort_by)
        except ConfigError as exc:
            if exc.path is not None:
                raise
            raise ConfigError(exc.problem, path=table) from None
        if tt.values:
            heading = f"Top {tt.frame.height} variants by {esc(sort_by)}"
        else:
            heading = f"The first {tt.frame.height} variants (none has a {esc(sort_by)} to rank by)"
        parts.append(f"<h2>{heading}: {esc(Path(table).name)}</h2>")
        parts.append(
            f'<p class="note">{tt.n_rows} row(s) in the table; {tt.n_null} with no {esc(sort_by)} '
            "(e.g. REF mismatches or an uncalibrated model).</p>"
        )
        finite = [v for v in tt.values if math.isfinite(v)]
        if len(finite) < len(tt.values):  # ranked (first or last), but a histogram has no bin for them
            parts.append(
                f'<p class="note">{len(tt.values) - len(finite)} row(s) with an infinite {esc(sort_by)}'
                " are ranked but left out of the histogram.</p>"
            )
        if finite:
            parts.append(
                f'<figure><img src="{_png_data_uri(_histogram_png(finite, sort_by))}" '
                f'alt="distribution of {esc(sort_by)}"></figure>'
            )
        cols = tt.frame.columns
        parts.append("<table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in cols) + "</tr>")
        numeric = {c for c, dt in tt.frame.schema.items() if dt.is_numeric()}
        for row in tt.frame.iter_rows():
            cells = (
                f'<td class="num">{esc(_fmt(v))}</td>' if c in numeric else f"<td>{esc(_fmt(v))}</td>"
                for c, v in zip(cols, row, strict=True)
            )
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(out: str | Path, **kwargs: Any) -> Path:
    """Render :func:`render_report` (same keyword arguments) and write it to ``out`` atomically."""
    doc = render_report(**kwargs)
    with atomic_write(out, "w", encoding="utf-8") as fh:
        fh.write(doc)
    return Path(out)
