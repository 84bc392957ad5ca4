"""Score a VCF into output files: a table (Parquet/TSV) and optionally an annotated VCF, streaming."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from genoseq import __version__
from genoseq.data.writers import TableWriter, output_table_format
from genoseq.errors import ConfigError
from genoseq.variants.risk_model import is_variant_model
from genoseq.variants.score import (
    INTERNAL_COLUMNS,
    ScoreStats,
    _empty_table,
    iter_score_variants,
    output_names,
    resolve_strand,
    score_columns,
)
from genoseq.variants.vcf_out import VcfAnnotator

if TYPE_CHECKING:
    from genoseq.predict import Predictor

log = logging.getLogger(__name__)


def score_vcf_to_files(
    predictor: Predictor,
    vcf: str | Path,
    reference: str | Path,
    out: str | Path,
    *,
    vcf_out: str | Path | None = None,
    region: str | None = None,
    strand: str | None = None,
    on_ref_mismatch: str = "flag",
    batch_size: int = 4096,
    progress: bool = False,
) -> ScoreStats:
    """Score ``vcf`` and write the table ``out`` (and ``vcf_out``), one batch at a time.

    Memory stays bounded by ``batch_size``; both outputs appear only when everything succeeded
    (a failure leaves any existing files untouched).

    Returns
    -------
    ScoreStats
        Counts of scored, mismatched and skipped variants.
    """
    output_table_format(out)  # fail on a bad extension before any work
    if vcf_out is not None and not str(vcf_out).endswith(".gz"):
        raise ConfigError(
            "the annotated VCF is bgzipped and tabix-indexed: give it a name ending in .vcf.gz",
            path=vcf_out,
        )
    strand = resolve_strand(predictor, strand)
    stats = ScoreStats()
    names = output_names(predictor)
    cols = score_columns(names)
    annotator = None
    meta = {  # how the scores were made: the annotated VCF's ##genoseq_* lines, the Parquet's metadata
        "model": "in-memory" if predictor.model_dir is None else Path(predictor.model_dir).name,
        "model_sha256": str(getattr(predictor, "weights_sha256", None) or "unknown"),
        # a variant-risk model scores the reference strand only (its annotation is stranded)
        "strand": "forward" if is_variant_model(predictor) else strand,
    }
    table_meta = {"genoseq_version": __version__} | {f"genoseq_{k}": v for k, v in meta.items()}
    writer = TableWriter(out, table_meta)
    try:
        if vcf_out is not None:
            annotator = VcfAnnotator(vcf, vcf_out, cols, meta, region=region)
        for batch in iter_score_variants(
            predictor,
            vcf,
            reference,
            strand=strand,
            on_ref_mismatch=on_ref_mismatch,
            batch_size=batch_size,
            region=region,
            stats=stats,
            progress=progress,
        ):
            writer.write(batch.drop(INTERNAL_COLUMNS))
            if annotator is not None:
                annotator.add(batch)
    except BaseException:
        writer.abort()
        if annotator is not None:
            annotator.abort()
        raise
    # everything that can fail first (the VCF compressed and indexed under temporary names, the
    # table put in place), then the VCF renamed: the two outputs appear together or not at all
    if annotator is not None:
        try:
            annotator.finish()
        except BaseException:
            writer.abort()
            raise
    try:
        writer.close(empty_schema=_empty_table(names))
    except BaseException:
        if annotator is not None:
            annotator.abort()
        raise
    if annotator is not None:
        annotator.commit()
    log.info("scored %d variant(s) from %s into %s", stats.scored, vcf, out)
    return stats
