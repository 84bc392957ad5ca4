rule index_reference:
    """Index the reference (.fai), once, before the jobs that read it in parallel (prepare, prepare_score).

    A rule of its own so that each of those depends on the reference alone through it: an ancient()
    dependency of prepare_score on prepare's output (the earlier way of ordering them) hid
    prepare_score's own changed inputs from Snakemake whenever prepare reran, and the old VCF was scored.
    """
    input:
        reference=config["reference"],
    output:
        summary=out("prepare", "reference.json"),
    log:
        out("logs", "index_reference.log"),
    conda:
        "../envs/genoseq.yaml"
    threads: res("prepare")["threads"]
    resources:
        mem_mb=res("prepare")["mem_mb"],
        runtime=res("prepare")["runtime"],
    shell:
        "genoseq -v prepare --reference {input.reference:q} -o {output.summary:q} > {log:q} 2>&1"


rule prepare:
    """Validate the training inputs against the reference (contigs, REF alleles).

    Only what training reads: scoring another VCF must not retrain the model (see prepare_score).
    """
    input:
        reference=config["reference"],
        indexed=rules.index_reference.output.summary,
        vcfs=[config["variant_risk"]["vcf"]] if VARIANT_RISK else [],  # the labelled VCF
        annotation=(config["variant_risk"]["annotation"] or []) if VARIANT_RISK else [],
    output:
        summary=out("prepare", "summary.json"),
    log:
        out("logs", "prepare.log"),
    conda:
        "../envs/genoseq.yaml"
    threads: res("prepare")["threads"]
    resources:
        mem_mb=res("prepare")["mem_mb"],
        runtime=res("prepare")["runtime"],
    params:
        # plain strings, not functions: Snakemake reruns a job whose params changed only for those
        vcfs=repeat_opt("--vcf", [config["variant_risk"]["vcf"]] if VARIANT_RISK else []),
        # what training will need, checked here (cheap) rather than in the training job (a GPU job)
        checks=(
            " ".join(
                [
                    opt("--label-field", config["variant_risk"]["label_field"]),
                    opt("--info-features", ",".join(config["variant_risk"]["info_features"])),
                    opt("--annotation", config["variant_risk"]["annotation"]),
                ]
            )
            if VARIANT_RISK
            else ""
        ),
    shell:
        "genoseq -v prepare --reference {input.reference:q} {params.vcfs} {params.checks}"
        " -o {output.summary:q} > {log:q} 2>&1"


rule prepare_score:
    """Validate the VCF to score against the (already indexed) reference."""
    input:
        reference=config["reference"],
        vcf=config["score"]["vcf"],
        # after the reference is indexed; not after prepare, so that other training inputs do not
        # re-check the VCF to score
        indexed=rules.index_reference.output.summary,
    output:
        summary=out("prepare", "score_vcf.json"),
    log:
        out("logs", "prepare_score.log"),
    conda:
        "../envs/genoseq.yaml"
    threads: res("prepare")["threads"]
    resources:
        mem_mb=res("prepare")["mem_mb"],
        runtime=res("prepare")["runtime"],
    params:
        # a variant-risk model reads its INFO features from the VCF it scores
        checks=(
            opt("--info-features", ",".join(config["variant_risk"]["info_features"])) if VARIANT_RISK else ""
        ),
    shell:
        "genoseq -v prepare --reference {input.reference:q} --vcf {input.vcf:q} {params.checks}"
        " --require-sorted -o {output.summary:q} > {log:q} 2>&1"
