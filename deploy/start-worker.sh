#!/bin/sh
# A lab machine lends its cores (and GPU) to the class: deploy/start-worker.sh HEAD_HOST:6379
#   RAY_CPUS=4 deploy/start-worker.sh 10.0.0.5:6379   # keep some cores for the person at the machine
# Each run asks Ray for 1 CPU (or a share of a GPU), so a worker with C CPUs trains C runs at once.
# Stop it with `ray stop` on this machine: its runs end "interrupted at step N" with their last snapshot.
set -eu
HEAD="${1:?usage: start-worker.sh HEAD_HOST:PORT}"
CPUS="${RAY_CPUS:-$(nproc)}"
set -- --address="$HEAD" --num-cpus="$CPUS" --disable-usage-stats
if command -v nvidia-smi >/dev/null 2>&1; then
    set -- "$@" --num-gpus="$(nvidia-smi -L | wc -l)"
fi
ray start "$@"
