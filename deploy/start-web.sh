#!/bin/sh
# One Streamlit replica of GAN Classroom training on the lab's Ray cluster:
#   GAN_CLASSROOM_RAY_ADDRESS=10.0.0.5:6379 GAN_CLASSROOM_RUNS_DIR=/mnt/class/runs deploy/start-web.sh 8501
# Start several (one per core or two of the web machine, on ports 8501, 8502, ...) and put nginx in
# front of them with deploy/nginx.conf.template. GAN_CLASSROOM_RUNS_DIR must be the same shared folder
# (NFS) on every web replica and Ray worker: saved runs and the snapshots of runs whose worker died.
set -eu
PORT="${1:-8501}"
cd "$(dirname "$0")/.."
: "${GAN_CLASSROOM_RAY_ADDRESS:?set it to the Ray head, HOST:6379}"
: "${GAN_CLASSROOM_RUNS_DIR:?set it to a folder shared by the web replicas and the Ray workers}"
export GAN_CLASSROOM_BACKEND=ray GAN_CLASSROOM_RAY_ADDRESS GAN_CLASSROOM_RUNS_DIR
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
# Two glibc malloc arenas for the web process (a thread per tab's script run): its memory under 30 students stayed
# under 1.2 GB, against 1.3 GB with glibc's default (BENCHMARKS.md, "Classroom load: in-process vs Ray")
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
# python -m gan_ui = streamlit run app.py: both start the warm-up (gan_ui/warmup.py) with the server
exec python -m gan_ui --server.port "$PORT" --server.address 0.0.0.0 --server.headless true \
    --server.fileWatcherType none
