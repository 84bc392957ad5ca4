# Evaluate: block cross-validation for the variant-risk model; a held-out table for a sequence model.
# Both write a metrics JSON and draw ROC/PR curves (PNG) into a plots directory.

if VARIANT_RISK:

    rule cross_validate:
        """Block cross-validation of the variant-risk model: metrics mean ± sd over folds, ROC/PR PNGs."""
        input:
            vcf=config["variant_risk"]["vcf"],
            reference=config["reference"],
            annotation=config["variant_risk"]["annotation"] or [],
            validated=rules.prepare.output.summary,
        output:
            metrics=METRICS,
            plots=report(directory(PLOTS_DIR), patterns=["{name}.png"], category="Evaluation"),
        log:
            out("logs", "cross_validate.log"),
        conda:
            "../envs/genoseq.yaml"
        threads: res("cross_validate")["threads"]
        resources:
            mem_mb=res("cross_validate")["mem_mb"],
            runtime=res("cross_validate")["runtime"],
            gpu=res("cross_validate")["gpu"],
        params:
            label=config["variant_risk"]["label_field"],
            annotation=lambda wildcards, input: opt("--annotation", input.annotation),
            info_features=opt("--info-features", ",".join(config["variant_risk"]["info_features"])),
            model=TRAIN["model"],
            folds=config["evaluate"]["folds"],
            block_size=config["evaluate"]["block_size"],
            epochs=TRAIN["epochs"],
            batch_size=TRAIN["batch_size"],
            lr=opt("--lr", TRAIN["lr"]),
            seed=TRAIN["seed"],
            device=device_for(TRAIN["device"]),
            threads=lambda wildcards, threads: torch_threads(threads),
            extra=quoted(TRAIN["extra_args"]),
        shell:
            "genoseq -v cross-validate {input.vcf:q} --reference {input.reference:q}"
            " --label-field {params.label:q} {params.annotation} {params.info_features}"
            " --model {params.model:q} --folds {params.folds:q} --block-size {params.block_size:q}"
            " --epochs {params.epochs:q} --batch-size {params.batch_size:q} {params.lr}"
            " --seed {params.seed:q} --device {params.device:q} --threads {params.threads:q} {params.extra}"
            " -o {output.metrics:q} --plots-dir {output.plots:q} > {log:q} 2>&1"

else:

    rule evaluate:
        """Evaluate the sequence classifier on the held-out table: metrics JSON and ROC/PR curves (PNG)."""
        input:
            model=MODEL_DIR,
            table=config["sequence"]["eval_table"],
        output:
            metrics=METRICS,
            plots=report(directory(PLOTS_DIR), patterns=["{name}.png"], category="Evaluation"),
        log:
            out("logs", "evaluate.log"),
        conda:
            "../envs/genoseq.yaml"
        threads: res("evaluate")["threads"]
        resources:
            mem_mb=res("evaluate")["mem_mb"],
            runtime=res("evaluate")["runtime"],
            gpu=res("evaluate")["gpu"],
        params:
            strand=strand_opt(),
            device=device_for(TRAIN["device"]),
        shell:
            "genoseq -v evaluate {input.model:q} {input.table:q} {params.strand}"
            " --device {params.device:q} -o {output.metrics:q} --plots-dir {output.plots:q} > {log:q} 2>&1"

    if REGIONS:

        rule predict_regions:
            """Score the configured BED regions of the reference with the trained sequence model."""
            input:
                model=MODEL_DIR,
                regions=REGIONS,
                reference=config["reference"],
                validated=rules.prepare.output.summary,
            output:
                REGION_PREDICTIONS,
            log:
                out("logs", "predict_regions.log"),
            conda:
                "../envs/genoseq.yaml"
            threads: res("predict_regions")["threads"]
            resources:
                mem_mb=res("predict_regions")["mem_mb"],
                runtime=res("predict_regions")["runtime"],
                gpu=res("predict_regions")["gpu"],
            params:
                centered="--centered" if config["sequence"]["regions_centered"] else "",
                split="--split" if config["sequence"]["regions_split"] else "",
                strand=strand_opt(),
                device=device_for(config["score"]["device"]),
            shell:
                "genoseq -v predict {input.model:q} --regions {input.regions:q} --reference {input.reference:q}"
                " {params.centered} {params.split} {params.strand} --device {params.device:q} -o {output:q} > {log:q} 2>&1"
