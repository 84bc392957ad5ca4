"""genoseq workflow: reference + VCF -> trained model -> metrics, scored variants and an HTML report.

    snakemake --cores 2                                    # default config: the bundled mtDNA data
    snakemake --cores 2 --configfile my-config.yaml        # your data (keys override the default config)
    snakemake --profile workflows/profiles/slurm           # on a SLURM cluster

Every rule calls the `genoseq` command line; the logic lives (and is tested) in the library.
"""

from snakemake.utils import min_version, validate

min_version("8.0")


configfile: "workflows/config/config.yaml"


def _unknown_key(cfg, schema, path=""):
    """The first key of ``cfg`` the schema does not know (a misspelling), with the keys it knows."""
    props = schema.get("properties") or {}
    if schema.get("additionalProperties") is False:
        for key in cfg:
            if key not in props:
                return path + str(key), sorted(props)
    for key, value in cfg.items():
        if isinstance(value, dict) and isinstance(props.get(key), dict):
            found = _unknown_key(value, props[key], f"{path}{key}.")
            if found:
                return found
    return None


def _check_keys(schema_path):
    """One line for a misspelt key, before validate()'s error, which prints the whole schema."""
    import yaml
    from snakemake.exceptions import WorkflowError

    with open(schema_path) as fh:
        found = _unknown_key(config, yaml.safe_load(fh))
    if found:
        key, known = found
        raise WorkflowError(f"config: unknown key {key!r} (known here: {', '.join(known)})")


_check_keys("workflows/schemas/config.schema.yaml")
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
