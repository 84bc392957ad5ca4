"""The Snakemake workflow: lint, config validation, dry-runs (local and SLURM), quoting, end to end."""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pysam
import pytest
import yaml

from genoseq.cli import main

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "Snakefile"
TEST_CONFIG = REPO / "workflows" / ".test" / "config.yaml"
TEST_CONFIG_SEQUENCE = REPO / "workflows" / ".test" / "config-sequence.yaml"
PATH_KEYS = [
    ("reference",),
    ("variant_risk", "vcf"),
    ("variant_risk", "annotation"),
    ("sequence", "train_table"),
    ("sequence", "eval_table"),
    ("sequence", "regions"),
    ("score", "vcf"),
]

pytestmark = pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake is not installed")


def _snakemake(*args: str, cwd: Path = REPO, timeout: int = 170) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _materialise(config: Path, workdir: Path, **overrides: object) -> Path:
    """Copy a repository config into ``workdir`` with its paths made absolute (the reference copied)."""
    cfg = yaml.safe_load(config.read_text())
    for keys in PATH_KEYS:
        node = cfg
        for k in keys[:-1]:
            node = node.get(k, {})
        if node.get(keys[-1]):
            node[keys[-1]] = str(REPO / node[keys[-1]])
    ref = workdir / "ref" / Path(cfg["reference"]).name
    ref.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cfg["reference"], ref)  # its .fai is built here, not in the repository
    cfg["reference"] = str(ref)
    cfg["outdir"] = "results"
    cfg.update(overrides)
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _job_counts(dry_run_output: str) -> dict[str, int]:
    """``{rule: count}`` from the "Job stats" table of a dry-run."""
    table = dry_run_output.split("Job stats:", 1)[1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, flags=re.M) if m[1] != "total"}


