"""Per-base annotation channels and per-variant consequence features from a BED of loci.

A BED feature's **kind** is read from its name, description (extra columns) and strand:

* ``trna``: "tRNA" in the name/description, or a name like ``MT-T<letter>``;
* ``rrna``: "rRNA" / "ribosomal" in the name/description, or a name like ``MT-RNR<n>``;
* ``protein``: any other stranded (``+``/``-``) feature — a protein-coding gene;
* ``other``: unstranded elements (control region, promoters, origins, …).

**Channels** (per base of a window, float32, in :data:`CHANNELS` order): one flag per kind, the strand
of the covering gene (``strand_plus``, ``strand_minus``), and the codon phase of protein-coding bases
(``phase0..2``, counted from the gene's 5' end on its own strand).

**Consequence features** (per variant, in :data:`CONSEQUENCE_FEATURES` order): the kind of feature
hit at the variant (one flag per kind, ``intergenic`` if none), then the most severe coding
consequence under the contig's genetic code (Biopython's NCBI tables; table 2, vertebrate
mitochondrial, for ``chrM``/``MT``, table 1 elsewhere): ``synonymous``, ``missense``,
``stop_gained``, ``stop_lost``, ``start_lost``, ``frameshift``, ``inframe_indel``; then numeric
descriptors of the change (:data:`CHANGE_FEATURES`), 0 where they do not apply:

* for an amino-acid substitution (the first codon of a coding SNV/MNV whose residue changes): the BLOSUM62 score
  of the substitution (÷ 4), the Kyte–Doolittle hydropathy of the reference and the new residue
  (÷ 4.5), its absolute change (÷ 9), the mean hydropathy of the reference peptide ±9 residues
  around it (÷ 4.5; transmembrane helices score high), and flags for a change to proline, from
  glycine, and to or from cysteine (Biopython's BLOSUM62 and hydropathy tables);
* the relative position (0 at the 5' end, 1 at the 3' end, on the feature's own strand) within the
  covering protein-coding gene, tRNA or rRNA;
* ``transition``: 1 for A↔G and C↔T single-base changes.

These descriptors only use the reference and the BED; substitution severity and the membrane
context are what separate damaging from tolerated missense changes in the absence of conservation.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from genoseq.errors import ConfigError, InputFormatError
from genoseq.io.contigs import contig_key

if TYPE_CHECKING:
    from genoseq.io import Reference

KINDS = ("protein", "trna", "rrna", "other")
CHANNELS = (*KINDS, "strand_plus", "strand_minus", "phase0", "phase1", "phase2")
CODING = ("synonymous", "missense", "stop_gained", "stop_lost", "start_lost", "frameshift", "inframe_indel")
#: numeric descriptors of the change (see the module docstring)
CHANGE_FEATURES = (
    "blosum62",
    "hydropathy_ref",
    "hydropathy_alt",
    "hydropathy_change",
    "hydropathy_context",
    "to_proline",
    "from_glycine",
    "cysteine_change",
    "protein_position",
    "trna_position",
    "rrna_position",
    "transition",
)
CONSEQUENCE_FEATURES = (*KINDS, "intergenic", *CODING, *CHANGE_FEATURES)
#: the consequence features of genoseq 0.1 models (before :data:`CHANGE_FEATURES`)
LEGACY_CONSEQUENCE_FEATURES = (*KINDS, "intergenic", *CODING)
#: most severe first
#: the version of the rules that compute the consequence features, recorded by a variant-risk model
#: (1 for a model that records none); what each version changed is in :data:`CONSEQUENCE_RULE_CHANGES`
CONSEQUENCE_RULES = 3
#: what each version of the rules changed from the one before (named when a model of older rules is loaded)
CONSEQUENCE_RULE_CHANGES = {
    2: "MNVs as one codon, incomplete stop codons completed, indels framed by the bases they change in a gene",
    3: "stop and untranslatable codons left out of the +-9-residue hydropathy context (they counted as 0)",
}

_SEVERITY = (
    "stop_gained",
    "start_lost",
    "frameshift",
    "stop_lost",
    "missense",
    "inframe_indel",
    "synonymous",
)
_COMP = str.maketrans("ACGTN", "TGCAN")


@dataclass(frozen=True)
class Feature:
    """One annotated locus (0-based half-open)."""

    chrom: str
    start: int
    end: int
    name: str
    kind: str
    strand: str


def feature_kind(name: str, description: str, strand: str) -> str:
    """Classify a BED feature as ``protein``, ``trna``, ``rrna`` or ``other`` (see module docstring)."""
    text = f"{name} {description}"
    if re.search(r"trna", text, re.I) or re.fullmatch(r"MT-T[A-Z]\d?", name):
        return "trna"
    if re.search(r"rrna|ribosomal", text, re.I) or re.fullmatch(r"MT-RNR\d", name):
        return "rrna"
    if strand in ("+", "-"):
        return "protein"
    return "other"


def check_genetic_code(code: int) -> None:
    """ConfigError unless ``code`` is an NCBI genetic code id that Biopython knows."""
    from Bio.Data.CodonTable import unambiguous_dna_by_id

    if code not in unambiguous_dna_by_id:
        raise ConfigError(
            f"unknown NCBI genetic code {code} (known: {', '.join(map(str, sorted(unambiguous_dna_by_id)))})"
        )


def genetic_code_for(contig: str) -> int:
    """NCBI genetic code id for a contig: 2 (vertebrate mitochondrial) for chrM/MT, else 1."""
    return 2 if contig_key(contig) == "MT" else 1


class Annotation:
    """Loci from a BED file, turned into per-base channels and per-variant consequence features.

    Parameters
    ----------
    features
        The loci.
    genetic_code
        NCBI genetic code id for every contig; ``None`` picks per contig (:func:`genetic_code_for`).
    """

    def __init__(self, features: list[Feature], genetic_code: int | None = None) -> None:
        if genetic_code is not None:
            check_genetic_code(genetic_code)
        self.features = features
        self.genetic_code = genetic_code
        self._by_contig: dict[str, list[Feature]] = {}
        self._peptides: dict[Feature, str] = {}
        for f in features:
            self._by_contig.setdefault(contig_key(f.chrom), []).append(f)

    @classmethod
    def from_bed(cls, path: str | Path, genetic_code: int | None = None) -> Annotation:
        """Read loci from a BED file (via :func:`genoseq.io.read_bed`)."""
        from genoseq.io import read_bed

        df = read_bed(path)
        extra = [c for c in df.columns if c not in ("chrom", "start", "end", "name", "score", "strand")]
        feats = []
        for row in df.iter_rows(named=True):
            name = row.get("name") or ""
            strand = row.get("strand") or "."
            desc = " ".join(str(row[c]) for c in extra if row[c] is not None)
            feats.append(
                Feature(
                    row["chrom"],
                    int(row["start"]),
                    int(row["end"]),
                    name,
                    feature_kind(name, desc, strand),
                    strand,
                )
            )
        return cls(feats, genetic_code)

    def covers(self, chrom: str) -> bool:
        """Whether any locus lies on contig ``chrom`` (names harmonised: ``chrM`` = ``MT``, ``chr1`` = ``1``)."""
        return contig_key(chrom) in self._by_contig

    def check_covers(self, contigs: Sequence[str], *, path: str | None = None) -> None:
        """Raise unless a locus lies on one of ``contigs`` (else every annotation channel would be 0).

        Raises
        ------
        InputFormatError
            Naming ``path`` (the BED), the variants' contigs and the BED's own.
        """
        if any(self.covers(c) for c in contigs):
            return

        def some(names: Sequence[str], n: int = 5) -> str:
            return ", ".join(names[:n]) + (", …" if len(names) > n else "")

        raise InputFormatError(
            f"the annotation has no locus on the variants' contigs ({some(contigs) or 'none'}; its own:"
            f" {some(self.contigs) or 'none'}), so its channels would all be 0: give a BED for this"
            " reference, or train without the annotation",
            path=path,
        )

    @property
    def contigs(self) -> list[str]:
        """The contigs of the loci, as the BED spells them (first spelling seen)."""
        return list(dict.fromkeys(f.chrom for f in self.features))

    def _overlapping(self, chrom: str, start: int, end: int) -> list[Feature]:
        return [f for f in self._by_contig.get(contig_key(chrom), []) if f.start < end and f.end > start]

    def channels(self, chrom: str, starts: np.ndarray, length: int) -> np.ndarray:
        """Annotation channels for windows ``[s, s + length)`` on ``chrom``.

        Parameters
        ----------
        starts
            int ``(n,)``: 0-based window starts (may be negative or past the contig end).

        Returns
        -------
        np.ndarray
            float32 ``(n, length, len(CHANNELS))``.
        """
        starts = np.asarray(starts, dtype=np.int64)
        n = len(starts)
        out = np.zeros((n, length, len(CHANNELS)), dtype=np.float32)
        if n == 0:
            return out
        lo, hi = int(starts.min()), int(starts.max()) + length
        span = np.zeros((hi - lo, len(CHANNELS)), dtype=np.float32)
        for f in self._overlapping(chrom, lo, hi):
            a, b = max(f.start, lo) - lo, min(f.end, hi) - lo
            span[a:b, CHANNELS.index(f.kind)] = 1.0
            if f.strand in ("+", "-"):
                span[a:b, CHANNELS.index("strand_plus" if f.strand == "+" else "strand_minus")] = 1.0
            if f.kind == "protein":
                pos = np.arange(a, b) + lo
                phase = (pos - f.start) % 3 if f.strand == "+" else (f.end - 1 - pos) % 3
                span[a + np.arange(b - a), CHANNELS.index("phase0") + phase] = 1.0
        idx = (starts - lo)[:, None] + np.arange(length)[None, :]
        return span[idx]

    def consequences(
        self, reference: Reference, chrom: str, starts: np.ndarray, refs: list[str], alts: list[str]
    ) -> np.ndarray:
        """Consequence features of variants on ``chrom``; float32 ``(n, len(CONSEQUENCE_FEATURES))``."""
        from Bio.Data.CodonTable import unambiguous_dna_by_id

        code = unambiguous_dna_by_id[self.genetic_code or genetic_code_for(chrom)]
        table, stops, starts_c = code.forward_table, set(code.stop_codons), set(code.start_codons)
        col = {name: j for j, name in enumerate(CONSEQUENCE_FEATURES)}
        out = np.zeros((len(starts), len(CONSEQUENCE_FEATURES)), dtype=np.float32)
        for i, (s, ref, alt) in enumerate(zip(np.asarray(starts).tolist(), refs, alts, strict=True)):
            ref, alt = ref.upper(), alt.upper()
            feats = self._overlapping(chrom, s, s + max(len(ref), 1))
            if not feats:
                out[i, col["intergenic"]] = 1.0
            if len(ref) == 1 and len(alt) == 1 and {ref, alt} in ({"A", "G"}, {"C", "T"}):
                out[i, col["transition"]] = 1.0
            worst = None
            for f in feats:
                out[i, col[f.kind]] = 1.0
                if f.kind in ("protein", "trna", "rrna") and f.start <= s < f.end:
                    rel = (s - f.start) / max(f.end - f.start - 1, 1)
                    out[i, col[f"{f.kind}_position"]] = 1.0 - rel if f.strand == "-" else rel
                if f.kind != "protein":
                    continue
                csq, first = _coding_consequence(reference, chrom, f, s, ref, alt, table, stops, starts_c)
                if csq is not None and (worst is None or _SEVERITY.index(csq) < _SEVERITY.index(worst)):
                    worst = csq
                if first is not None:
                    self._substitution(reference, chrom, f, table, first, out[i], col)
            if worst is not None:
                out[i, col[worst]] = 1.0
        return out

    def _peptide(self, reference: Reference, chrom: str, f: Feature, table: dict[str, str]) -> str:
        """The reference translation of a protein-coding feature (``X`` for untranslatable codons)."""
        cached = self._peptides.get(f)
        if cached is None:
            dna = reference.fetch(chrom, f.start, f.end, pad=True).upper()
            if f.strand == "-":
                dna = dna.translate(_COMP)[::-1]
            cached = "".join(table.get(dna[j : j + 3], "X") for j in range(0, len(dna) - 2, 3))
            self._peptides[f] = cached
        return cached

    def _substitution(
        self,
        reference: Reference,
        chrom: str,
        f: Feature,
        table: dict[str, str],
        first: tuple[str | None, str | None, int],
        row: np.ndarray,
        col: dict[str, int],
    ) -> None:
        """Fill the amino-acid descriptors of ``row`` from the first changed codon in ``f``.

        ``first`` is ``(residue before, residue after, offset from the gene's 5' end)``; nothing is
        filled for an untranslatable codon, a stop or a synonymous change.
        """
        before, after, offset = first
        if before is None or after is None or "*" in (before, after) or before == after:
            return
        hydropathy = _hydropathy()
        row[col["blosum62"]] = _blosum62()[before][after] / 4.0
        row[col["hydropathy_ref"]] = hydropathy[before] / 4.5
        row[col["hydropathy_alt"]] = hydropathy[after] / 4.5
        row[col["hydropathy_change"]] = abs(hydropathy[after] - hydropathy[before]) / 9.0
        peptide = self._peptide(reference, chrom, f, table)
        i = offset // 3
        # residues only: a stop codon (complete, at the C-terminus) or an untranslatable one is none
        context = [hydropathy[a] for a in peptide[max(i - 9, 0) : i + 10] if a in hydropathy]
        row[col["hydropathy_context"]] = float(np.mean(context)) / 4.5 if context else 0.0
        row[col["to_proline"]] = float(after == "P")
        row[col["from_glycine"]] = float(before == "G")
        row[col["cysteine_change"]] = float("C" in (before, after))


def _translate(codon: str, table: dict[str, str], stops: set[str]) -> str | None:
    if codon in stops:
        return "*"
    return table.get(codon)


def _coding_consequence(
    reference: Reference,
    chrom: str,
    f: Feature,
    start: int,
    ref: str,
    alt: str,
    table: dict[str, str],
    stops: set[str],
    start_codons: set[str],
) -> tuple[str | None, tuple[str | None, str | None, int] | None]:
    """Most severe coding consequence in ``f``, and ``(residue before, after, offset)`` of the first
    changed codon inside ``f`` (``None`` for indels or no change inside ``f``).

    A substitution's changed bases are applied together, codon by codon (an MNV's two bases in one
    codon make one new codon, not two single-base changes); ``first`` is the first codon whose
    residue changes, else the first changed one. An indel: :func:`_indel_consequence`.
    """
    if len(ref) != len(alt):
        return _indel_consequence(f, start, ref, alt), None
    edits: dict[int, dict[int, str]] = {}  # codon (from the gene's 5' end) -> {base in it: alt base}
    for j, (rb, ab) in enumerate(zip(ref, alt, strict=True)):
        pos = start + j
        if rb == ab or not f.start <= pos < f.end:
            continue
        offset = pos - f.start if f.strand == "+" else f.end - 1 - pos
        edits.setdefault(offset // 3, {})[offset % 3] = ab if f.strand == "+" else ab.translate(_COMP)
    worst = None
    first = None
    for index, changed in edits.items():  # in genome order of their first change
        codon = _codon(reference, chrom, f, index)
        mutated = "".join(changed.get(k, codon[k]) for k in range(3))
        before, after = _translate(codon, table, stops), _translate(mutated, table, stops)
        if first is None or (first[0] == first[1] and before != after):
            # the first changed codon whose residue changes (an MNV's first codon may be synonymous)
            first = (before, after, 3 * index + min(changed))
        if before is None or after is None:
            continue
        if index == 0 and codon in start_codons and mutated not in start_codons:
            csq = "start_lost"
        elif before == after:
            csq = "synonymous"
        elif after == "*":
            csq = "stop_gained"
        elif before == "*":
            csq = "stop_lost"
        else:
            csq = "missense"
        if worst is None or _SEVERITY.index(csq) < _SEVERITY.index(worst):
            worst = csq
    return worst, first


def _indel_consequence(f: Feature, start: int, ref: str, alt: str) -> str | None:
    """The consequence in gene ``f`` of a variant whose REF and ALT differ in length, from the bases
    it removes from ``f`` and inserts into it (``None``: neither).

    The bases removed are REF's after a shared first base (the VCF anchor, kept), else all of REF;
    the bases inserted are ALT's after that anchor. Inserted bases count in ``f`` when they replace
    bases of ``f``, or, replacing none (a pure insertion), when both bases around them are in ``f``.
    The frame changes by the net count; removing a base of the first codon (on the gene's strand),
    or inserting bases between two of its bases, is ``start_lost``, of the last codon ``stop_lost``,
    where more severe than the frame's consequence.
    """
    anchored = bool(ref) and bool(alt) and ref[0] == alt[0]
    lo = start + 1 if anchored else start  # the first base removed, or where the insertion goes
    hi = start + len(ref)  # after the last base removed
    inserted = len(alt) - (1 if anchored else 0)
    removed = max(0, min(hi, f.end) - max(lo, f.start))
    if lo < hi:
        inserted_in = inserted if removed else 0
    else:
        inserted_in = inserted if f.start <= lo - 1 and lo < f.end else 0
    if not removed and not inserted_in:
        return None
    csq = "frameshift" if (inserted_in - removed) % 3 else "inframe_indel"
    last = (f.end - f.start) % 3 or 3  # bases of the last codon, an incomplete stop's included
    five, three = ((f.start, f.start + 3), (f.end - last, f.end))
    if f.strand == "-":
        five, three = (f.end - 3, f.end), (f.start, f.start + last)
    for (a, b), name in ((five, "start_lost"), (three, "stop_lost")):
        # a base of the codon removed, or bases inserted between two of its bases
        hit = max(lo, a) < min(hi, b) if removed else a <= lo - 1 and lo < b
        if hit and _SEVERITY.index(name) < _SEVERITY.index(csq):
            csq = name
    return csq


def _codon(reference: Reference, chrom: str, f: Feature, index: int) -> str:
    """Codon ``index`` (0 at the gene's 5' end) of gene ``f``, on the gene's strand.

    Bases past the gene's 3' end read ``A``: a gene whose length is not a multiple of three ends in an
    incomplete stop (``T``, ``TA``) that polyadenylation completes to ``TAA``, as six human mtDNA
    genes do; the bases after it belong to the next gene (a tRNA), not to this codon.
    """
    if f.strand == "+":
        c0 = f.start + 3 * index
        codon = reference.fetch(chrom, c0, min(c0 + 3, f.end), pad=True).upper()
    else:
        c_end = f.end - 3 * index
        codon = (
            reference.fetch(chrom, max(c_end - 3, f.start), c_end, pad=True).upper().translate(_COMP)[::-1]
        )
    return codon + "A" * (3 - len(codon))


@functools.cache
def _blosum62() -> Any:
    from Bio.Align import substitution_matrices

    return substitution_matrices.load("BLOSUM62")


@functools.cache
def _hydropathy() -> dict[str, float]:
    from Bio.SeqUtils.ProtParam import ProtParamData

    return dict(ProtParamData.kd)
