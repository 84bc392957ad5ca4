# Score the variants: scatter the VCF into `score.shards` pieces, score each as its own job, gather
# them into one Parquet table and one bgzipped, tabix-indexed VCF.

SCORE = config["score"]
SHARD_DIR = out("score", "shards")
SCORED_DIR = out("score", "scored")


wildcard_constraints:
    shard=r"\d+",


rule split_vcf:
    """Split the VCF to score into contiguous shards, each a valid VCF with the full header."""
    input:
        vcf=SCORE["vcf"],
        validated=rules.prepare_score.output.summary,
    output:
        shards=expand(os.path.join(SHARD_DIR, "shard_{shard}.vcf"), shard=SHARDS),
    log:
        out("logs", "split_vcf.log"),
    conda:
        "../envs/genoseq.yaml"
    threads: res("split_vcf")["threads"]
    resources:
        mem_mb=res("split_vcf")["mem_mb"],
        runtime=res("split_vcf")["runtime"],
    params:
        shards=SCORE["shards"],
        out_dir=lambda wildcards, output: os.path.dirname(output.shards[0]),
    shell:
        "genoseq -v split-vcf {input.vcf:q} --shards {params.shards:q} --out-dir {params.out_dir:q}"
        " > {log:q} 2>&1"


rule score_shard:
    """Score one shard: ref/alt scores, diff, log-odds and risk, as a table and an annotated VCF."""
    input:
        model=SCORING_MODEL,
        vcf=os.path.join(SHARD_DIR, "shard_{shard}.vcf"),
        reference=config["reference"],
    output:
        table=os.path.join(SCORED_DIR, "shard_{shard}.parquet"),
        vcf=os.path.join(SCORED_DIR, "shard_{shard}.vcf.gz"),
        index=os.path.join(SCORED_DIR, "shard_{shard}.vcf.gz.tbi"),
    log:
        out("logs", "score", "shard_{shard}.log"),
    conda:
        "../envs/genoseq.yaml"
    threads: res("score_shard")["threads"]
    resources:
        mem_mb=res("score_shard")["mem_mb"],
        runtime=res("score_shard")["runtime"],
        gpu=res("score_shard")["gpu"],
    params:
        strand=strand_opt(),
        on_ref_mismatch=SCORE["on_ref_mismatch"],
        batch_size=SCORE["batch_size"],
        device=device_for(SCORE["device"]),
    shell:
        "genoseq -v score-variants {input.model:q} --vcf {input.vcf:q} --reference {input.reference:q}"
        " -o {output.table:q} --vcf-out {output.vcf:q} {params.strand}"
        " --on-ref-mismatch {params.on_ref_mismatch:q} --batch-size {params.batch_size:q}"
        " --device {params.device:q} --quiet > {log:q} 2>&1"


rule gather_scores:
    """Concatenate the scored shards, in order, into one table and one indexed VCF."""
    input:
        tables=expand(os.path.join(SCORED_DIR, "shard_{shard}.parquet"), shard=SHARDS),
        vcfs=expand(os.path.join(SCORED_DIR, "shard_{shard}.vcf.gz"), shard=SHARDS),
    output:
        table=f"{SCORED}.parquet",
        vcf=f"{SCORED}.vcf.gz",
        index=f"{SCORED}.vcf.gz.tbi",
    log:
        out("logs", "gather_scores.log"),
    conda:
        "../envs/genoseq.yaml"
    threads: res("gather_scores")["threads"]
    resources:
        mem_mb=res("gather_scores")["mem_mb"],
        runtime=res("gather_scores")["runtime"],
    params:
        vcfs=lambda wildcards, input: repeat_opt("--vcfs", input.vcfs),
    shell:
        "genoseq -v gather-scores {input.tables:q} -o {output.table:q} {params.vcfs}"
        " --vcf-out {output.vcf:q} > {log:q} 2>&1"