def _data_lines(path: Path) -> list[list[str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as fh:
        return [ln.rstrip("\n").split("\t") for ln in fh if not ln.startswith("#")]


# ------------------------------------------------------------------------------------- static checks


@pytest.mark.parametrize("config", [None, TEST_CONFIG_SEQUENCE], ids=["default", "sequence"])
def test_lint_is_clean(config: Path | None) -> None:
    args = ["--lint"] + ([] if config is None else ["--configfile", str(config)])
    result = _snakemake(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Lints for" not in result.stdout + result.stderr


def test_default_dry_run_plans_the_whole_dag() -> None:
    result = _snakemake("-n", "--nolock", "--forceall")
    assert result.returncode == 0, result.stderr
    counts = _job_counts(result.stdout + result.stderr)
    cfg = yaml.safe_load((REPO / "workflows" / "config" / "config.yaml").read_text())
    assert counts == {
        "index_reference": 1,
        "prepare": 1,
        "prepare_score": 1,
        "train": 1,
        "cross_validate": 1,
        "split_vcf": 1,
        "score_shard": cfg["score"]["shards"],
        "gather_scores": 1,
        "report": 1,
        "all": 1,
    }
    out = result.stdout + result.stderr
    assert "results/mito/gnomad_chrM.risk.parquet" in out
    assert "results/mito/gnomad_chrM.risk.vcf.gz" in out


@pytest.mark.parametrize("config", [None, TEST_CONFIG_SEQUENCE], ids=["default", "sequence"])
def test_every_step_of_the_issue_is_a_target(config: Path | None) -> None:
    """`snakemake prepare|train|evaluate|calibrate|score|report` plan in both modes."""
    args = [] if config is None else ["--configfile", str(config)]
    for target in ("prepare", "train", "evaluate", "calibrate", "score", "report"):
        plan = _snakemake("-n", target, *args)
        assert plan.returncode == 0, (target, plan.stdout + plan.stderr)


def test_sequence_config_plans_calibration() -> None:
    result = _snakemake("-n", "--nolock", "--forceall", "--configfile", str(TEST_CONFIG_SEQUENCE))
    assert result.returncode == 0, result.stderr
    counts = _job_counts(result.stdout + result.stderr)
    assert counts["calibrate"] == 1 and counts["evaluate"] == 1 and counts["score_shard"] == 2
    assert "cross_validate" not in counts


def test_regions_split_reaches_predict_and_refuses_centered(tmp_path: Path) -> None:
    cfg = yaml.safe_load(TEST_CONFIG_SEQUENCE.read_text())
    cfg["sequence"] |= {"regions_centered": False, "regions_split": True}
    config = tmp_path / "split.yaml"
    config.write_text(yaml.safe_dump(cfg))
    result = _snakemake("-n", "-p", "--nolock", "--forceall", "--configfile", str(config))
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert re.search(r"genoseq -v predict .* --regions .* --split ", out), out
    cfg["sequence"]["regions_centered"] = True
    config.write_text(yaml.safe_dump(cfg))
    refused = _snakemake("-n", "--nolock", "--configfile", str(config))
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "sequence.regions_centered and sequence.regions_split" in out, out


@pytest.mark.skipif(
    importlib.util.find_spec("snakemake_executor_plugin_slurm") is None,
    reason="snakemake-executor-plugin-slurm is not installed (pip install -e '.[cluster]')",
)
def test_slurm_profile_dry_run_requests_a_gpu_for_training() -> None:
    result = _snakemake("--profile", "workflows/profiles/slurm", "--dry-run", "--nolock", "--forceall")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert _job_counts(out)["score_shard"] >= 1
    train = out.split("rule train:", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"\bgpu=1\b", train), train
    assert "slurm_partition=gpu" in train
    # a job given a GPU asks PyTorch for one (device auto -> cuda): a CPU-only build fails loudly
    assert re.search(r"genoseq -v train .* --device cuda ", out), out


def _dry_run_printing(config: Path, text: str) -> str:
    """Write the config ``text`` to ``config``, dry-run the whole workflow on it printing the commands,
    check that it plans, and return what Snakemake said."""
    config.write_text(text)
    result = _snakemake("-n", "-p", "--nolock", "--forceall", "--configfile", str(config))
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    return out


def test_own_data_does_not_inherit_the_demo_annotation_names_or_title(tmp_path: Path) -> None:
    """Only reference and VCF given: the MITOMAP BED, the gnomAD output name and title do not carry over."""
    own = tmp_path / "own_genome.fa"
    own.write_text((REPO / "data" / "mito" / "chrM.fa").read_text())
    sites = tmp_path / "my_sites.vcf.gz"
    sites.write_bytes(b"")  # a dry run only checks that inputs exist
    out = _dry_run_printing(tmp_path / "own.yaml", f"reference: {own}\nscore: {{vcf: {sites}}}\n")
    assert "your own data" in out and "variant_risk.annotation: none" in out
    assert "results/own_genome/my_sites.risk.parquet" in out
    assert "mitomap_loci.bed" not in out and "gnomad_chrM" not in out
    assert "genoseq: variant risk (my_sites)" in out
    # a name derived from a file name keeps to the schema's characters (a space or '$' went through)
    odd = tmp_path / "my $HOME sites.vcf.gz"
    odd.write_bytes(b"")
    out = _dry_run_printing(tmp_path / "odd.yaml", f"reference: {own}\nscore: {{vcf: '{odd}'}}\n")
    assert "results/own_genome/my__HOME_sites.risk.parquet" in out, out


def test_a_sequence_model_never_shares_the_demo_output_folder(tmp_path: Path) -> None:
    """model_kind: sequence on the bundled reference: its own folder (in results/mito its model would
    meet, and replace, the variant-risk one); an own reference with the bundled VCF to score is warned of."""
    table = REPO / "workflows" / ".test" / "data" / "seq_train.csv"
    config = tmp_path / "seq.yaml"
    out = _dry_run_printing(
        config, f"model_kind: sequence\nsequence: {{train_table: {table}, eval_table: {table}}}\n"
    )
    assert "outdir: results/mito-sequence" in out and "results/mito-sequence/model" in out
    assert " results/mito/" not in out and "variant_risk.annotation" not in out
    own = tmp_path / "own.fa"
    own.write_text((REPO / "data" / "mito" / "chrM.fa").read_text())
    config.write_text(f"reference: {own}\n")
    result = _snakemake("-n", "--nolock", "--forceall", "--configfile", str(config))
    assert "WARNING: score.vcf is still the bundled" in result.stdout + result.stderr
    assert "WARNING: variant_risk.vcf is still the bundled" in result.stdout + result.stderr


def test_learning_rate_given_or_left_to_genoseq_train(tmp_path: Path) -> None:
    """train.lr null (the default) leaves --lr to genoseq train's per-model default; a number is passed."""
    config = tmp_path / "lr.yaml"
    config.write_text("train: {lr: 0.002}\n")
    result = _snakemake("-n", "-p", "--nolock", "--forceall", "--configfile", str(config))
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert re.search(r"genoseq -v train .* --lr 0\.002 ", out) and "cross-validate" in out, out
    # cross_validate once, train's three spellings of one command (resume, afresh after a misfit, afresh)
    assert len(re.findall(r"--lr 0\.002", out)) == 4, out
    default = _snakemake("-n", "-p", "--nolock", "--forceall")
    assert default.returncode == 0 and "--lr" not in default.stdout + default.stderr
    # YAML 1.1 reads `1e-3` as text (it wants `1.0e-3`); the README and schema write it so
    config.write_text("train: {lr: 1e-3}\n")
    result = _snakemake("-n", "-p", "--nolock", "--forceall", "--configfile", str(config))
    assert result.returncode == 0 and "--lr 0.001 " in result.stdout + result.stderr, result.stderr


def test_a_misspelt_input_path_is_a_short_error_even_with_old_results(tmp_path: Path) -> None:
    """Snakemake would skip a job whose outputs exist without asking for its (missing) input, and hand
    back the last run's results: the workflow names the missing file first."""
    config = tmp_path / "typo.yaml"
    config.write_text(f"score: {{vcf: {tmp_path / 'nope' / 'sites.vcf.gz'}}}\n")
    result = _snakemake("-n", "--nolock", "--configfile", str(config))
    out = result.stdout + result.stderr
    assert (
        result.returncode != 0
        and f"config: score.vcf: {tmp_path / 'nope' / 'sites.vcf.gz'}: no such file" in out
    )
    config.write_text(f"variant_risk: {{annotation: {tmp_path}}}\n")
    result = _snakemake("-n", "--nolock", "--configfile", str(config))
    assert f"config: variant_risk.annotation: {tmp_path}: is a directory" in result.stdout + result.stderr
    # braces would be wildcards: the jobs that read the file were left out of the plan (old results)
    braced = tmp_path / "sites{v2}.vcf"
    shutil.copyfile(REPO / "workflows" / ".test" / "data" / "score.vcf", braced)
    config.write_text(yaml.safe_dump({"score": {"vcf": str(braced), "name": "v2"}}))
    result = _snakemake("-n", "--nolock", "--configfile", str(config))
    assert result.returncode != 0
    assert f"config: score.vcf: {braced}: '{{' or '}}' in a path" in result.stdout + result.stderr


SCHEMA = REPO / "workflows" / "schemas" / "config.schema.yaml"
DEFAULT_CONFIG = REPO / "workflows" / "config" / "config.yaml"


def _validate(cfg: dict) -> dict:
    from snakemake.utils import validate

    validate(cfg, str(SCHEMA))  # the Snakefile's own call; fills in defaults
    return cfg


def test_schema_accepts_the_shipped_configs_and_fills_defaults() -> None:
    for path in (DEFAULT_CONFIG, TEST_CONFIG, TEST_CONFIG_SEQUENCE):
        _validate(yaml.safe_load(path.read_text()))
    cfg = _validate(yaml.safe_load(TEST_CONFIG_SEQUENCE.read_text()))
    assert cfg["resources"]["default"] == {"threads": 1, "mem_mb": 2000, "runtime": 30, "gpu": 0}
    assert cfg["score"]["strand"] == "model"  # the model's recorded policy
    assert cfg["train"]["nproc"] == 1


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"trian": {"epochs": 1}}, "trian"),  # a misspelt top-level key
        ({"score": {"shard": 3}}, "shard"),  # a misspelt nested key
        ({"score": {"shards": 0}}, "0"),  # out of range
        ({"model_kind": "both"}, "both"),
        ({"train": {"nproc": "4; rm -rf /"}}, "rm -rf"),  # only an integer may reach the launcher
        ({"resources": {"train": {"gpus": 1}}}, "gpus"),
        ({"model_kind": "sequence"}, "train_table"),  # the sequence branch needs its tables
    ],
)
def test_schema_rejects_bad_configs(change: dict, needle: str) -> None:
    from snakemake.exceptions import WorkflowError

    cfg = yaml.safe_load(DEFAULT_CONFIG.read_text())
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key] = {**cfg[key], **value}
        else:
            cfg[key] = value
    with pytest.raises(WorkflowError, match=re.escape(needle)):
        _validate(cfg)


