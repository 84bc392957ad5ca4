#!/usr/bin/env bash
# Runs once, inside the new conda environment, in the directory snakemake runs in (the repository
# root): installs genoseq from this checkout without touching the conda-provided dependencies.
# Editable (-e), so that the rules always run this checkout's current code: snakemake names the
# environment after genoseq.yaml and this script only, and would never reinstall after a git pull.
set -euo pipefail
if ! grep -qs '^name = "genoseq"' pyproject.toml; then
    echo "genoseq.post-deploy.sh: run snakemake from the genoseq repository root ($PWD is not)" >&2
    exit 1
fi
python -m pip install --no-deps -e .
