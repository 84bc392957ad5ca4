"""Labelled variants → model inputs for variant-risk models, and block splits that do not leak.

A variant-risk example is the variant's reference and alternative windows (the
:mod:`genoseq.data.windows` convention) plus, optionally,

* per-base annotation channels from a BED (:class:`genoseq.data.annotation.Annotation`),
* per-variant consequence features (feature kind hit, synonymous/missense/stop… under the contig's
  genetic code) — present whenever an annotation is,
* numeric INFO fields of the record (:class:`InfoFeatures`), with missing values made explicit.

Model inputs (what :meth:`VariantFeaturizer.encode` returns):

* CNN-LSTM (``"onehot"``): ``x`` float32 ``(n, L, 8 + C)`` = one-hot(ref) ‖ one-hot(alt) ‖ annotation;
* Transformer (``"kmer"``): ``x`` int64 ``(n, 2T + 3)`` = ``[CLS] ref-tokens [SEP] alt-tokens [SEP]``,
  ``mask`` bool, and ``tokens_extra`` float32 ``(n, 2T + 3, C)`` — each token's annotation averaged over
  its k bases (zeros on special tokens);
* ``features`` float32 ``(n, F)``: consequence features then the INFO features.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from genoseq._hashing import file_sha256
from genoseq.data.annotation import CHANNELS, CONSEQUENCE_FEATURES, CONSEQUENCE_RULES, Annotation
from genoseq.data.windows import variant_windows
from genoseq.errors import ConfigError, InputFormatError

if TYPE_CHECKING:
    from genoseq.io import Reference

log = logging.getLogger(__name__)

_POSITIVE = {"1", "true", "yes", "pathogenic", "likely_pathogenic", "p", "lp", "pos", "positive"}
_NEGATIVE = {"0", "false", "no", "benign", "likely_benign", "b", "lb", "neg", "negative"}
#: label terms that carry no pathogenic/benign call (ClinVar's other classes and qualifiers): a variant
#: with only these is left out of training (counted); beside a call they are ignored
_NEUTRAL = {
    ".", "", "na", "nan", "none", "unknown", "vus", "uncertain", "uncertain_significance",
    "conflicting_interpretations_of_pathogenicity", "conflicting_classifications_of_pathogenicity",
    "not_provided", "other", "drug_response", "risk_factor", "association", "association_not_found",
    "protective", "affects", "confers_sensitivity", "low_penetrance", "likely_risk_allele",
    "uncertain_risk_allele", "established_risk_allele", "no_classification_for_the_single_variant",
    "no_classifications_from_unflagged_records", "no_interpretation_for_the_single_variant",
}  # fmt: skip
_KNOWN_TERMS = _POSITIVE | _NEGATIVE | _NEUTRAL
_LABEL_SPLIT = re.compile(r"[|/,;]")


@dataclass(frozen=True)
class VariantTable:
    """Variants with labels, as read from a labelled VCF (symbolic alleles dropped).

    Attributes
    ----------
    chroms, refs, alts, ids : list[str]
    starts : np.ndarray
        int64 ``(n,)`` 0-based REF starts (``pos - 1``).
    labels : np.ndarray
        int64 ``(n,)`` 0/1, or -1 when the VCF has no label field (scoring).
    info : np.ndarray
        float64 ``(n, len(info_fields))``; NaN where the record lacks the field.
    info_fields : list[str]
    path : str
    checksum : str
        SHA-256 of the file.
    """

    chroms: list[str]
    starts: np.ndarray
    refs: list[str]
    alts: list[str]
    ids: list[str | None]
    labels: np.ndarray
    info: np.ndarray
    info_fields: list[str]
    path: str
    checksum: str = ""

    @property
    def n(self) -> int:
        return len(self.chroms)

    @property
    def pos(self) -> np.ndarray:
        """1-based VCF positions, int64 ``(n,)``."""
        return self.starts + 1

    def subset(self, index: np.ndarray) -> VariantTable:
        """The rows ``index`` (int array) as a new table."""
        idx = np.asarray(index, dtype=np.int64)
        return VariantTable(
            [self.chroms[i] for i in idx],
            self.starts[idx],
            [self.refs[i] for i in idx],
            [self.alts[i] for i in idx],
            [self.ids[i] for i in idx],
            self.labels[idx],
            self.info[idx],
            self.info_fields,
            self.path,
            self.checksum,
        )


def _parse_label(value: Any, path: str, where: str, field: str) -> int | None:
    """1 (pathogenic), 0 (benign), or None for a variant without a binary label.

    ClinVar-style values are split into terms (``Pathogenic/Likely_pathogenic``,
    ``Pathogenic|risk_factor``, ``Likely_pathogenic,_low_penetrance``): pathogenic terms alone give
    1, benign terms alone 0; both, or none (missing, ``.``, uncertain, conflicting, risk factor ...),
    give None. A term genoseq does not know is an error naming the record.
    """
    parts = value if isinstance(value, tuple) else (value,)
    # a Type=Float label field reads LABEL=1 as 1.0: the same label
    parts = tuple(int(p) if isinstance(p, float) and p.is_integer() else p for p in parts)
    terms = [
        term.strip(" _").lower().replace(" ", "_")
        for part in parts
        if part is not None
        for term in _LABEL_SPLIT.split(str(part))
    ]
    unknown = [t for t in terms if t not in _KNOWN_TERMS]
    if unknown:
        raise InputFormatError(
            f"INFO/{field}={value!r}: {unknown[0]!r} is not a binary label (use 1/0, pathogenic/benign; "
            "missing, uncertain or conflicting labels are left out)",
            path=path,
            record=where,
        )
    pathogenic = any(t in _POSITIVE for t in terms)
    benign = any(t in _NEGATIVE for t in terms)
    if pathogenic == benign:  # neither, or a conflict
        return None
    return 1 if pathogenic else 0


def _info_value(v: Any, field: str, number: int | str | None, path: str) -> float:
    """The numeric value of INFO/``field`` for one ALT allele (:class:`~genoseq.io.Variant` ``v``).

    ``Number=A`` fields are already this ALT's value; a ``Number=R`` field read as ``(ref, alt)``
    gives the ALT's; a ``Number=.`` field gives its one value, or with one value per ALT allele this
    ALT's. Missing (``.``, or a field the record lacks) is NaN; a Flag that is set is 1, and one
    the record lacks is missing like any absent field (value 0 with the missing flag set, once
    encoded: the same information as a 0). Any other count of values is an
    :class:`~genoseq.errors.InputFormatError` naming the record.
    """
    value = v.info.get(field)
    if isinstance(value, tuple):
        if number == "R" and len(value) == 2:
            value = value[1]
        elif len(value) == 1:
            value = value[0]
        elif len(value) == v.n_alts:
            value = value[v.alt_index]
        else:
            raise InputFormatError(
                f"INFO/{field} has {len(value)} values for {v.n_alts} ALT allele(s) (Number={number}):"
                " a feature takes one value per ALT (declare it Number=1, A or R)",
                path=path,
                record=v.where or f"{v.chrom}:{v.pos}",
            )
    if value is None or value is True or value is False:
        return math.nan if value is None else float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def info_values(
    variants: Sequence[Any], fields: Sequence[str], numbers: dict[str, Any], path: str
) -> np.ndarray:
    """float64 ``(len(variants), len(fields))``: each variant's INFO features (see :func:`_info_value`)."""
    return np.array(
        [[_info_value(v, f, numbers.get(f), path) for f in fields] for v in variants], dtype=np.float64
    ).reshape(len(variants), len(fields))