def test_a_misspelt_key_is_a_short_error(tmp_path: Path) -> None:
    """Not validate()'s dump of the whole schema: the key, where, and the keys known there."""
    config = tmp_path / "bad.yaml"
    config.write_text("train: {epohcs: 2}\n")
    result = _snakemake("-n", "--nolock", "--configfile", str(config))
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "config: unknown key 'train.epohcs' (known here: batch_size" in out
    assert len(out.splitlines()) < 15, out
    # from another directory, and inside a shared definition (resources.<rule>)
    config.write_text("resources: {train: {thread: 8}}\n")
    result = _snakemake("-n", "--configfile", str(config), "-d", str(tmp_path), cwd=tmp_path)
    assert "config: unknown key 'resources.train.thread' (known here: gpu" in result.stdout + result.stderr


@pytest.mark.parametrize(("strand", "expected"), [("model", None), ("forward", "--strand forward")])
def test_scoring_rules_pass_the_strand_only_when_set(
    tmp_path: Path, strand: str, expected: str | None
) -> None:
    config = _materialise(TEST_CONFIG_SEQUENCE, tmp_path)
    cfg = yaml.safe_load(config.read_text())
    cfg["score"]["strand"] = strand
    config.write_text(yaml.safe_dump(cfg))
    result = _snakemake("-n", "-p", "--configfile", str(config), "-d", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    commands = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if "genoseq -v score-variants" in line
        or "genoseq -v calibrate" in line
        or "genoseq -v evaluate" in line
    ]
    assert len(commands) >= 3
    for line in commands:
        assert ("--strand" in line) == (expected is not None), line
        if expected is not None:
            assert expected in line, line


