"""Annotation channels, consequences, INFO features and block folds for variant-risk models."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from Bio.Seq import Seq

from genoseq.data.annotation import CHANNELS, CONSEQUENCE_FEATURES, Annotation, Feature, feature_kind
from genoseq.data.variant_data import InfoFeatures, block_folds, block_ids, read_variant_table
from genoseq.errors import ConfigError, InputFormatError
from genoseq.io import Reference

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
MITO = Path(__file__).resolve().parents[1] / "data" / "mito"


def test_feature_kinds():
    assert feature_kind("MT-TL1", "tRNA_leucine_1", "+") == "trna"
    assert feature_kind("MT-RNR2", "16S_ribosomal_RNA", "+") == "rrna"
    assert feature_kind("MT-ND6", "NADH_dehydrogenase_subunit_6", "-") == "protein"
    assert feature_kind("MT-HV1", "Hypervariable_segment", ".") == "other"


def test_channels_phase_and_strand():
    feats = [Feature("c", 10, 19, "G1", "protein", "+"), Feature("c", 30, 39, "G2", "protein", "-")]
    ann = Annotation(feats)
    ch = ann.channels("c", np.array([5, 28]), 15)
    assert ch.shape == (2, 15, len(CHANNELS))
    p0 = CHANNELS.index("phase0")
    # window 0 covers 5..19: gene G1 bases 10..18 with phases 0,1,2,0,1,2,...
    phases = ch[0, 5:14, p0 : p0 + 3].argmax(axis=1)
    assert phases.tolist() == [0, 1, 2] * 3
    assert ch[0, :5].sum() == 0
    assert ch[0, 5:14, CHANNELS.index("strand_plus")].all()
    # minus strand: phase counted from the gene's end (base 38 is phase 0)
    phases = ch[1, 2:11, p0 : p0 + 3].argmax(axis=1)  # bases 30..38
    assert phases.tolist() == [2, 1, 0] * 3
    assert ch[1, 2:11, CHANNELS.index("strand_minus")].all()


@pytest.fixture(scope="module")
def mito():
    if not (MITO / "chrM.fa").exists():
        pytest.skip("bundled mito data missing")
    import shutil
    import tempfile

    tmp = Path(tempfile.mkdtemp())
    shutil.copy(MITO / "chrM.fa", tmp / "chrM.fa")
    with Reference(tmp / "chrM.fa") as ref:
        yield ref, Annotation.from_bed(MITO / "mitomap_loci.bed")


def _translate_both(ref, feat, pos, alt):
    """The gene's coding strand before and after the SNV, and both whole-gene translations (table 2)."""
    gene = ref.fetch("chrM", feat.start, feat.end).upper()
    mutated = gene[: pos - feat.start] + alt + gene[pos - feat.start + 1 :]
    if feat.strand == "-":
        gene, mutated = str(Seq(gene).reverse_complement()), str(Seq(mutated).reverse_complement())
    n = len(gene) // 3 * 3
    return gene, mutated, str(Seq(gene[:n]).translate(table=2)), str(Seq(mutated[:n]).translate(table=2))


def _slow_consequence(ref, feat, pos, alt):
    """Translate the whole gene with Biopython (table 2) before and after the SNV."""
    gene, mutated, a, b = _translate_both(ref, feat, pos, alt)
    n = len(gene) // 3 * 3
    diffs = [i for i in range(len(a)) if a[i] != b[i]]
    if not diffs:
        return "synonymous" if n > (pos - feat.start if feat.strand == "+" else feat.end - 1 - pos) else None
    i = diffs[0]
    if (
        i == 0
        and a[0] == "M"
        and gene[:3] in ("ATT", "ATC", "ATA", "ATG", "GTG")
        and mutated[:3] not in ("ATT", "ATC", "ATA", "ATG", "GTG")
    ):
        return "start_lost"
    if b[i] == "*":
        return "stop_gained"
    if a[i] == "*":
        return "stop_lost"
    return "missense"


