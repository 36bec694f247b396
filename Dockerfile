# GAN Classroom for a class: one container, one `streamlit run`, every student's browser talks to it.
#
#   docker build -t gan-classroom .                                   # CPU PyTorch (small image)
#   docker build -t gan-classroom --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu124 .   # NVIDIA GPU
#   docker run -p 8501:8501 -v gan-data:/data gan-classroom           # add --gpus all for the CUDA build
#
# Server limits (queue cap, budget, batch, ...) are environment variables: see README, "Deploy for a class".
FROM python:3.12-slim

# CPU wheels by default: the CUDA wheels are several GB and useless without a GPU.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu

# MALLOC_ARENA_MAX=2: Streamlit runs every tab's script in a thread of its own, and glibc gives busy threads malloc
# arenas of their own (up to 8 per core) that it seldom hands back; two arenas kept the web process under 1.2 GB
# with 30 students where the default reached 1.3 GB (BENCHMARKS.md, "Classroom load: in-process vs Ray").
ENV PYTHONUNBUFFERED=1 \
    MALLOC_ARENA_MAX=2 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OMP_NUM_THREADS=1 \
    GAN_CLASSROOM_CACHE=/data/cache \
    GAN_CLASSROOM_RUNS_DIR=/data/runs

# A non-root user owns the app (static/ is filled with plotly.js at start-up) and the data volume.
RUN useradd --create-home --uid 10001 classroom && mkdir -p /app /data && chown classroom:classroom /app /data
WORKDIR /app

# A font with Chinese glyphs for text drawn into images (the progress GIF's captions in 简体中文): gan_core/fonts.py
# finds Debian's Noto Sans CJK at its known path. Without it Chinese captions would show as empty boxes.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk && rm -rf /var/lib/apt/lists/*

# Dependencies first, so code changes do not reinstall them.
COPY requirements.txt .
RUN pip install torch torchvision --index-url "${TORCH_INDEX}" && pip install -r requirements.txt

COPY --chown=classroom:classroom . .
USER classroom
VOLUME ["/data"]
EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status != 200)"

# python -m gan_ui = streamlit run app.py: the default generator loads as the server starts, before the first student.
CMD ["python", "-m", "gan_ui", "--server.address", "0.0.0.0", "--server.port", "8501", "--server.headless", "true"]