def test_snakefile_validates_its_config(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"evaluate": {"fold": 3}}))
    result = _snakemake("-n", "--nolock", "--configfile", str(path))
    assert result.returncode != 0
    assert "fold" in result.stderr + result.stdout


def test_config_paths_are_quoted_never_executed(tmp_path: Path) -> None:
    """Paths with spaces, quotes and `$(...)` reach the genoseq CLI verbatim, and nothing runs them."""
    weird = tmp_path / "a dir; echo $(touch PWNED) 'x'"
    weird.mkdir()
    vcf = weird / "sites $(touch PWNED2).vcf"
    shutil.copyfile(REPO / "workflows" / ".test" / "data" / "score.vcf", vcf)
    config = _materialise(TEST_CONFIG, weird, outdir="out put; $(touch PWNED3)")
    cfg = yaml.safe_load(config.read_text())
    cfg["score"]["vcf"] = str(vcf)
    config.write_text(yaml.safe_dump(cfg))
    outdir = weird / cfg["outdir"]
    target = Path(cfg["outdir"]) / "score" / "shards" / "shard_001.vcf"  # relative, as the rules name it
    result = _snakemake("--cores", "1", "--configfile", str(config), "-d", str(weird), str(target), cwd=weird)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads((outdir / "prepare" / "score_vcf.json").read_text())
    assert summary["vcfs"][-1]["path"] == str(vcf)
    assert len(_data_lines(weird / target)) == 12  # 25 records in 2 shards
    assert not list(tmp_path.rglob("PWNED*"))
    assert not list(Path.cwd().glob("PWNED*"))


# ------------------------------------------------------------------------------------------ end to end