def test_consequences_match_biopython_translation(mito):
    ref, ann = mito
    rng = random.Random(0)
    genes = [
        f
        for f in ann.features
        if f.kind == "protein" and f.name not in ("MT-ATP8", "MT-ATP6", "MT-ND4L", "MT-ND4")
    ]
    checked = 0
    for _ in range(150):
        f = rng.choice(genes)
        pos = rng.randrange(f.start, f.start + (f.end - f.start) // 3 * 3)
        base = ref.fetch("chrM", pos, pos + 1).upper()
        if base not in "ACGT":
            continue
        alt = rng.choice([b for b in "ACGT" if b != base])
        expected = _slow_consequence(ref, f, pos, alt)
        if expected is None:
            continue
        got = ann.consequences(ref, "chrM", np.array([pos]), [base], [alt])[0]
        names = [CONSEQUENCE_FEATURES[j] for j in np.flatnonzero(got)]
        assert "protein" in names
        assert expected in names, (f.name, pos + 1, base, alt, names)
        checked += 1
    assert checked > 100


def test_known_mito_variants(mito):
    ref, ann = mito
    cases = {
        (3243, "A", "G"): "trna",  # MELAS, MT-TL1
        (8993, "T", "G"): "missense",  # NARP, ATP6 L156R
        (11778, "G", "A"): "missense",  # LHON, ND4 R340H
        (14484, "T", "C"): "missense",  # LHON, ND6 (minus strand) M64V
    }
    for (pos, r, a), expect in cases.items():
        got = ann.consequences(ref, "chrM", np.array([pos - 1]), [r], [a])[0]
        assert got[CONSEQUENCE_FEATURES.index(expect)] == 1.0, (pos, expect)
    indel = ann.consequences(ref, "chrM", np.array([3305]), ["AT"], ["A"])[0]  # ND1's first base
    assert _coding(indel) == ["start_lost"]  # a base of the start codon removed (and the frame)
    inside = ann.consequences(ref, "chrM", np.array([3400]), ["AT"], ["A"])[0]  # inside ND1
    assert _coding(inside) == ["frameshift"]


def _coding(row: np.ndarray) -> list[str]:
    return [c for c in ("stop_gained", "start_lost", "frameshift", "stop_lost", "missense", "inframe_indel",
                        "synonymous") if row[CONSEQUENCE_FEATURES.index(c)]]  # fmt: skip


def test_an_mnv_is_translated_as_one_new_codon(mito):
    # its bases were changed one at a time and the worst kept: ATG>CGG (M>R) read as a stop-gain
    # (AGG, a stop in the vertebrate mitochondrial code), AAC>AGA (N>stop) as missense
    ref, ann = mito
    cases = {(3313, "AT", "CG"): "missense", (3320, "AC", "GA"): "stop_gained"}
    for (pos, r, a), expect in cases.items():
        assert ref.fetch("chrM", pos - 1, pos - 1 + len(r)) == r
        assert _coding(ann.consequences(ref, "chrM", np.array([pos - 1]), [r], [a])[0]) == [expect], pos


def test_an_incomplete_stop_codon_is_completed_not_read_into_the_next_gene(mito):
    # MT-ND3 ends in T-- and MT-CO3 likewise (polyadenylation makes TAA); the codon was filled from
    # the tRNA after them, so T>C read as CTG (Leu, synonymous) or TAC (Tyr, missense)
    ref, ann = mito
    for pos in (10404, 9990):
        assert ref.fetch("chrM", pos - 1, pos) == "T"
        assert _coding(ann.consequences(ref, "chrM", np.array([pos - 1]), ["T"], ["C"])[0]) == ["stop_lost"]
    # MT-ND1 ends in TA-: TA(A) > AG(A) is AGA, a stop in this code: stop to stop
    got = ann.consequences(ref, "chrM", np.array([4260]), ["TA"], ["AG"])[0]
    assert _coding(got) == ["synonymous"]


def test_a_deletion_of_bases_after_a_gene_is_not_a_frameshift_in_it(mito):
    # MT-CO1 ends at 7445: AC>A there deletes tRNA-Ser1's first base, keeping CO1's last as the anchor
    ref, ann = mito
    assert _coding(ann.consequences(ref, "chrM", np.array([7444]), ["AC"], ["A"])[0]) == []
    assert _coding(ann.consequences(ref, "chrM", np.array([7443]), ["GA"], ["G"])[0]) == ["frameshift"]
    # an insertion after a gene's last base is outside it; one before it, inside
    assert _coding(ann.consequences(ref, "chrM", np.array([7444]), ["A"], ["AGG"])[0]) == []
    assert _coding(ann.consequences(ref, "chrM", np.array([7443]), ["G"], ["GTT"])[0]) == ["frameshift"]


def test_an_indel_is_framed_by_the_bases_it_removes_from_and_inserts_into_the_gene(mito):
    # MT-CO2 starts at 0-based 7585, after tRNA-Asp: REF bases replaced in CO2 were ignored when
    # ALT was longer (no consequence); a deletion across a gene's edge was framed by its whole length
    ref, ann = mito
    for pos0, r, a in [(7584, "AAT", "CGAAT"), (7584, "AA", "AGTT")]:
        assert ref.fetch("chrM", pos0, pos0 + len(r)) == r
        assert _coding(ann.consequences(ref, "chrM", np.array([pos0]), [r], [a])[0]) == ["start_lost"]
    # in frame inside CO1 (3 bases out), a frameshift (3 out and 2 in, no shared first base)
    four = ref.fetch("chrM", 6000, 6004)
    assert _coding(ann.consequences(ref, "chrM", np.array([6000]), [four], [four[0]])[0]) == ["inframe_indel"]
    two = "".join("C" if b != "C" else "G" for b in four[:2])
    assert _coding(ann.consequences(ref, "chrM", np.array([6000]), [four[:3]], [two])[0]) == ["frameshift"]
    # MT-ND4L's start codon, and only it, deleted: start lost (the rest of the deletion is before it)
    assert ref.fetch("chrM", 10467, 10472) == "AAATG"
    assert _coding(ann.consequences(ref, "chrM", np.array([10467]), ["AAATG"], ["A"])[0]) == ["start_lost"]
    # MT-ND6 is on the minus strand: its start codon is the genome's last three bases of the gene
    nd6 = next(f for f in ann.features if f.name == "MT-ND6")
    at = nd6.end - 4  # the base before the start codon, on the genome's left of it
    bases = ref.fetch("chrM", at, at + 2)
    assert _coding(ann.consequences(ref, "chrM", np.array([at]), [bases], [bases[0]])[0]) == ["start_lost"]
    # bases inserted between two bases of a start codon (MT-ND1's, plus strand; MT-ND6's, minus) split it
    for pos0 in (3306, 3307, nd6.end - 3, nd6.end - 2):
        base = ref.fetch("chrM", pos0, pos0 + 1)
        got = ann.consequences(ref, "chrM", np.array([pos0]), [base], [base + "GT"])[0]
        assert _coding(got) == ["start_lost"], pos0
    before = ref.fetch("chrM", 3305, 3306)  # between ND1's first base and the one before it: outside
    assert _coding(ann.consequences(ref, "chrM", np.array([3305]), [before], [before + "G"])[0]) == []


def test_change_descriptors_match_biopython_translation(mito):
    """BLOSUM62, hydropathy and positions of random missense SNVs, from whole-gene translations."""
    from Bio.Align import substitution_matrices
    from Bio.SeqUtils.ProtParam import ProtParamData

    blosum, kd = substitution_matrices.load("BLOSUM62"), ProtParamData.kd
    ref, ann = mito
    col = {name: j for j, name in enumerate(CONSEQUENCE_FEATURES)}
    rng = random.Random(1)
    genes = [f for f in ann.features if f.kind == "protein" and f.name in ("MT-ND1", "MT-CO1", "MT-ND6")]
    checked = 0
    for _ in range(120):
        f = rng.choice(genes)
        pos = rng.randrange(f.start, f.start + (f.end - f.start) // 3 * 3)
        base = ref.fetch("chrM", pos, pos + 1).upper()
        alt = rng.choice([b for b in "ACGT" if b != base])
        if _slow_consequence(ref, f, pos, alt) != "missense":
            continue
        _, _, a, b = _translate_both(ref, f, pos, alt)
        i = next(j for j in range(len(a)) if a[j] != b[j])
        got = ann.consequences(ref, "chrM", np.array([pos]), [base], [alt])[0]
        assert got[col["blosum62"]] == pytest.approx(blosum[a[i]][b[i]] / 4)
        assert got[col["hydropathy_ref"]] == pytest.approx(kd[a[i]] / 4.5)
        assert got[col["hydropathy_alt"]] == pytest.approx(kd[b[i]] / 4.5)
        assert got[col["hydropathy_change"]] == pytest.approx(abs(kd[a[i]] - kd[b[i]]) / 9)
        context = [kd[c] for c in a[max(i - 9, 0) : i + 10] if c in kd]  # residues, not a stop
        assert got[col["hydropathy_context"]] == pytest.approx(np.mean(context) / 4.5, abs=1e-6)
        assert got[col["to_proline"]] == float(b[i] == "P")
        rel = (pos - f.start) / (f.end - f.start - 1)
        assert got[col["protein_position"]] == pytest.approx(1 - rel if f.strand == "-" else rel)
        checked += 1
    assert checked > 30


def test_hydropathy_context_leaves_a_complete_stop_codon_out(mito):
    """MT-CO1 ends in a whole stop codon (AGA in code 2): the ±9 residues' mean is over residues only."""
    from Bio.SeqUtils.ProtParam import ProtParamData

    kd = ProtParamData.kd
    ref, ann = mito
    j = CONSEQUENCE_FEATURES.index("hydropathy_context")
    co1 = next(f for f in ann.features if f.name == "MT-CO1")
    assert co1.strand == "+" and (co1.end - co1.start) % 3 == 0
    checked = 0
    for pos in range(co1.end - 30, co1.end - 3):  # the last codons before the stop
        base = ref.fetch("chrM", pos, pos + 1).upper()
        for alt in (b for b in "ACGT" if b != base):
            if _slow_consequence(ref, co1, pos, alt) != "missense":
                continue
            _, _, a, _ = _translate_both(ref, co1, pos, alt)
            assert a.endswith("*")
            i = (pos - co1.start) // 3
            window = a[max(i - 9, 0) : i + 10]
            assert "*" in window
            got = ann.consequences(ref, "chrM", np.array([pos]), [base], [alt])[0][j]
            assert got == pytest.approx(np.mean([kd[c] for c in window if c != "*"]) / 4.5, abs=1e-6)
            checked += 1
    assert checked > 10


def test_change_descriptors_of_known_variants(mito):
    ref, ann = mito
    col = {name: j for j, name in enumerate(CONSEQUENCE_FEATURES)}
    lhon = ann.consequences(ref, "chrM", np.array([11777]), ["G"], ["A"])[0]  # ND4 R340H
    assert lhon[col["blosum62"]] == 0.0 and lhon[col["transition"]] == 1.0
    narp = ann.consequences(ref, "chrM", np.array([8992]), ["T"], ["G"])[0]  # ATP6 L156R
    assert narp[col["blosum62"]] == -0.5 and narp[col["transition"]] == 0.0
    assert narp[col["hydropathy_change"]] == pytest.approx((3.8 + 4.5) / 9)
    melas = ann.consequences(ref, "chrM", np.array([3242]), ["A"], ["G"])[0]  # MT-TL1 3230-3304
    assert melas[col["trna_position"]] == pytest.approx(13 / 74)
    assert melas[col["blosum62"]] == 0.0 and melas[col["protein_position"]] == 0.0
    assert ref.fetch("chrM", 3306, 3309) == "ATA"  # ND1 codon 1: ATA -> ATG is Met -> Met (table 2)
    synonymous = ann.consequences(ref, "chrM", np.array([3308]), ["A"], ["G"])[0]
    assert synonymous[col["synonymous"]] == 1.0
    assert synonymous[col["hydropathy_ref"]] == 0.0  # no substitution: descriptors stay 0


def test_info_features_missing_explicit():
    vals = np.array([[0.0, 5.0], [0.5, np.nan], [1e-3, 2.0]])
    spec = InfoFeatures.fit(["AF", "DP"], vals)
    assert spec.log_fields == ("AF",)
    enc = spec.encode(vals)
    assert enc.shape == (3, 4)
    assert enc[1, 3] == 1.0 and enc[1, 2] == 0.0  # missing flag, zero value
    assert enc[0, 1] == 0.0
    t = np.log10(vals[:, 0] + 1e-5)
    assert enc[:, 0] == pytest.approx((t - t.mean()) / t.std(), abs=1e-5)
    assert InfoFeatures.from_dict(spec.to_dict()) == spec
    with pytest.raises(ConfigError):
        InfoFeatures.from_dict({**spec.to_dict(), "bogus": 1})


def test_block_folds_never_split_a_block():
    rng = np.random.default_rng(0)
    starts = np.sort(rng.integers(0, 20_000, size=400))
    chroms = ["c"] * 400
    labels = (rng.random(400) < 0.2).astype(np.int64)
    folds = block_folds(chroms, starts, labels, n_folds=5, block_size=1000, seed=1)
    blocks = block_ids(chroms, starts, 1000)
    for b in np.unique(blocks):
        assert len(np.unique(folds[blocks == b])) == 1
    assert set(folds.tolist()) == set(range(5))
    pos_per_fold = [int(labels[folds == f].sum()) for f in range(5)]
    assert max(pos_per_fold) - min(pos_per_fold) <= max(np.bincount(blocks, weights=labels))
    neg_per_fold = [int((labels[folds == f] == 0).sum()) for f in range(5)]
    assert max(neg_per_fold) - min(neg_per_fold) <= max(np.bincount(blocks, weights=1 - labels))
    with pytest.raises(ConfigError):
        block_folds(chroms, starts, labels, n_folds=50, block_size=1000)


def test_block_folds_spread_blocks_without_positives_by_size():
    """Blocks of negatives only went, all of them, to the fold with the fewest positives."""
    starts = np.repeat(np.arange(20) * 1000, 10) + np.tile(np.arange(10) * 50, 20)
    labels = np.isin(starts // 1000, (0, 7, 13)).astype(np.int64)  # 3 blocks of 10 positives
    folds = block_folds(["chrM"] * 200, starts, labels, n_folds=4, block_size=1000, seed=0)
    assert np.bincount(folds).tolist() == [50, 50, 50, 50]
    assert sorted(np.bincount(folds, weights=labels).astype(int).tolist()) == [0, 10, 10, 10]


def test_read_labelled_vcf(mito, tmp_path):
    ref, _ = mito
    table = read_variant_table(
        MITO / "labelled_variants.vcf", ref, label_field="LABEL", info_fields=["AF_hom", "AF_het"]
    )
    assert table.n == 805
    assert int(table.labels.sum()) == 125
    assert table.info.shape == (805, 2)
    with pytest.raises(InputFormatError, match="NOPE"):
        read_variant_table(MITO / "labelled_variants.vcf", ref, label_field="LABEL", info_fields=["NOPE"])
    one_class = tmp_path / "one.vcf"
    one_class.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chrM,length=16569>\n"
        '##INFO=<ID=LABEL,Number=1,Type=Integer,Description="l">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "chrM\t10\t.\tT\tC\t.\tPASS\tLABEL=0\n"
    )
    with pytest.raises(InputFormatError, match="single class"):
        read_variant_table(one_class, ref, label_field="LABEL")
    # a Type=Float label field: htslib reads LABEL=1 as 1.0, which was 'not a binary label'
    floats = tmp_path / "float.vcf"
    text = (MITO / "labelled_variants.vcf").read_text()
    floats.write_text(text.replace("ID=LABEL,Number=1,Type=Integer", "ID=LABEL,Number=1,Type=Float"))
    assert "Type=Float" in floats.read_text()
    np.testing.assert_array_equal(read_variant_table(floats, ref, label_field="LABEL").labels, table.labels)
    floats.write_text(floats.read_text().replace("LABEL=1;", "LABEL=1.5;", 1))
    with pytest.raises(InputFormatError, match="'1.5' is not a binary label"):
        read_variant_table(floats, ref, label_field="LABEL")


def test_clinvar_style_labels_and_unlabelled_variants(mito, tmp_path, caplog):
    ref, _ = mito
    seq = ref.fetch("chrM", 0, 40)
    labels = ["Pathogenic/Likely_pathogenic", "Benign/Likely_benign", "Uncertain_significance", ".", "benign"]
    lines = [
        "##fileformat=VCFv4.2",
        "##contig=<ID=chrM,length=16569>",
        '##INFO=<ID=CLNSIG,Number=.,Type=String,Description="clinical significance">',
        '##INFO=<ID=SOURCE,Number=1,Type=String,Description="where from">',
        '##INFO=<ID=AF,Number=A,Type=Float,Description="frequency">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    for i, label in enumerate(labels):
        pos = 10 + 5 * i
        base = seq[pos - 1]
        info = f"CLNSIG={label};SOURCE=x;AF=0.01" if label != "." else "SOURCE=x;AF=0.01"
        lines.append(f"chrM\t{pos}\t.\t{base}\t{'A' if base != 'A' else 'C'}\t.\tPASS\t{info}")
    vcf = tmp_path / "clinvar.vcf"
    vcf.write_text("\n".join(lines) + "\n")
    with caplog.at_level("WARNING", logger="genoseq.data.variant_data"):
        table = read_variant_table(vcf, ref, label_field="CLNSIG", info_fields=["AF"])
    assert table.labels.tolist() == [1, 0, 0]
    assert "left out 2 variant(s) without a binary INFO/CLNSIG" in caplog.text
    with pytest.raises(InputFormatError, match=r"SOURCE \(Type=String\) are not numeric"):
        read_variant_table(vcf, ref, label_field="CLNSIG", info_fields=["SOURCE"])
    bad = tmp_path / "bad.vcf"
    bad.write_text(vcf.read_text().replace("CLNSIG=benign", "CLNSIG=maybe"))
    with pytest.raises(InputFormatError, match="'maybe' is not a binary label"):
        read_variant_table(bad, ref, label_field="CLNSIG")


def test_info_features_and_labels_take_each_alts_own_value(mito, tmp_path):
    """Number=R gives the ALT's value (not the REF's), Number=. one value per ALT gives each ALT's;
    a feature with several values per ALT is refused."""
    ref, _ = mito
    seq = ref.fetch("chrM", 0, 40)
    alts = [b for b in "ACGT" if b != seq[9]]
    lines = [
        "##fileformat=VCFv4.2",
        "##contig=<ID=chrM,length=16569>",
        '##INFO=<ID=FR,Number=R,Type=Float,Description="per allele">',
        '##INFO=<ID=FD,Number=.,Type=Float,Description="any count">',
        '##INFO=<ID=LR,Number=R,Type=String,Description="label per allele">',
        '##INFO=<ID=F2,Number=2,Type=Float,Description="two">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
        f"chrM\t10\t.\t{seq[9]}\t{alts[0]},{alts[1]}\t.\tPASS\tFR=0.9,0.1,0.2;FD=0.3,0.4;LR=benign,pathogenic,benign;F2=1,2",
        f"chrM\t20\t.\t{seq[19]}\t{'A' if seq[19] != 'A' else 'C'}\t.\tPASS\tFR=0.9,0.5;FD=0.7;LR=benign,benign;F2=1,2",
    ]
    vcf = tmp_path / "per_alt.vcf"
    vcf.write_text("\n".join(lines) + "\n")
    table = read_variant_table(vcf, ref, label_field="LR", info_fields=["FR", "FD"])
    assert table.labels.tolist() == [1, 0, 0]
    np.testing.assert_allclose(table.info, [[0.1, 0.3], [0.2, 0.4], [0.5, 0.7]], rtol=1e-6)  # float32 in VCF
    with pytest.raises(InputFormatError, match=r"F2 \(Number=2\) hold several values per ALT"):
        read_variant_table(vcf, ref, label_field="LR", info_fields=["F2"])
    three = tmp_path / "three.vcf"
    three.write_text(vcf.read_text().replace("FD=0.3,0.4;", "FD=0.3,0.4,0.5;"))
    with pytest.raises(InputFormatError, match=r"chrM:10.*INFO/FD has 3 values for 2 ALT allele\(s\)"):
        read_variant_table(three, ref, label_field="LR", info_fields=["FD"])


def test_out_of_range_info_values_count_as_missing(caplog):
    feats = InfoFeatures.fit(["AF"], np.array([[0.0], [0.1], [0.5], [np.nan]]))
    assert feats.log_fields == ("AF",)
    with caplog.at_level("WARNING", logger="genoseq.data.variant_data"):
        encoded = feats.encode(np.array([[-0.5], [np.inf], [0.1]]))
    assert np.isfinite(encoded).all()
    assert encoded[:, 1].tolist() == [1.0, 1.0, 0.0]  # the missing flags
    assert "2 INFO value(s) out of their field's range" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="genoseq.data.variant_data"):
        again = feats.encode(np.array([[-0.5], [np.inf], [0.1]]), warn=False)  # the same values again
    np.testing.assert_array_equal(again, encoded)
    assert "out of their field's range" not in caplog.text


def test_genetic_codes_and_label_leaks_are_checked():
    from genoseq.variants.risk_model import VariantModelOptions

    for code in (0, 99):
        with pytest.raises(ConfigError, match=f"unknown NCBI genetic code {code}"):
            VariantModelOptions(genetic_code=code)
        with pytest.raises(ConfigError, match="unknown NCBI genetic code"):
            Annotation([], code)
    assert VariantModelOptions(genetic_code=2).genetic_code == 2
    with pytest.raises(ConfigError, match="includes the label field LABEL"):
        VariantModelOptions(label_field="LABEL", info_features=("AF_hom", "LABEL"))


def test_clinvar_terms_are_read_term_by_term():
    from genoseq.data.variant_data import _parse_label

    cases = {
        "Pathogenic|risk_factor": 1,
        "Pathogenic/Likely_pathogenic/Likely_risk_allele": 1,
        ("Likely_pathogenic", "_low_penetrance"): 1,
        "Benign/Likely_benign": 0,
        "drug_response": None,
        "Pathogenic|Benign": None,  # a conflict
        "no_classification_for_the_single_variant": None,
        None: None,
    }
    for value, expected in cases.items():
        assert _parse_label(value, "v.vcf", "chrM:1", "CLNSIG") == expected, value
    with pytest.raises(InputFormatError, match="'maybe' is not a binary label"):
        _parse_label("Pathogenic|maybe", "v.vcf", "chrM:1", "CLNSIG")


def test_infinite_training_values_count_as_missing():
    feats = InfoFeatures.fit(["DP"], np.array([[1.0], [2.0], [np.inf], [3.0]]))
    assert all(np.isfinite(feats.mean)) and all(np.isfinite(feats.std))
    assert np.isfinite(feats.encode(np.array([[1.0], [np.inf]]))).all()


def test_a_bad_label_names_its_line(mito, tmp_path):
    """Label errors named only chrom:pos; other record errors name the line too."""
    ref, _ = mito
    vcf = tmp_path / "bad_label.vcf"
    vcf.write_text(
        '##fileformat=VCFv4.2\n##contig=<ID=chrM,length=16569>\n'
        '##INFO=<ID=LABEL,Number=1,Type=String,Description="label">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        f"chrM\t10\t.\t{ref.fetch('chrM', 9, 10)}\tA\t.\t.\tLABEL=benign\n"
        f"chrM\t20\t.\t{ref.fetch('chrM', 19, 20)}\tA\t.\t.\tLABEL=maybe\n"
    )
    with pytest.raises(InputFormatError, match=r"line 6 \(chrM:20\).*'maybe' is not a binary label"):
        read_variant_table(vcf, ref, label_field="LABEL")
