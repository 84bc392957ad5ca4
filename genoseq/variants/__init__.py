"""Variant scoring: ref/alt effects of VCF variants, calibrated risk, annotated VCF output, ISM."""

from genoseq.variants.calibrate import Background, calibrate, load_background, sample_snvs
from genoseq.variants.pipeline import score_vcf_to_files
from genoseq.variants.score import (
    ScoreStats,
    effect_table,
    iter_score_variants,
    logit,
    score_columns,
    score_variants,
)

__all__ = [
    "Background",
    "ScoreStats",
    "calibrate",
    "effect_table",
    "iter_score_variants",
    "load_background",
    "logit",
    "sample_snvs",
    "score_columns",
    "score_variants",
    "score_vcf_to_files",
]
