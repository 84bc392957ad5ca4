rule prepare:
    """Index the reference (.fai) and validate the training inputs against it (contigs, REF alleles).

    Only what training reads: scoring another VCF must not retrain the model (see prepare_score).
    """
    input:
        reference=config["reference"],
        vcfs=[config["variant_risk"]["vcf"]] if VARIANT_RISK else [],  # the labelled VCF
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
        vcfs=lambda wildcards, input: repeat_opt("--vcf", input.vcfs),
    shell:
        "genoseq -v prepare --reference {input.reference:q} {params.vcfs} -o {output.summary:q} > {log:q} 2>&1"


rule prepare_score:
    """Validate the VCF to score against the (already indexed) reference."""
    input:
        reference=config["reference"],
        vcf=config["score"]["vcf"],
        indexed=rules.prepare.output.summary,
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
    shell:
        "genoseq -v prepare --reference {input.reference:q} --vcf {input.vcf:q} -o {output.summary:q}"
        " > {log:q} 2>&1"
