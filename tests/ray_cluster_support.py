"""A real Ray cluster of separate nodes on loopback for tests: `ray start --head` and `ray start --address`
as process groups of this test's own (killed by their group id, never `ray stop`, which would stop
every Ray on the machine), token authentication off (loopback only), short temp dirs (Ray's sockets)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

RAY = os.path.join(os.path.dirname(sys.executable), "ray")
ENV = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """One `ray start --block` as its own process group; `kill()` ends it (SIGKILL to the group)."""

    def __init__(self, args: list[str], log: str):
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [RAY, "start", "--block", "--disable-usage-stats", "--node-ip-address=127.0.0.1", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=ENV,
                start_new_session=True,
            )

    def wait_started(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log, errors="replace") as fh:
                if "Ray runtime started" in fh.read():
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.5)
        with open(self.log, errors="replace") as fh:
            raise RuntimeError(f"ray start did not start within {timeout:g} s:\n{fh.read()[-3000:]}")

    def descendants(self) -> set[int]:
        """Every live process started under this node (Ray's workers leave its process group)."""
        return {pid for pid in _all_pids() if self.proc.pid in _ancestors(pid)}

    def kill(self) -> None:
        """SIGKILL to the node's process group and every process under it (its raylet, its workers)."""
        under = self.descendants()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for pid in under:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(30)


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _ancestors(pid: int) -> list[int]:
    chain = []
    while pid > 1 and len(chain) < 64:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                pid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
        chain.append(pid)
    return chain


def start_head(num_cpus: int = 1, resources: str | None = None) -> tuple[str, Node, str]:
    """A head node on a free port: (address, node, temp dir)."""
    tmp = tempfile.mkdtemp(prefix="gr", dir="/tmp")
    port = free_port()
    args = ["--head", f"--port={port}", f"--num-cpus={num_cpus}", f"--temp-dir={tmp}", "--include-dashboard=false"]
    if resources:
        args.append(f"--resources={resources}")
    node = Node(args, os.path.join(tmp, "head.log"))
    node.wait_started()
    return f"127.0.0.1:{port}", node, tmp


def start_worker(address: str, tmp: str, num_cpus: int = 1, resources: str | None = None) -> Node:
    """A second node joining `address`, with its own CPUs (and custom resources)."""
    args = [f"--address={address}", f"--num-cpus={num_cpus}"]
    if resources:
        args.append(f"--resources={resources}")
    node = Node(args, os.path.join(tmp, f"worker-{time.monotonic_ns()}.log"))
    node.wait_started()
    return node