def check_info_fields(
    path: str | Path, label_field: str | None, info_fields: Sequence[str] = ()
) -> dict[str, Any]:
    """Check that a VCF's header declares ``label_field`` and the ``info_fields``, the latter numeric
    with one value per ALT allele; return ``{field: Number}`` of ``label_field`` and the ``info_fields``.

    Raises
    ------
    InputFormatError
        Naming the file, the missing (or non-numeric) fields and the declared ones.
    """
    from genoseq.io import vcf_header_info

    path = str(path)
    header = vcf_header_info(path)
    missing = [f for f in ([label_field] if label_field else []) + list(info_fields) if f not in header]
    if missing:
        raise InputFormatError(
            f"INFO field(s) {', '.join(missing)} not declared in the header "
            f"(declared: {', '.join(sorted(header)) or 'none'})",
            path=path,
        )
    check_info_numbers(path, header, info_fields)
    return {f: header[f][0] for f in ([label_field] if label_field else []) + list(info_fields)}


def check_info_numbers(
    path: str | Path, header: dict[str, tuple[Any, str, str]], info_fields: Sequence[str]
) -> None:
    """Refuse INFO features that are not numeric (``Type=String``/``Character``) or that hold several
    values per ALT allele (``Number=G`` or a fixed count above 1) with an :class:`InputFormatError`:
    a feature is one number, and which of several to use is not for genoseq to guess."""
    textual = [
        f"{f} (Type={header[f][1]})" for f in info_fields if header[f][1] not in ("Integer", "Float", "Flag")
    ]
    if textual:
        raise InputFormatError(
            f"INFO feature(s) {', '.join(textual)} are not numeric: features take Integer, Float or Flag fields",
            path=str(path),
        )
    several = [
        f"{f} (Number={header[f][0]})"
        for f in info_fields
        if header[f][0] == "G" or (isinstance(header[f][0], int) and header[f][0] > 1)
    ]
    if several:
        raise InputFormatError(
            f"INFO feature(s) {', '.join(several)} hold several values per ALT allele: a feature takes"
            " one (Number=1, A, R or .)",
            path=str(path),
        )