def _check_scores(workdir: Path, score_vcf: Path, name: str) -> pl.DataFrame:
    table = pl.read_parquet(workdir / "results" / f"{name}.risk.parquet")
    records = _data_lines(score_vcf)
    alleles = [(int(f[1]), f[3], a) for f in records for a in f[4].split(",")]
    assert list(zip(table["pos"], table["ref"], table["alt"], strict=True)) == alleles
    risk = table["risk"].drop_nulls()
    assert risk.len() == len(alleles)
    assert ((risk >= 0) & (risk <= 1)).all()
    vcf_out = workdir / "results" / f"{name}.risk.vcf.gz"
    assert [f[:5] for f in _data_lines(vcf_out)] == [f[:5] for f in records]
    with pysam.VariantFile(str(vcf_out)) as vf:  # indexed, annotated
        fetched = list(vf.fetch("chrM"))
        assert len(fetched) == len(records)
        assert all("GENOSEQ_RISK" in rec.info for rec in fetched)
    report = (workdir / "results" / "report.html").read_text()
    assert "data:image/png;base64," in report
    assert not re.search(r'src="(?!data:)', report)
    return table


def _has_variant_risk_commands() -> bool:
    return "cross-validate" in main.list_commands(None)  # type: ignore[arg-type]


@pytest.mark.skipif(not _has_variant_risk_commands(), reason="`genoseq cross-validate` is not available yet")
def test_end_to_end_variant_risk(tmp_path: Path) -> None:
    config = _materialise(TEST_CONFIG, tmp_path)
    result = _snakemake(
        "--cores", "2", "--configfile", str(config), "-d", str(tmp_path), cwd=tmp_path, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    cfg = yaml.safe_load(config.read_text())
    _check_scores(tmp_path, Path(cfg["score"]["vcf"]), cfg["score"]["name"])
    metrics = json.loads((tmp_path / "results" / "evaluate" / "cv_metrics.json").read_text())
    assert metrics
    assert list((tmp_path / "results" / "evaluate" / "plots").glob("*.png"))
    assert (tmp_path / "results" / "model" / "config.json").exists()

    # other training labels retrain and rescore, but do not re-check and re-split the scored VCF
    labels = tmp_path / "labels.vcf"
    text = Path(cfg["variant_risk"]["vcf"]).read_text()
    labels.write_text(text.replace("\n", "\n##edited=1\n", 1))
    relabelled = tmp_path / "relabelled.yaml"
    relabelled.write_text(
        yaml.safe_dump({**cfg, "variant_risk": {**cfg["variant_risk"], "vcf": str(labels)}})
    )
    plan = _snakemake("-n", "--configfile", str(relabelled), "-d", str(tmp_path), cwd=tmp_path)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    counts = _job_counts(plan.stdout + plan.stderr)
    assert {"prepare", "train", "score_shard"} <= set(counts), plan.stdout + plan.stderr
    assert not {"prepare_score", "split_vcf", "index_reference"} & set(counts), counts
    # ... and other labels with another VCF to score re-check and re-split that VCF too (an ancient()
    # link from prepare_score to prepare hid its new input whenever prepare reran: the old VCF was scored)
    both = tmp_path / "both.yaml"
    other_sites = tmp_path / "other_sites.vcf"
    shutil.copyfile(cfg["score"]["vcf"], other_sites)
    both.write_text(
        yaml.safe_dump(
            {
                **cfg,
                "variant_risk": {**cfg["variant_risk"], "vcf": str(labels)},
                "score": {**cfg["score"], "vcf": str(other_sites)},
            }
        )
    )
    plan = _snakemake("-n", "--configfile", str(both), "-d", str(tmp_path), cwd=tmp_path)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    counts = _job_counts(plan.stdout + plan.stderr)
    assert {"prepare", "prepare_score", "split_vcf", "train"} <= set(counts), counts

    # scoring another VCF redoes the scoring, never the training or the cross-validation
    other = tmp_path / "other.vcf"
    shutil.copyfile(cfg["score"]["vcf"], other)
    cfg["score"]["vcf"] = str(other)
    config.write_text(yaml.safe_dump(cfg))
    plan = _snakemake("-n", "--configfile", str(config), "-d", str(tmp_path), cwd=tmp_path)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    counts = _job_counts(plan.stdout + plan.stderr)
    assert counts.get("prepare_score") == 1 and counts.get("score_shard", 0) >= 1, counts
    assert not {"prepare", "train", "cross_validate"} & set(counts), counts

    # an interrupted train job leaves its checkpoint in results/work/train (Snakemake deletes a failed
    # job's directory() output): the next try resumes it, or starts afresh when it does not fit
    model, work = tmp_path / "results" / "model", tmp_path / "results" / "work" / "train"
    weights = (model / "model.safetensors").read_bytes()
    shutil.copytree(model, work)  # a checkpoint of these very settings (here a finished one)
    again = _snakemake(
        "--cores",
        "1",
        "--configfile",
        str(config),
        "-d",
        str(tmp_path),
        "--forcerun",
        "train",
        "--",
        "train",
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    log = (tmp_path / "results" / "logs" / "train.log").read_text()
    assert "resumed from" in log and (model / "model.safetensors").read_bytes() == weights
    assert not work.exists()
    shutil.copytree(model, work)
    cfg["train"]["epochs"] += 1  # other settings: the checkpoint does not fit
    config.write_text(yaml.safe_dump(cfg))
    fresh = _snakemake(
        "--cores", "1", "--configfile", str(config), "-d", str(tmp_path), "--", "train", cwd=tmp_path
    )
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    log = (tmp_path / "results" / "logs" / "train.log").read_text()
    assert "cannot resume: epochs was" in log and (model / "config.json").exists() and not work.exists()
    # any other failure of the resumed run fails the job and keeps the checkpoint for the next try
    shutil.copytree(model, work)
    cfg["train"]["extra_args"] = ["--set", "conv_filters=0"]
    config.write_text(yaml.safe_dump(cfg))
    broken = _snakemake(
        "--cores", "1", "--configfile", str(config), "-d", str(tmp_path), "--", "train", cwd=tmp_path
    )
    assert broken.returncode != 0 and (work / "checkpoint.safetensors").exists()
    assert not (model / "config.json").exists()


def test_end_to_end_sequence(tmp_path: Path) -> None:
    config = _materialise(TEST_CONFIG_SEQUENCE, tmp_path)
    cfg = yaml.safe_load(config.read_text())
    cfg["train"]["nproc"] = 2  # the torchrun launcher: two data-parallel processes (gloo on CPU)
    config.write_text(yaml.safe_dump(cfg))
    result = _snakemake(
        "--cores", "2", "--configfile", str(config), "-d", str(tmp_path), cwd=tmp_path, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    _check_scores(tmp_path, Path(cfg["score"]["vcf"]), cfg["score"]["name"])
    results = tmp_path / "results"
    metrics = json.loads((results / "evaluate" / "metrics.json").read_text())
    assert 0.0 <= metrics["accuracy"] <= 1.0
    roc_pr = results / "evaluate" / "plots" / "roc_pr.png"  # the curves on the evaluation table
    assert roc_pr.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    calibration = json.loads((results / "model_calibrated" / "calibration.json").read_text())
    assert calibration
    assert not (results / "model" / "calibration.json").exists()  # the trained model stays as trained
    trained = json.loads((results / "model" / "config.json").read_text())
    assert trained["training"]["world_size"] == 2
    # the configured BED regions, scored centred by the trained (uncalibrated) model
    regions = pl.read_parquet(results / "regions.predictions.parquet")
    assert regions.get_column("name").to_list() == ["dloop_piece", "site_minus", "end_of_contig"]
    assert (regions.get_column("window_end") - regions.get_column("window_start")).to_list() == [70] * 3
    assert regions.get_column("window_end")[2] > 16569  # N where the window runs off chrM's end
    assert regions.get_column("p_1").is_between(0, 1).all()
    # Snakemake's own report gathers the plots and genoseq's report.html
    html = tmp_path / "snakemake_report.html"
    made = _snakemake("--report", str(html), "--configfile", str(config), "-d", str(tmp_path), cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    for name in ("roc_pr.png", "training_curves.png", "report.html"):
        assert f"Adding {name}" in made.stdout + made.stderr, made.stdout + made.stderr
    assert html.stat().st_size > 100_000
    # a second run has nothing to do
    again = _snakemake("-n", "--configfile", str(config), "-d", str(tmp_path), cwd=tmp_path)
    assert again.returncode == 0
    assert "Nothing to be done" in again.stdout + again.stderr
