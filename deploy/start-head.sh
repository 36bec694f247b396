#!/bin/sh
# The Ray head of a lab: run on the machine the web replicas can reach (often the one running them).
#   deploy/start-head.sh                  # all cores of this machine train too
#   RAY_CPUS=0 deploy/start-head.sh       # a head that only coordinates
# Then on each lab machine: deploy/start-worker.sh <this machine's address>:6379
set -eu
PORT="${RAY_PORT:-6379}"
CPUS="${RAY_CPUS:-$(nproc)}"
set -- --head --port="$PORT" --num-cpus="$CPUS" --include-dashboard=false --disable-usage-stats
if command -v nvidia-smi >/dev/null 2>&1; then
    set -- "$@" --num-gpus="$(nvidia-smi -L | wc -l)"
fi
ray start "$@"
echo "Ray head on port $PORT. Workers and web replicas need the cluster's token (Ray >= 2.59):"
echo "copy ~/.ray/auth_token to them, or set RAY_AUTH_TOKEN there."
