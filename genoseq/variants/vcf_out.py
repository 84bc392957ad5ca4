"""Write scores back into the input VCF: bgzipped, tabix-indexed, INFO fields per ALT.

The output holds every input record (FORMAT and samples kept; htslib writes floats — QUAL, INFO and
FORMAT values — with six significant digits) with ``GENOSEQ_*`` INFO fields
(``Number=A``: one value per ALT, ``.`` where a variant was not scored) and header lines naming the
model, its weights' checksum and genoseq's version. The file is written under a temporary name,
indexed, and renamed on success.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pysam

from genoseq import __version__
from genoseq._atomic import CommitOrAbort, atomic_path, placement
from genoseq.errors import InputFormatError
from genoseq.io.contigs import contig_key
from genoseq.io.vcf import (
    RecordOrderError,
    current_index,
    drop_other_index,
    htslib_path,
    index_suffix,
    index_vcf,
    read_vcf_records,
    scan_record_order,
)
from genoseq.variants.score import ALT_INDEX_COLUMN, RECORD_COLUMN

#: INFO descriptions of each score stem
DEFINITIONS = {
    "ref_score": "genoseq model probability for the reference window (strand policy as in header)",
    "alt_score": "genoseq model probability for the alternative window",
    "diff": "alt_score - ref_score",
    "log_odds": "logit(alt_score) - logit(ref_score)",
    "risk": "genoseq risk: background quantile of |log_odds| (sequence models) or P(pathogenic) (variant models)",
}


def info_id(column: str) -> str:
    """INFO key for a score column, e.g. ``log_odds_enhancer`` → ``GENOSEQ_LOG_ODDS_ENHANCER``."""
    return "GENOSEQ_" + re.sub(r"[^0-9A-Za-z_]", "_", column).upper()


def unique_info_ids(columns: list[str]) -> list[str]:
    """:func:`info_id` of each column, made unique (``_2``, ``_3`` ...) where two clean up alike."""
    seen: set[str] = set()
    out = []
    for col in columns:
        key = base = info_id(col)
        n = 1
        while key in seen:
            n += 1
            key = f"{base}_{n}"
        seen.add(key)
        out.append(key)
    return out


@contextlib.contextmanager
def _with_full_header(vcf: Path, header: str, near: Path) -> Iterator[Path]:
    """A temporary plain-text copy of ``vcf`` (beside the output ``near``, whose directory is made
    as the output's would be; in the temporary directory when that is a device or pipe) with the
    header text ``header`` for its own."""
    final, through = placement(near)
    where = None if through else final.parent
    if where is not None:
        where.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{near.name}.", suffix=".input.vcf", dir=where)
    copy = Path(name)
    try:
        with open(vcf, "rb") as fh:
            compressed = fh.read(2) == b"\x1f\x8b"
        opener = gzip.open if compressed else open
        with opener(vcf, "rb") as src, os.fdopen(fd, "wb") as dst:
            dst.write(header.encode())
            for line in src:
                if not line.startswith(b"#"):
                    dst.write(line)
        yield copy
    finally:
        with contextlib.suppress(FileNotFoundError):
            copy.unlink()


#: how the output declares ``END`` where the input does not (the VCF standard's Integer)
_END_DESCRIPTION = "End position of the variant described in this record"
#: ``END`` declared as a String: htslib's guess for an INFO key a VCF uses without declaring it
_STRING_END = re.compile(r"^##INFO=<ID=END,Number=1,Type=String,[^\n]*>$", re.MULTILINE)


def _end_as_integer(header: str) -> str:
    """``header`` with an ``END`` declared as a String (htslib's guess where the VCF does not declare
    it, which it then cannot write as the end of a symbolic ALT's record) declared as the Integer the
    VCF standard makes it."""
    return _STRING_END.sub(f'##INFO=<ID=END,Number=1,Type=Integer,Description="{_END_DESCRIPTION}">', header)


def _check_records(vcf: pysam.VariantFile, path: Path, region: str | None = None) -> bool:
    """Read every record once: refuse an unsorted file (tabix could not index the output).

    With a ``region`` of an indexed file only that region is read (an index query returns sorted
    records). Returns whether any record has a symbolic ALT (``<DEL>`` ...), whose output carries ``END``.
    """
    records: Any = vcf
    if region is not None and current_index(path) is not None:  # else read whole, as the table is
        try:
            records = vcf.fetch(region=region)
        except (ValueError, OSError, KeyError):
            records = vcf  # no index, or a contig spelt another way: read it all
    hint = ", or leave out --vcf-out"
    try:
        return scan_record_order(records, path, hint=hint)
    except RecordOrderError:
        # htslib's records know no line: read again, through the checked reader, to name it
        with read_vcf_records(path, with_location=True) as located:
            scan_record_order(located, path, hint=hint, located=True)
        raise
    except (OSError, ValueError) as exc:
        if isinstance(exc, InputFormatError):
            raise
        for _ in read_vcf_records(path):  # genoseq's checked reader names the bad line
            pass
        raise InputFormatError(f"cannot read the records: {exc}", path=path) from exc


def _without_genoseq_fields(header: pysam.VariantHeader) -> tuple[pysam.VariantHeader, list[str]]:
    """``header`` less an earlier genoseq annotation's INFO fields and header lines, and those INFO keys.

    A new header is built (htslib keeps a removed ID reserved, so it could not be declared again).
    """
    stale = [key for key in header.info if key.startswith("GENOSEQ_")]
    if not stale:
        return header.copy(), []
    fresh = pysam.VariantHeader()
    for record in header.records:
        if record.type == "INFO" and record.get("ID", "").startswith("GENOSEQ_"):
            continue
        if record.type == "GENERIC" and (record.key == "fileformat" or record.key.startswith("genoseq_")):
            continue
        fresh.add_record(record)
    for sample in header.samples:
        fresh.add_sample(sample)
    return fresh, stale


def _describe(column: str) -> str:
    for stem, text in DEFINITIONS.items():
        if column == stem or column.startswith(stem + "_"):
            out = column[len(stem) + 1 :]
            return text + (f" (output {out})" if out else "")
    return column


class VcfAnnotator(CommitOrAbort):
    """Streams the input VCF's records to a bgzipped copy with score INFO fields.

    Feed it the scored batches (in input order, carrying the ``_record`` ordinal) with
    :meth:`add`, then :meth:`close` it (or use it as a context manager). Records are read from
    ``records`` — an iterator over the same records, in the same order, that produced the rows.

    Parameters
    ----------
    vcf
        The input VCF/BCF path.
    out
        Output path (``.vcf.gz``); a ``.tbi`` index is written beside it.
    score_cols
        The score columns to write as INFO fields.
    model_meta
        Header metadata: ``{"model": ..., "sha256": ..., "strand": ...}``.
    region
        The region the rows were scored in (``None``: the whole file).
    """

    def __init__(
        self,
        vcf: str | Path,
        out: str | Path,
        score_cols: list[str],
        model_meta: dict[str, str],
        region: str | None = None,
    ) -> None:
        self.vcf = Path(vcf)
        self.out = Path(out)
        self.score_cols = score_cols
        self._stack = contextlib.ExitStack()
        try:
            # genoseq's checked reader first: a malformed VCF fails with a typed error naming the line
            read_vcf_records(self.vcf, region).close()
            source = htslib_path(self.vcf)  # a plain-gzip VCF's decompressed copy, the reader's too
            self._in = self._stack.enter_context(pysam.VariantFile(str(source)))
            declared = str(self._in.header)
            symbolic = _check_records(self._in, self.vcf, region)
            full = self._in.header
            if str(full) != declared:
                # the header leaves out contigs, INFO or FILTER keys that records use (htslib has now
                # declared them); such records cannot be copied into another header (htslib's
                # translate ends the process), so they are read from a copy with the full header
                text = _end_as_integer(str(full))
                source = self._stack.enter_context(_with_full_header(source, text, self.out))
                if text != str(full):  # END read as the integer it is, in the records and the output
                    full = self._stack.enter_context(pysam.VariantFile(str(source))).header
            self._records = read_vcf_records(source, region)
            self._stack.callback(self._records.close)
            header, self._stale = _without_genoseq_fields(full)
            if symbolic and "END" not in header.info:
                header.info.add("END", 1, "Integer", _END_DESCRIPTION)
            header.add_meta("genoseq_version", __version__)
            for key, value in model_meta.items():
                header.add_meta(f"genoseq_{key}", str(value))
            self._info_ids = unique_info_ids(score_cols)
            for col, key in zip(score_cols, self._info_ids, strict=True):
                header.info.add(key, "A", "Float", _describe(col))
            header.info.add(
                "GENOSEQ_REF_MATCH", "A", "Integer", "1 if REF matches the reference FASTA, else 0"
            )
            self._tmp_ctx = atomic_path(self.out)
            self._tmp = self._stack.enter_context(self._tmp_ctx)
            self._plain_tmp = self._tmp.with_name(
                self._tmp.name[: -len(".gz")] if self._tmp.name.endswith(".gz") else self._tmp.name + ".plain"
            )
            self._writer = pysam.VariantFile(str(self._plain_tmp), "w", header=header)
        except BaseException as exc:
            # nothing half-made survives a failed start (the temporary file, open readers)
            self._stack.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._next_ordinal = 0
        # scored rows not yet written: record ordinal -> ALT index -> (ref_match, score values)
        self._rows: dict[int, dict[int, tuple[bool, list[float]]]] = {}
        # where each of those records is, as scored: record ordinal -> (chrom, 1-based pos)
        self._where: dict[int, tuple[str, int]] = {}
        self._max_end = 0  # the furthest end of a record written

    def _adopt(self, rec: pysam.VariantRecord) -> None:
        """Move an input record into the output header, less an earlier genoseq annotation."""
        for key in self._stale:
            rec.info.pop(key, None)
        rec.translate(self._writer.header)

    def _write_until(self, ordinal: int) -> None:
        """Write the input records up to ``ordinal`` (inclusive), each with its collected rows."""
        while self._next_ordinal <= ordinal:
            try:
                rec = next(self._records)
            except StopIteration:
                raise InputFormatError(
                    "VCF changed while it was being scored (fewer records on the second read)", path=self.vcf
                ) from None
            self._adopt(rec)
            these = self._rows.pop(self._next_ordinal, None)
            if these:
                scored = self._where.pop(self._next_ordinal)
                # never an annotation on another record (the table spells contigs as the reference
                # does: MT for chrM, 1 for chr1 -- the same record for contig_key)
                if scored[1] != rec.pos or contig_key(scored[0]) != contig_key(rec.chrom):
                    raise InputFormatError(
                        f"the scored rows and the VCF's records disagree at record {self._next_ordinal + 1}"
                        f" ({scored[0]}:{scored[1]} scored, {rec.chrom}:{rec.pos} in the VCF): did the VCF"
                        " change while it was being scored?",
                        path=self.vcf,
                    )
                # the row of each ALT (None: that ALT was not scored)
                slots = [these.get(a) for a in range(len(rec.alts or ()))]
                for j, key in enumerate(self._info_ids):
                    # unscored ALTs and null (NaN) scores are written as '.'
                    vals = tuple(None if row is None else row[1][j] for row in slots)
                    vals = tuple(None if v is None or v != v else v for v in vals)
                    if any(v is not None for v in vals):
                        rec.info[key] = vals
                match = tuple(None if row is None else int(row[0]) for row in slots)
                if any(m is not None for m in match):
                    rec.info["GENOSEQ_REF_MATCH"] = match
            self._write(rec)
            self._next_ordinal += 1

    def _write(self, rec: pysam.VariantRecord) -> None:
        self._writer.write(rec)
        if rec.stop > self._max_end:  # a record past 512 Mbp needs a .csi index
            self._max_end = rec.stop

    def add(self, batch: pl.DataFrame) -> None:
        """Collect ``batch``'s rows and write the input records before its last one.

        ``batch`` must carry ``_record`` and ``_alt_index`` columns, and batches come in input
        order. The last record of a batch is held back: the ALTs of a multi-allelic record can be
        split between two batches, and its INFO values are written once all of them are in.
        """
        if batch.height == 0:
            return
        records = batch[RECORD_COLUMN].to_list()
        # plain lists: the per-record lookups are much cheaper than dicts built row by row by polars
        values = batch.select(pl.col(self.score_cols).cast(pl.Float64)).to_numpy().tolist()
        collected, where = self._rows, self._where
        for record, alt, match, row, chrom, pos in zip(
            records,
            batch[ALT_INDEX_COLUMN].to_list(),
            batch["ref_match"].to_list(),
            values,
            batch["chrom"].to_list(),
            batch["pos"].to_list(),
            strict=True,
        ):
            collected.setdefault(record, {})[alt] = (match, row)
            where[record] = (chrom, pos)
        self._write_until(max(records) - 1)

    def close(self) -> Path:
        """:meth:`finish`, then :meth:`commit`. Returns the output path."""
        self.finish()
        return self.commit()

    def finish(self) -> None:
        """Write the remaining records, bgzip and index (``.tbi``, or ``.csi`` for a contig past 512 Mbp)
        under temporary names: all that can fail, done before any output is put in place (a table
        written beside this VCF goes in place between this and :meth:`commit`)."""
        self._suffix = ".tbi"
        try:
            if self._rows:  # the last batch's last record, held back by add()
                self._write_until(max(self._rows))
            for rec in self._records:
                self._adopt(rec)
                self._write(rec)
            self._suffix = index_suffix(self._writer.header, self._max_end)
            self._writer.close()
            pysam.tabix_compress(str(self._plain_tmp), str(self._tmp), force=True)
            index_vcf(self._tmp, self._suffix)  # named after the temporary file until the data is in place
        except BaseException:
            self.abort()
            raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                self._plain_tmp.unlink()

    def commit(self) -> Path:
        """Rename the finished VCF and its index into place (after :meth:`finish`)."""
        final, through = placement(self.out)  # a link's target: its index goes beside it
        try:
            self._stack.close()  # renames the data file into place (or writes it through)
        except BaseException:
            self.abort()
            raise
        index_tmp = Path(f"{self._tmp}{self._suffix}")
        if through:  # /dev/stdout, a pipe: the index has no file to sit beside
            index_tmp.unlink()
        else:
            os.replace(index_tmp, f"{final}{self._suffix}")
            drop_other_index(final, self._suffix)
        return self.out

    def abort(self) -> None:
        """Discard everything written so far; the target is left untouched (a second Ctrl-C while
        this runs still removes the temporary files: each step runs whatever the one before raised)."""
        try:
            with contextlib.suppress(Exception):
                self._writer.close()
        finally:
            try:
                with contextlib.suppress(FileNotFoundError):
                    self._plain_tmp.unlink()
            finally:
                try:
                    self._stack.__exit__(RuntimeError, RuntimeError("aborted"), None)
                finally:
                    for kind in (".tbi", ".csi"):  # an index made of the temporary file
                        Path(f"{self._tmp}{kind}").unlink(missing_ok=True)
