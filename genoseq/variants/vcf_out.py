"""Write scores back into the input VCF: bgzipped, tabix-indexed, INFO fields per ALT.

The output holds every input record (FORMAT and samples kept) with ``GENOSEQ_*`` INFO fields
(``Number=A``: one value per ALT, ``.`` where a variant was not scored) and header lines naming the
model, its weights' checksum and genoseq's version. The file is written under a temporary name,
indexed, and renamed on success.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pysam

from genoseq import __version__
from genoseq._atomic import atomic_path
from genoseq.errors import InputFormatError
from genoseq.io.vcf import read_vcf_records
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


def _describe(column: str) -> str:
    for stem, text in DEFINITIONS.items():
        if column == stem or column.startswith(stem + "_"):
            out = column[len(stem) + 1 :]
            return text + (f" (output {out})" if out else "")
    return column


@dataclass(frozen=True)
class _BatchRows:
    """One scored batch as plain lists: row indices per record ordinal, then per-row fields."""

    by_record: dict[int, list[int]]
    alt_index: list[int]
    ref_match: list[bool]
    values: list[list[float]]  # rows x score columns, NaN where null


class VcfAnnotator:
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
            self._records = read_vcf_records(self.vcf, region)
            self._stack.callback(self._records.close)
            self._in = self._stack.enter_context(pysam.VariantFile(str(self.vcf)))
            header = self._in.header.copy()
            header.add_meta("genoseq_version", __version__)
            for key, value in model_meta.items():
                header.add_meta(f"genoseq_{key}", str(value))
            for col in score_cols:
                header.info.add(info_id(col), "A", "Float", _describe(col))
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
        self._info_ids = [info_id(col) for col in score_cols]

    def _write_until(self, ordinal: int, rows: _BatchRows) -> None:
        while self._next_ordinal <= ordinal:
            try:
                rec = next(self._records)
            except StopIteration:
                raise InputFormatError(
                    "VCF changed while it was being scored (fewer records on the second read)", path=self.vcf
                ) from None
            rec.translate(self._writer.header)
            these = rows.by_record.get(self._next_ordinal)
            if these:
                # the batch row of each ALT (None: that ALT was not scored)
                by_alt = {rows.alt_index[i]: i for i in these}
                slots = [by_alt.get(a) for a in range(len(rec.alts or ()))]
                for j, key in enumerate(self._info_ids):
                    # unscored ALTs and null (NaN) scores are written as '.'
                    vals = tuple(None if i is None else rows.values[i][j] for i in slots)
                    vals = tuple(None if v is None or v != v else v for v in vals)
                    if any(v is not None for v in vals):
                        rec.info[key] = vals
                match = tuple(None if i is None else int(rows.ref_match[i]) for i in slots)
                if any(m is not None for m in match):
                    rec.info["GENOSEQ_REF_MATCH"] = match
            self._writer.write(rec)
            self._next_ordinal += 1

    def add(self, batch: pl.DataFrame) -> None:
        """Write all input records up to the last one in ``batch``, annotated with its rows.

        ``batch`` must carry ``_record`` and ``_alt_index`` columns.
        """
        if batch.height == 0:
            return
        records = batch[RECORD_COLUMN].to_list()
        by_record: dict[int, list[int]] = {}
        for i, record in enumerate(records):
            by_record.setdefault(record, []).append(i)
        # plain lists: the per-record lookups are much cheaper than dicts built row by row by polars
        values = batch.select(pl.col(self.score_cols).cast(pl.Float64)).to_numpy().tolist()
        rows = _BatchRows(by_record, batch[ALT_INDEX_COLUMN].to_list(), batch["ref_match"].to_list(), values)
        self._write_until(max(records), rows)

    def close(self) -> Path:
        """Write the remaining records, bgzip and index; rename into place. Returns the output path."""
        try:
            for rec in self._records:
                rec.translate(self._writer.header)
                self._writer.write(rec)
            self._writer.close()
            pysam.tabix_compress(str(self._plain_tmp), str(self._tmp), force=True)
            pysam.tabix_index(str(self._tmp), preset="vcf", force=True)
        finally:
            with contextlib.suppress(FileNotFoundError):
                self._plain_tmp.unlink()
        index_tmp = str(self._tmp) + ".tbi"  # keeps the temporary naming scheme until the data is in place
        self._stack.close()  # renames the data file into place
        os.replace(index_tmp, str(self.out) + ".tbi")
        return self.out

    def abort(self) -> None:
        """Discard everything written so far; the target is left untouched."""
        with contextlib.suppress(Exception):
            self._writer.close()
        with contextlib.suppress(FileNotFoundError):
            self._plain_tmp.unlink()
        self._stack.__exit__(RuntimeError, RuntimeError("aborted"), None)

    def __enter__(self) -> VcfAnnotator:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
