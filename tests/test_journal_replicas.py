"""Replicas that share one runs folder share one run journal (deploy/: two Streamlit replicas over one folder).

A run is reported "interrupted by a server restart" only when the process that journals it is gone:
another replica starting (or restarting) while this one trains must not call this one's live runs lost,
and neither replica may overwrite the other's entries. Real processes (a second Python process as the
other replica, killed with SIGKILL as a crashed server is), a real file, no mocks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
from e2e_support import ROOT
from thread_support import wait_for

from gan_core import RunJournal
from gan_core.journal import LEASE

REPLICA = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    from gan_core import RunJournal
    j = RunJournal({path!r}, every=0.0)
    j.begin("a:1", "owner-a", "mlp run 1")
    step = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        step += 1
        j.progress("a:1", step)
        if step == 5:
            print("TRAINING", flush=True)
        time.sleep(0.05)
    """
)


def _on_disk(path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture
def replica_a(tmp_path):
    """Another server process journaling a run in tmp_path/journal.json; killed (SIGKILL) at the end."""
    path = tmp_path / "journal.json"
    proc = subprocess.Popen(
        [sys.executable, "-c", REPLICA.format(root=str(ROOT), path=str(path))], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().startswith("TRAINING")
        yield path, proc
    finally:
        proc.kill()
        proc.wait(10)


def test_a_replica_starting_beside_a_live_one_does_not_call_its_runs_lost(replica_a):
    path, a = replica_a
    b = RunJournal(path)  # replica B starts (or restarts) while A trains
    assert b.interrupted == [], "A's run is alive: not interrupted"
    assert b.claim("owner-a") == [], "A's student is not told their live run was lost"
    b.begin("b:1", "owner-b", "dcgan run 1")
    step = _on_disk(path)["running"]["a:1"]["step"]
    wait_for(lambda: _on_disk(path)["running"].get("a:1", {}).get("step", 0) > step + 5, 30, "A to write again")
    running = _on_disk(path)["running"]
    assert sorted(running) == ["a:1", "b:1"], "neither replica overwrites the other's runs"
    assert running["a:1"]["writer"] != running["b:1"]["writer"]

    b2 = RunJournal(path)  # B restarts (a newer journal of the file in the same process)
    assert [e["key"] for e in b2.interrupted] == ["b:1"], "B's own run died with B; A's did not"
    assert "a:1" in _on_disk(path)["running"]

    a.send_signal(signal.SIGKILL)  # A crashes
    a.wait(10)
    mine = b2.claim("owner-a")  # any write sweeps out a gone replica's runs
    assert [e["key"] for e in mine] == ["a:1"], "A's run is reported once its replica is gone"
    assert mine[0]["step"] > step + 5
    assert b2.claim("owner-a") == [], "handed out once"
    assert "a:1" not in _on_disk(path)["running"]
    assert RunJournal(path).claim("owner-a") == [], "and gone from the file"


def test_a_writer_on_another_machine_is_gone_when_silent_for_its_lease(tmp_path):
    path = tmp_path / "journal.json"
    now = time.time()
    elsewhere = f"lab-pc-7/4026531836/{uuid.uuid4().hex[:8]}|4242|123456|1"  # another host's replica

    def journal_with(seen: float) -> None:
        entry = {"owner": "o", "label": "mlp run 1", "step": 40, "started": now - 30, "updated": now - 1}
        doc = {
            "format": "gan-classroom-journal/1",
            "running": {"x:1": {**entry, "writer": elsewhere}},
            "interrupted": [],
            "writers": {elsewhere: seen},
        }
        path.write_text(json.dumps(doc))

    journal_with(seen=now - 5)  # it wrote 5 s ago
    j = RunJournal(path)
    assert j.claim("o") == [] and "x:1" in _on_disk(path)["running"], "a live replica elsewhere keeps its run"
    journal_with(seen=now - LEASE - 5)  # silent for longer than its lease
    j = RunJournal(path)
    assert [e["key"] for e in j.claim("o")] == ["x:1"]


TAB_REPLICA = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {tests!r})
    from thread_support import tiny_mlp
    from gan_ui import state
    handle = state.attach({tab!r}).start(tiny_mlp(max_seconds=120.0))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and handle.step < 20:
        time.sleep(0.05)
    print("STEP", handle.step, handle.status, flush=True)
    time.sleep(300)
    """
)


def test_a_tab_on_the_second_replica_hears_of_a_run_only_once_the_first_replica_died(tmp_path, monkeypatch):
    """Two web processes (the in-process backend) over one runs folder: a tab's run trains on replica A; the
    same tab opened on replica B (a second window, a cookie-less client) reads no "lost in a restart" note;
    when A dies, a new page of the tab on B does."""
    env = {"GAN_CLASSROOM_RUNS_DIR": str(tmp_path), "GAN_CLASSROOM_TEST_MODE": "1", "GAN_CLASSROOM_BACKEND": ""}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    from gan_ui import server, state

    tab = uuid.uuid4().hex
    code = TAB_REPLICA.format(tests=os.path.join(str(ROOT), "tests"), tab=tab)
    a = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    server._journal = None  # this process is replica B, with its own journal of the shared folder
    try:
        line = a.stdout.readline()
        assert line.startswith("STEP ") and line.split()[2] == "running", line
        store = state.attach(tab)
        assert store.interrupted == [], "the run trains on replica A: not lost"
        journal = tmp_path / "journal.json"
        wait_for(
            lambda: _on_disk(journal)["running"] and min(e["step"] for e in _on_disk(journal)["running"].values()),
            30,
            "A to journal a step",
        )
    finally:
        a.kill()
        a.wait(10)
    server._journal = None  # B's next journal (a new process's tab registry): A is gone now
    again = state.attach(tab)
    assert again is not store
    assert [e["label"] for e in again.interrupted] == ["mlp run 1"], "told once A is gone"
    assert again.interrupted[0]["step"] >= 1
    server._journal = None
