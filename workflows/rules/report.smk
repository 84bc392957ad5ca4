rule report:
    """A self-contained HTML report: input summary, metrics, ROC/PR and training curves, top-risk variants."""
    input:
        metrics=[rules.prepare.output.summary, rules.prepare_score.output.summary, METRICS],
        plots=[PLOTS_DIR, MODEL_DIR],
        table=f"{SCORED}.parquet",
    output:
        html=report(out("report.html"), category="genoseq report"),
    log:
        out("logs", "report.log"),
    conda:
        "../envs/genoseq.yaml"
    threads: res("report")["threads"]
    resources:
        mem_mb=res("report")["mem_mb"],
        runtime=res("report")["runtime"],
    params:
        metrics=lambda wildcards, input: repeat_opt("--metrics", input.metrics),
        plots=lambda wildcards, input: repeat_opt("--plots", input.plots),
        top=config["report"]["top"],
        sort_by=config["report"]["sort_by"],
        title=config["report"]["title"],
    shell:
        "genoseq -v report {params.metrics} {params.plots} --table {input.table:q} --top {params.top:q}"
        " --sort-by {params.sort_by:q} --title {params.title:q} -o {output.html:q} > {log:q} 2>&1"
