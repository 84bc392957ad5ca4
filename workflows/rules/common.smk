# Shared names and small helpers for the rules: output paths, per-rule resources, quoted CLI options.
import os
import re
import shlex
import sys

import yaml

# Keys of the default config that describe the bundled mtDNA demo follow its data. A config that
# points the workflow at another reference (or another VCF to score) and leaves them as they are
# gets generic values instead: the demo's MITOMAP annotation is for data/mito/chrM.fa only, and its
# output name, report title and output directory name the demo's files.
with open(os.path.join(workflow.basedir, "workflows", "config", "config.yaml")) as _fh:
    _DEMO = yaml.safe_load(_fh)


def _stem(path):
    """A file's name without directory and VCF/FASTA/compression extensions, in the characters the
    schema allows a name (``[A-Za-z0-9_.-]``; any other, a space or a ``$``, becomes ``_``)."""
    name = os.path.basename(str(path))
    for ext in (".gz", ".bgz", ".vcf", ".bcf", ".fasta", ".fa", ".fna"):
        name = name[: -len(ext)] if name.endswith(ext) else name
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "variants"


def _user_set(*keys):
    """Whether the user's --configfile / --config gave this (nested) key (remote jobs get the same)."""
    node = getattr(getattr(workflow, "config_settings", None), "overwrite_config", None) or {}
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def _same_path(a, b):
    """Whether two configured paths name one file (however spelt)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normpath(os.path.abspath(str(a))) == os.path.normpath(os.path.abspath(str(b)))


def _follow_own_data(config):
    """Replace the demo-only values a config inherited when it brings its own data (in place).

    A value is replaced only when the user's own config did not set it and it is still the demo's.
    """

    def inherited(*keys):
        value, demo = config, _DEMO
        for key in keys:
            value, demo = value[key], demo[key]
        return value == demo and not _user_set(*keys)

    own_reference = not _same_path(config["reference"], _DEMO["reference"])
    own_scored = not _same_path(config["score"]["vcf"], _DEMO["score"]["vcf"])
    sequence = config["model_kind"] != _DEMO["model_kind"]  # a sequence classifier, not the demo's kind
    changed = []
    if own_reference and not sequence and inherited("variant_risk", "annotation"):
        config["variant_risk"]["annotation"] = None
        changed.append("variant_risk.annotation: none (the MITOMAP loci are for data/mito/chrM.fa)")
    if own_scored and inherited("score", "name"):
        config["score"]["name"] = _stem(config["score"]["vcf"])
        changed.append(f"score.name: {config['score']['name']}")
    if (own_reference or own_scored or sequence) and inherited("report", "title"):
        what = "variant effects" if sequence else "variant risk"
        config["report"]["title"] = f"genoseq: {what} ({config['score']['name']})"
        changed.append(f"report.title: {config['report']['title']}")
    if (own_reference or sequence) and inherited("outdir"):
        # never the demo's folder: a sequence model there would meet (and replace) the variant-risk one
        base = os.path.join("results", _stem(config["reference"])) if own_reference else _DEMO["outdir"]
        if own_reference and _same_path(base, _DEMO["outdir"]):  # a reference of your own called mito.fa
            base += "-own"
        config["outdir"] = base + ("-sequence" if sequence else "")
        changed.append(f"outdir: {config['outdir']}")
    if changed:
        print("genoseq workflow: your own data, so " + "; ".join(changed), file=sys.stderr)
    if own_reference and not own_scored and not _user_set("score", "vcf"):
        print(
            f"genoseq workflow: WARNING: score.vcf is still the bundled {_DEMO['score']['vcf']} (gnomAD chrM "
            "sites): set score.vcf to the variants to score against your reference",
            file=sys.stderr,
        )
    if own_reference and not sequence and not _user_set("variant_risk", "vcf"):
        print(
            f"genoseq workflow: WARNING: variant_risk.vcf is still the bundled {_DEMO['variant_risk']['vcf']} "
            "(chrM ClinVar/MITOMAP labels): set it to labelled variants on your reference, or train a "
            "sequence classifier (model_kind: sequence)",
            file=sys.stderr,
        )


_follow_own_data(config)


def _check_inputs(config):
    """Every configured input file must exist, said now in one line: Snakemake skips a job whose
    outputs exist without asking for its inputs, so a misspelt path would hand back the last run's
    results (with exit status 0).

    Not checked: remote paths (``s3://``, ``https://``: Snakemake's storage fetches them), and any
    path when this workflow is a ``module`` of another, whose own rules may make its inputs.
    """
    from snakemake.exceptions import WorkflowError

    if len(getattr(workflow, "modifier_stack", ())) > 1:  # loaded as a module
        return

    keys = [("reference",), ("score", "vcf")]
    if config["model_kind"] == "variant-risk":
        keys += [("variant_risk", "vcf"), ("variant_risk", "annotation")]
    else:
        keys += [("sequence", "train_table"), ("sequence", "eval_table"), ("sequence", "regions")]
    for key in [*keys, ("outdir",)]:
        value = config
        for part in key:
            value = (value or {}).get(part)
        if value and ("{" in str(value) or "}" in str(value)):
            # Snakemake reads {name} in an input or output as a wildcard: such a path was skipped
            # (the last run's results handed back with exit status 0) or failed with a WildcardError
            raise WorkflowError(
                f"config: {'.'.join(key)}: {value}: '{{' or '}}' in a path would be read as a Snakemake"
                " wildcard: rename the file or link it under a name without braces"
            )
        if key == ("outdir",):
            continue
        if value and "://" not in str(value) and not os.path.isfile(value):
            what = "is a directory" if os.path.isdir(value) else "no such file"
            raise WorkflowError(f"config: {'.'.join(key)}: {value}: {what}")
    sequence = config.get("sequence") or {}
    both = sequence.get("regions_centered") and sequence.get("regions_split")
    if config["model_kind"] != "variant-risk" and both:
        raise WorkflowError(
            "config: sequence.regions_centered and sequence.regions_split do not go together "
            "(a centred window takes the reference around a region, not its blocks)"
        )


_check_inputs(config)

VARIANT_RISK = config["model_kind"] == "variant-risk"
SHARDS = [f"{i:03d}" for i in range(config["score"]["shards"])]


def out(*parts):
    """A path under the configured output directory."""
    return os.path.join(config["outdir"], *parts)


MODEL_DIR = out("model")
# the model the variants are scored with: sequence models are calibrated first (in a copy)
SCORING_MODEL = MODEL_DIR if VARIANT_RISK else out("model_calibrated")
METRICS = out("evaluate", "cv_metrics.json" if VARIANT_RISK else "metrics.json")
PLOTS_DIR = out("evaluate", "plots")
SCORED = out(f"{config['score']['name']}.risk")
# the sequence model's predictions for the configured BED regions (sequence mode, when configured)
REGIONS = None if VARIANT_RISK else (config.get("sequence") or {}).get("regions")
REGION_PREDICTIONS = out("regions.predictions.parquet")


def res(rule_name):
    """Resources of a rule: its own config entry over `resources.default`."""
    merged = dict(config["resources"]["default"])
    merged.update(config["resources"].get(rule_name) or {})
    return merged


def opt(flag, value):
    """`flag 'value'`, shell-quoted; nothing when value is None, "" or an empty input list."""
    if value is not None and not isinstance(value, (str, int, float)):
        value = list(value)  # a named input: [] when the optional file is not configured
        value = value[0] if value else None
    if value is None or value == "":
        return ""
    return f"{flag} {shlex.quote(str(value))}"


def strand_opt():
    """`--strand X` for the scoring rules; nothing for `model` (the model's own recorded policy)."""
    strand = config["score"]["strand"]
    return "" if strand == "model" else opt("--strand", strand)


def repeat_opt(flag, values):
    """`flag 'v1' flag 'v2' ...`, each value shell-quoted."""
    return " ".join(f"{flag} {shlex.quote(str(v))}" for v in values)


def quoted(values):
    """Each value shell-quoted, space-separated (for pass-through arguments)."""
    return " ".join(shlex.quote(str(v)) for v in values)


def launcher():
    """`genoseq`, or `torchrun` running it on `train.nproc` processes (data-parallel training)."""
    nproc = int(config["train"]["nproc"])
    if nproc == 1:
        return "genoseq"
    return f"torchrun --standalone --nproc_per_node {nproc} -m genoseq"


def device_for(setting):
    """A params function: the `--device` of a rule; `auto` becomes `cuda` when the job was given GPUs.

    A job that asked for a GPU (`gpu` > 0, e.g. from the SLURM profile) then fails with a clear
    error when PyTorch cannot see one (say, a CPU-only build), instead of quietly training on CPU.
    """

    def device(wildcards, resources):
        gpus = int(getattr(resources, "gpu", 0) or 0)
        return "cuda" if setting == "auto" and gpus > 0 else setting

    return device


def torch_threads(threads):
    """CPU threads for each training process: the job's threads shared among `train.nproc` processes."""
    return max(1, threads // int(config["train"]["nproc"]))


def resumable_train(train_args):
    """The train rule's shell command: `genoseq train` into `params.work` (a working directory outside
    the rule's `directory()` output, which Snakemake deletes when a job fails), moved to the output
    when done. A job that finds a checkpoint there (its time limit or a preemption stopped the last
    try; genoseq checkpoints every epoch and on SIGTERM) continues it with `--resume`; one the
    checkpoint does not fit (other settings or data) or that cannot read it starts afresh. Any other
    failure fails the job and keeps the checkpoint for the next try."""
    run = f'{{params.launcher}} -v train {train_args} --out "$W" --threads {{params.threads:q}} {{params.extra}}'
    misfit = "cannot resume|not a readable checkpoint|not a genoseq training checkpoint"
    return (
        "W={params.work:q}; "
        'if [ -e "$W/checkpoint.safetensors" ]; then '
        f"if ! {run} --resume > {{log:q}} 2>&1; then "
        f"grep -Eq '{misfit}' {{log:q}} || exit 1; "
        f'rm -rf -- "$W"; {run} >> {{log:q}} 2>&1; fi; '
        f'else rm -rf -- "$W"; {run} > {{log:q}} 2>&1; fi; '
        'rm -rf -- {output.model:q}; mv -- "$W" {output.model:q}; rmdir -- "$(dirname -- "$W")" 2>/dev/null || true'
    )


def final_outputs():
    return [
        out("report.html"),
        METRICS,
        f"{SCORED}.parquet",
        f"{SCORED}.vcf.gz",
        f"{SCORED}.vcf.gz.tbi",
        *([REGION_PREDICTIONS] if REGIONS else []),
    ]
