# Train the model: a variant-risk model on a labelled VCF, or a sequence classifier on a labelled table.
# With train.nproc > 1 the rule launches `torchrun --nproc_per_node N -m genoseq train ...` (DDP).
# It trains in <outdir>/work/train and resumes from a checkpoint found there (resumable_train).

TRAIN = config["train"]

if VARIANT_RISK:

    rule train:
        """Train the variant-risk model on the labelled VCF (ref/alt windows, annotation, INFO features)."""
        input:
            vcf=config["variant_risk"]["vcf"],
            reference=config["reference"],
            annotation=config["variant_risk"]["annotation"] or [],
            validated=rules.prepare.output.summary,
        output:
            model=report(directory(MODEL_DIR), patterns=["{name}.png"], category="Training"),
        log:
            out("logs", "train.log"),
        conda:
            "../envs/genoseq.yaml"
        threads: res("train")["threads"]
        resources:
            mem_mb=res("train")["mem_mb"],
            runtime=res("train")["runtime"],
            gpu=res("train")["gpu"],
        params:
            launcher=launcher(),
            label=config["variant_risk"]["label_field"],
            annotation=lambda wildcards, input: opt("--annotation", input.annotation),
            info_features=opt("--info-features", ",".join(config["variant_risk"]["info_features"])),
            model=TRAIN["model"],
            epochs=TRAIN["epochs"],
            batch_size=TRAIN["batch_size"],
            lr=opt("--lr", TRAIN["lr"]),
            seed=TRAIN["seed"],
            device=device_for(TRAIN["device"]),
            block_size=TRAIN["block_size"],
            threads=lambda wildcards, threads: torch_threads(threads),
            extra=quoted(TRAIN["extra_args"]),
            work=out("work", "train"),
        shell:
            resumable_train(
                "{input.vcf:q} --reference {input.reference:q}"
                " --label-field {params.label:q} {params.annotation} {params.info_features}"
                " --model {params.model:q} --epochs {params.epochs:q}"
                " --batch-size {params.batch_size:q} {params.lr} --seed {params.seed:q}"
                " --device {params.device:q} --block-size {params.block_size:q}"
            )

else:

    rule train:
        """Train the sequence classifier on the labelled table."""
        input:
            table=config["sequence"]["train_table"],
            validated=rules.prepare.output.summary,
        output:
            model=report(directory(MODEL_DIR), patterns=["{name}.png"], category="Training"),
        log:
            out("logs", "train.log"),
        conda:
            "../envs/genoseq.yaml"
        threads: res("train")["threads"]
        resources:
            mem_mb=res("train")["mem_mb"],
            runtime=res("train")["runtime"],
            gpu=res("train")["gpu"],
        params:
            launcher=launcher(),
            model=TRAIN["model"],
            epochs=TRAIN["epochs"],
            batch_size=TRAIN["batch_size"],
            lr=opt("--lr", TRAIN["lr"]),
            seed=TRAIN["seed"],
            device=device_for(TRAIN["device"]),
            threads=lambda wildcards, threads: torch_threads(threads),
            extra=quoted(TRAIN["extra_args"]),
            work=out("work", "train"),
        shell:
            resumable_train(
                "{input.table:q} --model {params.model:q}"
                " --epochs {params.epochs:q} --batch-size {params.batch_size:q} {params.lr}"
                " --seed {params.seed:q} --device {params.device:q}"
            )