def read_variant_table(
    path: str | Path,
    reference: Reference,
    *,
    label_field: str | None = None,
    info_fields: Sequence[str] = (),
    region: str | None = None,
) -> VariantTable:
    """Read a VCF into a :class:`VariantTable` (multi-allelic split, symbolic alleles skipped).

    Parameters
    ----------
    label_field
        INFO field holding the binary label; ``None`` reads unlabelled variants (labels -1).
    info_fields
        Numeric INFO fields to keep as features; a field the VCF header does not declare is a
        :class:`~genoseq.errors.InputFormatError` naming it.
    """
    from genoseq.io import read_vcf

    path = str(path)
    numbers = check_info_fields(path, label_field, info_fields)
    label_number = numbers.get(label_field)
    chroms: list[str] = []
    starts: list[int] = []
    refs: list[str] = []
    alts: list[str] = []
    ids: list[str | None] = []
    labels: list[int] = []
    info: list[list[float]] = []
    skipped = unlabelled = 0
    fields = [f for f in (label_field, *info_fields) if f]  # the INFO values read: their text is checked
    for v in read_vcf(path, region=region, reference=reference, check_numbers=fields):
        if v.is_symbolic:
            skipped += 1
            continue
        where = v.where or f"{v.chrom}:{v.pos}"  # "line N (chrom:pos)" as other record errors
        raw_label = v.info.get(label_field) if label_field else None
        if label_number == "R" and isinstance(raw_label, tuple) and len(raw_label) == 2:
            raw_label = raw_label[1]  # (REF's, this ALT's): the ALT's label
        label = _parse_label(raw_label, path, where, label_field) if label_field else -1
        if label is None:
            unlabelled += 1
            continue
        chroms.append(v.chrom)
        starts.append(v.start)
        refs.append(v.ref)
        alts.append(v.alt)
        ids.append(v.id)
        labels.append(label)
        info.append([_info_value(v, f, numbers[f], path) for f in info_fields])
    if skipped:
        log.warning(
            "%s: skipped %d allele(s) that cannot be scored (symbolic like <DEL>, '*', or no ALT '.')",
            path,
            skipped,
        )
    if unlabelled:
        log.warning(
            "%s: left out %d variant(s) without a binary INFO/%s (missing, '.', uncertain or conflicting)",
            path,
            unlabelled,
            label_field,
        )
    lab = np.asarray(labels, dtype=np.int64)
    if label_field:
        if len(lab) == 0:
            raise InputFormatError("no labelled variants", path=path)
        if len(np.unique(lab)) < 2:
            raise InputFormatError(f"INFO/{label_field} holds a single class ({int(lab[0])})", path=path)
    return VariantTable(
        chroms,
        np.asarray(starts, dtype=np.int64),
        refs,
        alts,
        ids,
        lab,
        np.asarray(info, dtype=np.float64).reshape(len(chroms), len(info_fields)),
        list(info_fields),
        path,
        file_sha256(path),
    )


