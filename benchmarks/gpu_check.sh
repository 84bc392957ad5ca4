#!/usr/bin/env bash
# GPU checks, run on a machine with a CUDA GPU (BENCHMARKS.md, "GPU", has the last run):
#   1. tests/test_cuda.py -- training under fp32/bf16/fp16, resume, prediction and variant scoring
#      on CUDA against CPU, torchrun on one GPU;
#   2. benchmarks/bench_train.py --device cuda -- training samples/s and inference sequences/s
#      (each transformer row again with attention_dropout=0.1, the old default), and
#      benchmarks/bench_transformer_attention.py --device cuda -- the transformer's inference path
#      against nn.TransformerEncoder's (its CUDA fast path), same weights;
#   3. benchmarks/cv_train.py on the GPU -- iEnhancer 5-fold CV with defaults, both models;
#   4. the whole test suite with CUDA visible (so every `--device auto` default takes the GPU).
# Each step's full log goes to LOGDIR/<step>.log; its last lines and exit status to stdout. Every step
# runs even when one fails; the script's exit status is 1 when any failed (or ran out of time). The
# steps' time limits add up to 590 s, inside a 10-minute slot on a lent machine.
#
#   bash benchmarks/gpu_check.sh [LOGDIR] [IENHANCER_TRAIN_CSV]
set -uo pipefail
cd "$(dirname "$0")/.."
logs=${1:-gpu-logs}
ienhancer=${2:-../shared/data/ienhancer/train.csv}
mkdir -p "$logs"
export PYTHONUNBUFFERED=1

step() {  # step NAME SECONDS COMMAND...
    local name=$1 limit=$2 start rc
    shift 2
    echo "== $name: $*"
    start=$(date +%s)
    timeout "$limit" "$@" >"$logs/$name.log" 2>&1
    rc=$?
    echo "   exit $rc after $(($(date +%s) - start)) s"
    tail -n "${TAIL:-12}" "$logs/$name.log"
    if [ "$rc" -ne 0 ]; then failed+=("$name"); fi
}
failed=()

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || failed+=(nvidia-smi)
python3 -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, torch.cuda.get_device_name(0))" ||
    failed+=(torch-cuda)
step cuda_tests 120 python3 -m pytest -q -p no:cacheprovider -rs tests/test_cuda.py
TAIL=22 step bench_train 100 python3 benchmarks/bench_train.py --device cuda
step bench_attention 20 python3 benchmarks/bench_transformer_attention.py --device cuda --batch 256
step cv_cnn_lstm 100 python3 benchmarks/cv_train.py "$ienhancer" --model cnn-lstm --device cuda --jobs 5
step suite 170 python3 -m pytest -q -p no:cacheprovider -rf -n 15 --ignore=tests/test_cuda.py
step cv_transformer 80 python3 benchmarks/cv_train.py "$ienhancer" --model transformer --device cuda --jobs 5
if [ "${#failed[@]}" -gt 0 ]; then
    echo "failed: ${failed[*]}"
    exit 1
fi
