# Shared names and small helpers for the rules: output paths, per-rule resources, quoted CLI options.
import os
import shlex

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


def res(rule_name):
    """Resources of a rule: its own config entry over `resources.default`."""
    merged = dict(config["resources"]["default"])
    merged.update(config["resources"].get(rule_name) or {})
    return merged


def opt(flag, value):
    """`flag 'value'`, shell-quoted; nothing when value is None, "" or an empty input list."""
    if value is not None and not isinstance(value, str):
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


def torch_threads(threads):
    """CPU threads for each training process: the job's threads shared among `train.nproc` processes."""
    return max(1, threads // int(config["train"]["nproc"]))


def final_outputs():
    return [
        out("report.html"),
        METRICS,
        f"{SCORED}.parquet",
        f"{SCORED}.vcf.gz",
        f"{SCORED}.vcf.gz.tbi",
    ]