@dataclass(frozen=True)
class InfoFeatures:
    """How numeric INFO fields become model features (fitted on the training split).

    Each field ``f`` gives two features: its transformed, standardised value (0 when missing) and a
    missing flag. Fields whose training values all lie in [0, 1] (frequencies) are transformed with
    ``log10(x + 1e-5)``, others with ``asinh(x)``; then ``(t - mean) / std`` with training statistics.
    """

    fields: tuple[str, ...]
    log_fields: tuple[str, ...] = ()
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()

    @classmethod
    def fit(cls, fields: Sequence[str], values: np.ndarray) -> InfoFeatures:
        """Fit the transform on training values, float ``(n, len(fields))`` with NaN missing."""
        fields = tuple(fields)
        log_fields = []
        for j, f in enumerate(fields):
            col = values[:, j][np.isfinite(values[:, j])]
            if col.size and col.min() >= 0 and col.max() <= 1:
                log_fields.append(f)
        tmp = cls(fields, tuple(log_fields), (0.0,) * len(fields), (1.0,) * len(fields))
        with np.errstate(invalid="ignore", divide="ignore"):
            t = tmp._transform(values)
        mean, std = [], []
        for j in range(len(fields)):
            col = t[:, j][np.isfinite(t[:, j])]  # infinities count as missing, as in encode
            mean.append(float(col.mean()) if col.size else 0.0)
            sd = float(col.std()) if col.size else 1.0
            std.append(sd if sd > 1e-8 else 1.0)
        return cls(fields, tuple(log_fields), tuple(mean), tuple(std))

    def _transform(self, values: np.ndarray) -> np.ndarray:
        out = np.empty_like(values, dtype=np.float64)
        for j, f in enumerate(self.fields):
            out[:, j] = np.log10(values[:, j] + 1e-5) if f in self.log_fields else np.arcsinh(values[:, j])
        return out

    @property
    def n_features(self) -> int:
        return 2 * len(self.fields)

    @property
    def names(self) -> list[str]:
        return [n for f in self.fields for n in (f, f"{f}_missing")]

    def encode(self, values: np.ndarray, *, warn: bool = True) -> np.ndarray:
        """float ``(n, len(fields))`` with NaN missing → float32 ``(n, 2 * len(fields))``.

        Values the transform cannot take -- infinities, negative values of a frequency
        (log-transformed) field -- count as missing, with a warning (unless ``warn`` is false:
        the same values encoded again).
        """
        values = np.asarray(values, dtype=np.float64)
        invalid = np.isinf(values)
        for j, f in enumerate(self.fields):
            if f in self.log_fields:
                invalid[:, j] |= values[:, j] < 0
        if invalid.any():
            if warn:
                log.warning(
                    "%d INFO value(s) out of their field's range (negative frequencies, infinities) taken as missing",
                    int(invalid.sum()),
                )
            values = np.where(invalid, np.nan, values)
        t = (self._transform(values) - np.asarray(self.mean)) / np.asarray(self.std)
        missing = np.isnan(values)
        out = np.empty((values.shape[0], self.n_features), dtype=np.float32)
        out[:, 0::2] = np.where(missing, 0.0, t)
        out[:, 1::2] = missing
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "fields": list(self.fields),
            "log_fields": list(self.log_fields),
            "mean": list(self.mean),
            "std": list(self.std),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> InfoFeatures:
        unknown = set(d) - {"fields", "log_fields", "mean", "std"}
        if unknown:
            raise ConfigError(f"unknown info-feature key(s): {', '.join(sorted(unknown))}")
        return cls(tuple(d["fields"]), tuple(d.get("log_fields", ())), tuple(d["mean"]), tuple(d["std"]))


