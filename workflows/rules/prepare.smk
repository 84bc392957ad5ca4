rule prepare:
    """Index the reference (.fai) and validate every input VCF against it (contigs, REF alleles)."""
    input:
        reference=config["reference"],
        vcfs=input_vcfs(),
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
