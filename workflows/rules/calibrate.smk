# Calibrate a sequence model's effect scores into a risk: the quantile of |log_odds| among random
# reference SNVs. `genoseq calibrate` adds the background to a model directory, so the rule calibrates
# a copy and the trained model stays an untouched output of `train`. Variant-risk models need no
# calibration (their risk is P(pathogenic)).

if not VARIANT_RISK:

    rule calibrate:
        """Copy the trained sequence model and store its |log_odds| background of random reference SNVs."""
        input:
            model=MODEL_DIR,
            reference=config["reference"],
            validated=rules.prepare.output.summary,
        output:
            model=directory(SCORING_MODEL),
        log:
            out("logs", "calibrate.log"),
        conda:
            "../envs/genoseq.yaml"
        threads: res("calibrate")["threads"]
        resources:
            mem_mb=res("calibrate")["mem_mb"],
            runtime=res("calibrate")["runtime"],
            gpu=res("calibrate")["gpu"],
        params:
            n=config["sequence"]["calibration_snvs"],
            seed=config["sequence"]["calibration_seed"],
            strand=strand_opt(),
            device=device_for(config["score"]["device"]),
        shell:
            "(cp -R -- {input.model:q} {output.model:q}"
            " && genoseq -v calibrate {output.model:q} --reference {input.reference:q} --n {params.n:q}"
            " --seed {params.seed:q} {params.strand} --device {params.device:q}) > {log:q} 2>&1"