@dataclass
class VariantFeaturizer:
    """Turns variants into model inputs for a variant-risk model.

    Parameters
    ----------
    input_length
        Window length ``L``.
    encoding
        The model's encoding spec (``{"type": "onehot"}`` or ``{"type": "kmer", "k": .., "stride": ..}``).
    annotation
        Loci for channels and consequences, or ``None``.
    info
        Fitted INFO-feature transform, or ``None``.
    """

    input_length: int
    encoding: dict[str, Any]
    annotation: Annotation | None = None
    info: InfoFeatures | None = None
    _encoder: Any = field(default=None, init=False, repr=False)

    @property
    def n_channels(self) -> int:
        """Per-base annotation channels ``C`` (0 without an annotation)."""
        return len(CHANNELS) if self.annotation is not None else 0

    @property
    def n_features(self) -> int:
        """Per-variant features ``F``."""
        n = len(CONSEQUENCE_FEATURES) if self.annotation is not None else 0
        return n + (self.info.n_features if self.info is not None else 0)

    @property
    def in_channels(self) -> int:
        """Input channels of the CNN: 8 (ref and alt one-hot) + annotation channels."""
        return 8 + self.n_channels

    def encode(
        self, reference: Reference, table: VariantTable, *, warn: bool = True
    ) -> dict[str, np.ndarray]:
        """Model inputs for every variant of ``table`` (see the module docstring for shapes).

        Returns ``x`` (+ ``mask`` and ``tokens_extra`` for k-mer models) and ``features`` when
        there are any, plus ``ref_match`` bool ``(n,)``. ``warn=False`` leaves out the warning about
        out-of-range INFO values (for a second encoding of the same variants).
        """
        n, length = table.n, self.input_length
        ref_win = np.empty((n, length), dtype=np.uint8)
        alt_win = np.empty((n, length), dtype=np.uint8)
        match = np.empty(n, dtype=bool)
        annot = np.zeros((n, length, self.n_channels), dtype=np.float32)
        csq = np.zeros((n, len(CONSEQUENCE_FEATURES) if self.annotation else 0), dtype=np.float32)
        chroms = np.asarray(table.chroms, dtype=object)
        for chrom in dict.fromkeys(table.chroms):
            rows = np.flatnonzero(chroms == chrom)
            refs = [table.refs[i] for i in rows]
            alts = [table.alts[i] for i in rows]
            w = variant_windows(reference, chrom, table.starts[rows], refs, alts, length)
            ref_win[rows], alt_win[rows], match[rows] = w.ref, w.alt, w.ref_match
            if self.annotation is not None:
                annot[rows] = self.annotation.channels(chrom, table.starts[rows] - length // 2, length)
                csq[rows] = self.annotation.consequences(reference, chrom, table.starts[rows], refs, alts)
        out = self._encode_windows(ref_win, alt_win, annot)
        feats = [csq] if csq.shape[1] else []
        if self.info is not None:
            feats.append(self.info.encode(table.info, warn=warn))
        if feats:
            out["features"] = np.concatenate(feats, axis=1).astype(np.float32)
        out["ref_match"] = match
        return out

    def _encode_windows(
        self, ref_win: np.ndarray, alt_win: np.ndarray, annot: np.ndarray
    ) -> dict[str, np.ndarray]:
        from genoseq.tokenize import KmerTokenizer, OneHotEncoder

        kind = self.encoding.get("type")
        if kind == "onehot":
            enc = OneHotEncoder()
            x = np.concatenate([enc.encode_array(ref_win), enc.encode_array(alt_win), annot], axis=2)
            return {"x": x.astype(np.float32)}
        if kind == "kmer":
            k, stride = int(self.encoding["k"]), int(self.encoding.get("stride", 1))
            tok = KmerTokenizer(k=k, stride=stride)
            n, length = ref_win.shape
            ref_ids, _ = tok.encode_batch([r.tobytes().decode() for r in ref_win], add_special_tokens=False)
            alt_ids, _ = tok.encode_batch([a.tobytes().decode() for a in alt_win], add_special_tokens=False)
            t = ref_ids.shape[1]
            cls_, sep = 2, 3
            col = lambda v: np.full((n, 1), v, dtype=np.int64)  # noqa: E731
            ids = np.concatenate([col(cls_), ref_ids, col(sep), alt_ids, col(sep)], axis=1)
            mask = np.ones_like(ids, dtype=bool)
            extra = np.zeros((n, ids.shape[1], annot.shape[2]), dtype=np.float32)
            if annot.shape[2]:
                starts = np.arange(t) * stride
                csum = np.concatenate(
                    [np.zeros((n, 1, annot.shape[2]), np.float32), np.cumsum(annot, axis=1)], axis=1
                )
                per_tok = (csum[:, starts + k] - csum[:, starts]) / k
                extra[:, 1 : 1 + t] = per_tok
                extra[:, 2 + t : 2 + 2 * t] = per_tok
            out = {"x": ids, "mask": mask}
            if annot.shape[2]:
                out["tokens_extra"] = extra
            return out
        raise ConfigError(f"unknown encoding type {kind!r} for a variant model")

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_length": self.input_length,
            "encoding": self.encoding,
            "annotation": self.annotation is not None,
            "consequence_features": list(CONSEQUENCE_FEATURES) if self.annotation is not None else [],
            # how consequences are computed (see genoseq.data.annotation.CONSEQUENCE_RULES)
            **({"consequence_rules": CONSEQUENCE_RULES} if self.annotation is not None else {}),
            "info": self.info.to_dict() if self.info is not None else None,
        }


