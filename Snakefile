"""genoseq workflow: reference + VCF -> trained model -> metrics, scored variants and an HTML report.

    snakemake --cores 2                                    # default config: the bundled mtDNA data
    snakemake --cores 2 --configfile my-config.yaml        # your data (keys override the default config)
    snakemake --profile workflows/profiles/slurm           # on a SLURM cluster

Every rule calls the `genoseq` command line; the logic lives (and is tested) in the library.
"""

from snakemake.utils import min_version, validate

min_version("8.0")


configfile: "workflows/config/config.yaml"


include: "workflows/rules/config_check.smk"


validate(config, "workflows/schemas/config.schema.yaml")


include: "workflows/rules/common.smk"
include: "workflows/rules/prepare.smk"
include: "workflows/rules/train.smk"
include: "workflows/rules/evaluate.smk"
include: "workflows/rules/calibrate.smk"
include: "workflows/rules/score.smk"
include: "workflows/rules/report.smk"


rule all:
    default_target: True
    input:
        final_outputs(),


# Targets named after the workflow's steps, in both modes: `snakemake evaluate`, `snakemake score` ...
localrules:
    all,
    score,


rule score:
    """Target: the scored variants (split_vcf -> score_shard x N -> gather_scores)."""
    input:
        f"{SCORED}.parquet",
        f"{SCORED}.vcf.gz",
        f"{SCORED}.vcf.gz.tbi",


if VARIANT_RISK:

    localrules:
        evaluate,
        calibrate,

    rule evaluate:
        """Target: the variant-risk model's block cross-validation (rule cross_validate)."""
        input:
            METRICS,
            PLOTS_DIR,

    rule calibrate:
        """Target: the trained variant-risk model, calibrated (Platt, on its validation blocks) by train."""
        input:
            MODEL_DIR,
