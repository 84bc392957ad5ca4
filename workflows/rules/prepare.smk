rule prepare:
    """Index the reference (.fai) and validate the training inputs against it (contigs, REF alleles).

    Only what training reads: scoring another VCF must not retrain the model (see prepare_score).
    """
    input:
        reference=config["reference"],
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
        # after prepare has indexed the reference, but not re-run when only the training inputs
        # changed (ancient: its new summary's time does not count; the score VCF is re-read otherwise).
        # A path of its own: ancient() on rules.prepare.output.summary would flag that shared object,
        # and with it the train rule's input, which then did not retrain on new labels
        indexed=ancient(str(rules.prepare.output.summary)),
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
