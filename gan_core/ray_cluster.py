"""Ray itself for the Ray backend: start or join it, stop it, and how many runs its cluster can train.

`connect()` starts a local Ray once per process (or joins $GAN_CLASSROOM_RAY_ADDRESS) and
raises `BackendUnavailable` with the reason when it cannot. Joining a cluster with token authentication
(Ray's default since 2.59) needs the cluster's token in RAY_AUTH_TOKEN (or RAY_AUTH_TOKEN_PATH) here;
tried with a second local Ray head: a run trained there with gan_core shipped by py_modules.
On a local Ray the workers find gan_core through PYTHONPATH (the repository root, passed in the job's
runtime_env: Ray workers do not inherit the driver's sys.path, only its working directory); on a
remote cluster the gan_core package itself is shipped with `runtime_env={"py_modules": [...]}`
(torch and the rest must be installed there).

`max_concurrent()` turns the cluster's resources (`ray.cluster_resources()`) into the scheduler's
`Limits.max_concurrent`: Ray would queue what does not fit anyway, but the app's own queue is the one
that shows students their place in line and a waiting estimate.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path

import ray

from .device import usable_cores
from .runs import BackendUnavailable

RAY_ADDRESS_ENV = "GAN_CLASSROOM_RAY_ADDRESS"  # host:port of a running cluster's head; unset = start one here
RAY_DASHBOARD_ENV = "GAN_CLASSROOM_RAY_DASHBOARD"  # "1": start the Ray dashboard with a local Ray (off: ~1 s, a port)
CONNECT_TIMEOUT = 30.0  # joining a cluster that accepts TCP but never answers as Ray gives up after this
# A CUDA run asks Ray for 1/8 of a GPU: one small GAN keeps a modern GPU busy a small fraction of the time
# (its steps are kernel-launch bound) and needs a few hundred MB with its CUDA context, so eight fit on one
# GPU's memory and compute with room to spare. Ray packs runs by this share and queues the rest.
GPU_SHARE = 1 / 8
REPO_ROOT = Path(__file__).resolve().parent.parent
_connect_lock = threading.Lock()
_started_here = False  # True when connect() started the local Ray (so shutdown() may stop it)
_keep_local = threading.Event()  # set by shutdown(): the thread that started the local Ray may end


def _check_reachable(address: str, timeout: float = 3.0) -> None:
    """A TCP connection to the head's GCS port, so a wrong address fails in seconds, not ray.init's minutes."""
    hostport = address.split("://", 1)[-1]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise BackendUnavailable(f"{RAY_ADDRESS_ENV}={address!r} is not host:port of a Ray cluster's head.")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise BackendUnavailable(
            f"The Ray cluster at {address} cannot be reached ({exc}); is `ray start --head` "
            f"running there, and is the port open?"
        ) from None


def _runtime_env(local: bool) -> dict:
    """What a worker needs: the app's GAN_CLASSROOM_* settings (data directory, offline mode, cache), one
    OpenMP thread unless said otherwise, and gan_core importable."""
    env = {k: v for k, v in os.environ.items() if k.startswith("GAN_CLASSROOM_") and k != RAY_ADDRESS_ENV}
    env.setdefault("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    if local:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
        return {"env_vars": env}
    return {"env_vars": env, "py_modules": [str(REPO_ROOT / "gan_core")]}


def connect(address: str | None = None, num_cpus: int | None = None, worker_niceness: int | None = None) -> None:
    """Start Ray here once per process, or join the cluster at `address` / $GAN_CLASSROOM_RAY_ADDRESS.

    Local: `num_cpus` (default: the cores this process may use), `worker_niceness` (Ray's own: each worker
    process lowers its priority by this much at its start; Ray's default is 15), no dashboard unless
    $GAN_CLASSROOM_RAY_DASHBOARD=1, Ray's own logging at WARNING and the workers' output not copied here.
    Raises BackendUnavailable with the reason when Ray cannot start or the cluster cannot be reached.
    Takes ~3.5 s on the 2-core machine (bench/backend_speed.py); a second call returns at once.
    """
    global _started_here
    with _connect_lock:
        if ray.is_initialized():
            return
        address = address if address is not None else os.environ.get(RAY_ADDRESS_ENV, "").strip()
        common = dict(logging_level=logging.WARNING, log_to_driver=False, runtime_env=_runtime_env(not address))
        if address:
            if address != "auto":
                _check_reachable(address)
            _init_with_timeout(dict(address=address, **common), address)
            return
        local = dict(
            num_cpus=num_cpus or usable_cores(),
            include_dashboard=os.environ.get(RAY_DASHBOARD_ENV, "") in ("1", "true", "yes"),
            **common,
        )
        if worker_niceness is not None:
            local["_system_config"] = {"worker_niceness": int(worker_niceness)}
        try:
            _init_local(local)
            _started_here = True
        except Exception as exc:  # noqa: BLE001 - any reason Ray cannot start becomes one error type
            raise BackendUnavailable(f"Ray could not start on this machine: {type(exc).__name__}: {exc}") from exc


def _init_local(kwargs: dict) -> None:
    """ray.init of a local Ray from a thread that lives until shutdown().

    Ray starts its GCS and raylet with PR_SET_PDEATHSIG, and Linux sends that signal when the *thread* that
    started them ends, not the process. Streamlit runs each page's script in a thread that ends with the run,
    so a local Ray started from a page died seconds later (and took the web server with it: Ray's driver
    aborts when its GCS is gone). Found with bench/classroom_load.py --backend ray."""
    outcome: list = []
    ready = threading.Event()
    _keep_local.clear()

    def keep():
        try:
            ray.init(**kwargs)
            outcome.append(None)
        except Exception as exc:  # noqa: BLE001 - raised in the caller's thread below
            outcome.append(exc)
        ready.set()
        if outcome[0] is None:
            _keep_local.wait()  # Ray's processes live while this thread does

    threading.Thread(target=keep, name="gan-ray-local", daemon=True).start()
    ready.wait()
    if outcome[0] is not None:
        raise outcome[0]


def _init_with_timeout(kwargs: dict, address: str) -> None:
    """ray.init(address=...) in a helper thread: a port that accepts TCP but is not Ray's makes ray.init
    retry for minutes, and the caller must hear within CONNECT_TIMEOUT seconds."""
    outcome: list = []

    def init():
        try:
            ray.init(**kwargs)
            outcome.append(None)
        except Exception as exc:  # noqa: BLE001
            outcome.append(exc)

    helper = threading.Thread(target=init, name="gan-ray-connect", daemon=True)
    helper.start()
    helper.join(CONNECT_TIMEOUT)
    if not outcome:
        raise BackendUnavailable(f"The Ray cluster at {address} did not answer within {CONNECT_TIMEOUT:g} s.")
    if outcome[0] is not None:
        exc = outcome[0]
        raise BackendUnavailable(
            f"Could not join the Ray cluster at {address}: {type(exc).__name__}: {exc}. A cluster "
            f"with token authentication (Ray's default since 2.59) also needs its token here, "
            f"in RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH."
        ) from exc


def shutdown() -> None:
    """Stop the local Ray this process started (tests, benchmarks). Live RayRuns end as interrupted."""
    global _started_here
    with _connect_lock:
        if ray.is_initialized():
            ray.shutdown()
        _started_here = False
        _keep_local.set()


def max_concurrent(threads_per_run: int = 1) -> int:
    """Runs that can train at once on the cluster (Limits.max_concurrent for the Ray backend).

    CPU: one run per `threads_per_run` CPUs of the cluster, keeping one for the web server when Ray runs
    on this machine (its pages need a core of their own, as with in-process runs). GPUs: 1/GPU_SHARE
    runs per GPU (each CUDA run also takes one CPU for its Python loop).
    """
    res = ray.cluster_resources()
    cpus = float(res.get("CPU", 0)) - (1 if _started_here else 0)
    by_cpu = max(1, int(cpus // max(1, threads_per_run)))
    gpus = float(res.get("GPU", 0))
    return max(1, min(by_cpu, int(gpus / GPU_SHARE))) if gpus else by_cpu


__all__ = [
    "CONNECT_TIMEOUT",
    "GPU_SHARE",
    "RAY_ADDRESS_ENV",
    "RAY_DASHBOARD_ENV",
    "connect",
    "max_concurrent",
    "shutdown",
]