def block_ids(chroms: Sequence[str], starts: np.ndarray, block_size: int) -> np.ndarray:
    """Genomic block of each variant: int64 ``(n,)`` index of ``(chrom, start // block_size)``."""
    if block_size < 1:
        raise ConfigError(f"block size must be positive, got {block_size}")
    keys = [f"{c}\t{s // block_size}" for c, s in zip(chroms, np.asarray(starts).tolist(), strict=True)]
    uniq = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    return np.array([uniq[k] for k in keys], dtype=np.int64)


def block_folds(
    chroms: Sequence[str],
    starts: np.ndarray,
    labels: np.ndarray,
    *,
    n_folds: int,
    block_size: int,
    seed: int = 0,
) -> np.ndarray:
    """Assign whole genomic blocks to ``n_folds`` folds, balancing positives and negatives.

    Neighbouring variants share sequence context, so a block never straddles two folds. Blocks
    are taken largest share of the variants first (a block's share: its positives over all
    positives plus its negatives over all negatives; ties in a seeded random order), each going
    to the fold where its classes are scarcest so far — the fold with the fewest positives for a
    block of positives, the fewest negatives for one of negatives, weighed by the block's mix
    (ties: fewest variants, then the lowest fold). Each fold so ends near ``1/n_folds`` of either
    class, as far as whole blocks allow.

    Returns
    -------
    np.ndarray
        int64 ``(n,)`` fold index of each variant.
    """
    blocks = block_ids(chroms, starts, block_size)
    n_blocks = int(blocks.max()) + 1 if len(blocks) else 0
    if n_folds < 2:
        raise ConfigError(f"need at least 2 folds, got {n_folds}")
    if n_blocks < n_folds:
        raise ConfigError(
            f"only {n_blocks} genomic block(s) of {block_size} bp for {n_folds} folds: use a smaller block size"
        )
    rng = np.random.default_rng(seed)
    pos = np.bincount(blocks, weights=(labels == 1).astype(float), minlength=n_blocks)
    size = np.bincount(blocks, minlength=n_blocks).astype(float)
    # each class's counts as shares of its total (a class absent everywhere weighs nothing)
    share = np.stack([pos / max(pos.sum(), 1.0), (size - pos) / max((size - pos).sum(), 1.0)], axis=1)
    order = rng.permutation(n_blocks)
    order = order[np.argsort(-share[order].sum(axis=1), kind="stable")]
    fold_share = np.zeros((n_folds, 2))
    fold_n = np.zeros(n_folds)
    fold_of_block = np.empty(n_blocks, dtype=np.int64)
    for b in order:
        # the rise in the folds' sum of squared class shares, up to terms alike for every fold
        cost = fold_share @ share[b]
        f = int(np.lexsort((np.arange(n_folds), fold_n, cost))[0])
        fold_of_block[b] = f
        fold_share[f] += share[b]
        fold_n[f] += size[b]
    return fold_of_block[blocks]


class ArrayDataset:
    """Pre-encoded model inputs held in memory, served a batch at a time (the trainer's protocol).

    Parameters
    ----------
    arrays
        Model inputs with a leading dimension ``n`` (``x``, ``mask``, ``tokens_extra``, ``features``).
    labels
        int64 ``(n,)`` binary labels.
    """

    task = "binary"

    def __init__(self, arrays: dict[str, np.ndarray], labels: np.ndarray) -> None:
        self.arrays = arrays
        self.labels = np.asarray(labels, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def n_outputs(self) -> int:
        return 1

    def __getitems__(self, indices: Sequence[int]) -> dict[str, np.ndarray]:
        idx = np.asarray(indices, dtype=np.int64)
        batch = {k: v[idx] for k, v in self.arrays.items()}
        batch["y"] = self.labels[idx]
        return batch

    def __getitem__(self, i: int) -> dict[str, np.ndarray]:
        return self.__getitems__([int(i)])
