"""Classroom robustness without a browser: the run journal across a killed server process, tab stores
going through the server's queue, disconnect grace periods, and a small soak of start/stop cycles."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time

import pytest
import torch
from e2e_support import ROOT
from thread_support import fill_disk_after, wait_for
from thread_support import tiny_mlp as tiny

from gan_core import Limits, RunJournal, RunShelf, Trainer
from gan_core.journal import FORMAT
from gan_ui import server
from gan_ui.catalogue import upload_entry
from gan_ui.server import reset_scheduler, server_scheduler, server_shelf
from gan_ui.store import SessionStore


# ------------------------------------------------------------------------------------------ journal
@pytest.mark.slow
def test_a_killed_server_leaves_its_runs_reported_as_interrupted(tmp_path):
    """A real second process journals a training run on real digits and is killed mid-run (SIGKILL)."""
    path = tmp_path / "journal.json"
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from gan_core import RunJournal, Trainer, load_dataset, preset_config
        j = RunJournal({str(path)!r}, every=0.0)
        cfg = preset_config("mlp", g_width=4, d_width=4, latent_dim=4, batch_size=8, max_seconds=600.0)
        t = Trainer(cfg, load_dataset("mnist"), device="cpu")
        j.begin("tab1:1", "owner-a", "mlp run 1")
        t.add_callback("on_record", lambda tr, recs: j.progress("tab1:1", tr.step))
        t.start()
        while t.step < 40:
            time.sleep(0.01)
        print("STEP", t.step, flush=True)
        time.sleep(600)
    """)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GAN_CLASSROOM_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.startswith("STEP"), line
        wait_for(lambda: json.loads(path.read_text())["running"]["tab1:1"]["step"] >= 40, 30, "a journaled step")
    finally:
        proc.kill()
        proc.wait(10)
    on_disk = json.loads(path.read_text())
    assert list(on_disk["running"]) == ["tab1:1"] and on_disk["interrupted"] == []

    j = RunJournal(path)  # the restarted server
    assert j.running == {}
    assert [e["key"] for e in j.interrupted] == ["tab1:1"]
    assert j.claim("owner-b") == []  # another tab never sees it
    mine = j.claim("owner-a")
    assert len(mine) == 1 and mine[0]["label"] == "mlp run 1" and mine[0]["step"] >= 40
    assert j.claim("owner-a") == []  # handed out once
    assert RunJournal(path).interrupted == []  # ... and gone from the file


def test_a_new_tab_with_nothing_in_the_journal_leaves_the_file_alone(tmp_path):
    """Every new tab claims its interrupted runs: when the file names none of its runs the claim reads the file and
    does not rewrite it (an atomic rewrite, with its fsync, per new tab); a tab with a run there still gets it."""
    path = tmp_path / "j.json"
    path.write_text(
        json.dumps(
            {
                "format": FORMAT,
                "running": {},
                "writers": {},
                "interrupted": [
                    {
                        "key": "tab1:1",
                        "owner": "owner-a",
                        "label": "run 1",
                        "step": 40,
                        "started": time.time() - 60,
                        "updated": time.time() - 30,
                        "interrupted_at": time.time() - 30,
                    }
                ],
            }
        )
    )
    j = RunJournal(path)
    before = (path.stat().st_ino, path.stat().st_mtime_ns, path.read_bytes())
    assert j.claim("owner-b") == []
    assert (path.stat().st_ino, path.stat().st_mtime_ns, path.read_bytes()) == before, "read, not rewritten"
    assert [e["key"] for e in j.claim("owner-a")] == ["tab1:1"]
    assert path.stat().st_ino != before[0] and json.loads(path.read_text())["interrupted"] == [], "handed out once"


def test_a_run_that_ends_normally_is_not_reported(tmp_path, mnist):
    path = tmp_path / "j.json"
    j = RunJournal(path, every=0.0)
    t = Trainer(tiny(max_steps=15), mnist, device="cpu")
    j.begin("k", "o", "run")
    t.add_callback("on_record", lambda tr, recs: j.progress("k", tr.step))
    t.add_callback("on_end", lambda tr: j.end("k"))
    t.run()
    assert json.loads(path.read_text())["running"] == {}
    assert RunJournal(path).interrupted == []


def test_a_corrupt_journal_is_ignored_not_fatal(tmp_path):
    path = tmp_path / "j.json"
    path.write_bytes(b'{"format": "gan-classroom-journal/1", "running": {"a": ')  # half a file
    j = RunJournal(path)
    assert j.interrupted == [] and j.error is None
    assert json.loads(path.read_text())["format"] == "gan-classroom-journal/1"  # rewritten whole


def test_unusable_storage_never_breaks_a_run(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the runs folder should be")
    j = RunJournal(blocker / "journal.json")  # cannot even create the folder
    assert j.error and "File exists" in j.error
    j.begin("k", "o", "run")
    j.progress("k", 5, force=True)
    j.end("k")
    assert j.running == {} and blocker.read_text().startswith("a file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_storage_never_breaks_a_run(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    j = RunJournal(d / "journal.json")
    d.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        j.begin("k", "o", "run")  # cannot write: a warning, not an exception
        assert j.error and "Permission" in j.error
        j.progress("k", 5, force=True)
        j.end("k")
        assert list(d.iterdir()) == [d / "journal.json"]  # no temporary file left behind
    finally:
        d.chmod(stat.S_IRWXU)


def test_disk_full_leaves_the_old_journal_whole(tmp_path, monkeypatch):
    """ENOSPC halfway through a write: the previous journal stays intact and no temp file remains."""
    path = tmp_path / "j.json"
    j = RunJournal(path)
    j.begin("a", "o", "first run")
    before = path.read_bytes()
    fill_disk_after(monkeypatch, 0.5)
    j.begin("b", "o", "second run")
    monkeypatch.undo()
    assert "No space left" in j.error
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["j.json"]


# ------------------------------------------------------------------------------------------ the shelf
OWNER, OTHER = "a" * 32, "b" * 32


def test_the_shelf_keeps_each_owners_newest_runs(tmp_path, monkeypatch):
    shelf = RunShelf(tmp_path, keep=3)
    clock = iter(range(1_700_000_000, 1_700_000_100))
    monkeypatch.setattr("gan_core.journal.time.strftime", lambda fmt: str(next(clock)))  # distinct, ordered stamps
    for i in range(5):
        assert shelf.save(OWNER, f"run{i}-dcgan-{10 * i}steps", f"weights {i}".encode()) is not None
    shelf.save(OTHER, "run1-mlp-3steps", b"theirs")
    assert [(name, data) for name, data in shelf.load(OWNER)] == [
        ("run4-dcgan-40steps", b"weights 4"),
        ("run3-dcgan-30steps", b"weights 3"),
        ("run2-dcgan-20steps", b"weights 2"),
    ]
    assert shelf.load(OTHER) == [("run1-mlp-3steps", b"theirs")]  # one owner never sees another's
    assert shelf.load("c" * 32) == []


def test_the_shelf_refuses_tokens_and_names_that_could_be_paths(tmp_path):
    shelf = RunShelf(tmp_path)
    for owner in ("../" + "a" * 29, "A" * 32, "a" * 31, "", None):
        with pytest.raises(ValueError, match="32 hexadecimal"):
            shelf.save(owner, "run1", b"x")
    for name in ("../run", "run/1", ".hidden", "", "x" * 81, "ünï"):
        with pytest.raises(ValueError, match="letters, digits"):
            shelf.save(OWNER, name, b"x")
    assert list(tmp_path.iterdir()) == []


def test_the_shelf_caps_its_total_size_oldest_first(tmp_path, monkeypatch):
    shelf = RunShelf(tmp_path, keep=10, max_bytes=250)
    clock = iter(range(1_700_000_000, 1_700_000_100))
    monkeypatch.setattr("gan_core.journal.time.strftime", lambda fmt: str(next(clock)))
    for i, owner in enumerate([OWNER, OTHER, OWNER]):
        shelf.save(owner, f"run{i}", bytes(100))
    assert [n for n, _ in shelf.load(OWNER)] == ["run2"] and [n for n, _ in shelf.load(OTHER)] == ["run1"]


def test_a_full_disk_never_breaks_a_finished_run(tmp_path, monkeypatch):
    shelf = RunShelf(tmp_path)
    shelf.save(OWNER, "run1", b"kept")
    fill_disk_after(monkeypatch, 0.5)
    assert shelf.save(OWNER, "run2", bytes(1000)) is None and "No space left" in shelf.error
    monkeypatch.undo()
    assert shelf.load(OWNER) == [("run1", b"kept")]  # no half-written file appears


# ------------------------------------------------------------------------------------------ tab stores
@pytest.fixture
def app_state(tmp_path, monkeypatch):
    """gan_ui.state with a fresh queue of one slot and a journal in tmp_path; every run stopped after."""
    monkeypatch.setenv("GAN_CLASSROOM_RUNS_DIR", str(tmp_path))
    monkeypatch.setenv("GAN_CLASSROOM_DISCONNECT_GRACE", "0")
    monkeypatch.setenv("GAN_CLASSROOM_TAB_KEEP", "0")  # tests that keep a tab's store set it
    from gan_ui import state

    server._journal = None
    reset_scheduler(Limits(max_concurrent=1))
    yield state
    # A test's stores may already be garbage: the queue still holds their runs, so stop those.
    sched = server_scheduler()
    trainers = [h for s in state.live_stores() for h in s.runs]
    trainers += [t.trainer for t in sched.running() + sched.queued()]
    for s in state.live_stores():
        s.close()
    for t in sched.queued():
        sched.cancel(t, t.session)
    for t in trainers:
        t.stop()
    for t in trainers:
        assert t.join(30), "a training thread outlived its test"
    server._journal = None
    reset_scheduler()


def test_stores_share_the_queue_and_a_closed_tab_leaves_it(app_state, mnist):
    state = app_state
    a, b = SessionStore(), SessionStore()
    ha = a.submit(a.add_run(Trainer(tiny(max_seconds=30.0), mnist, device="cpu")))
    hb = b.submit(b.add_run(Trainer(tiny(max_steps=5), mnist, device="cpu")))
    assert ha.status in ("ready", "running") and hb.status == "queued" and hb.queue_position == 1
    assert 0 < hb.wait_estimate() <= 30
    journal = json.loads((state.settings.runs_dir() / "journal.json").read_text())
    assert len(journal["running"]) == 2
    b.close()  # tab b closes while waiting
    assert hb.status == "stopped" and server_scheduler().counts()["queued"] == 0
    a.stop_run(ha)
    wait_for(lambda: ha.status == "stopped", 30, "a to stop")
    wait_for(
        lambda: json.loads((state.settings.runs_dir() / "journal.json").read_text())["running"] == {},
        10,
        "the journal to be empty",
    )


def test_a_queued_run_stopped_by_its_student_is_not_offered_as_a_model(app_state, mnist):
    assert app_state
    a, b = SessionStore(), SessionStore()
    a.submit(a.add_run(Trainer(tiny(max_seconds=30.0), mnist, device="cpu")))
    hb = b.submit(b.add_run(Trainer(tiny(max_steps=5), mnist, device="cpu")))
    b.stop_run(hb)
    assert hb.status == "stopped" and not hb.usable and b.user_models() == []
    assert b.active_run() is None


def test_a_second_run_in_the_same_tab_is_refused_while_one_waits(app_state, mnist):
    from gan_core import SchedulerError

    assert app_state
    a, b = SessionStore(), SessionStore()
    a.submit(a.add_run(Trainer(tiny(max_seconds=30.0), mnist, device="cpu")))
    b.submit(b.add_run(Trainer(tiny(max_steps=5), mnist, device="cpu")))
    with pytest.raises(SchedulerError):
        b.submit(b.add_run(Trainer(tiny(max_steps=5), mnist, device="cpu")))
    assert len(b.runs) == 1  # the refused handle is not kept


def test_a_reconnecting_tab_finds_its_run_within_the_grace_period(app_state, mnist, monkeypatch):
    state = app_state
    monkeypatch.setenv("GAN_CLASSROOM_DISCONNECT_GRACE", "30")
    a = SessionStore()
    h = a.submit(a.add_run(Trainer(tiny(max_seconds=30.0), mnist, device="cpu")))
    state.release_store(a)  # websocket dropped
    assert not a.closed and h.active and a in state.parked_stores()
    again = state.revive_or_new(a.token)  # same tab reconnects
    assert again is a and h.active and a not in state.parked_stores()
    assert state.revive_or_new("someone-else") is not a  # a different token gets a new store


def test_a_tab_that_does_not_come_back_is_closed_after_the_grace_period(app_state, mnist, monkeypatch):
    state = app_state
    monkeypatch.setenv("GAN_CLASSROOM_DISCONNECT_GRACE", "0.5")
    a = SessionStore()
    h = a.submit(a.add_run(Trainer(tiny(max_seconds=30.0), mnist, device="cpu")))
    state.release_store(a)
    assert h.active
    wait_for(lambda: a.closed, 10, "the grace period to end")
    assert h.join(30) and h.status == "stopped"
    assert state.revive_or_new(a.token) is not a


def test_a_finished_run_comes_back_to_its_tab_after_a_server_restart(app_state, mnist):
    assert app_state
    a = SessionStore()
    a.owner = OWNER
    h = a.submit(a.add_run(Trainer(tiny(max_steps=5), mnist, device="cpu")))
    assert h.join(60) and h.status == "finished"
    wait_for(lambda: server_shelf().load(OWNER), 10, "the run on the shelf")
    server._journal = None  # "restart": journal and shelf are opened afresh
    again, stranger = SessionStore(), SessionStore()
    again.owner, stranger.owner = OWNER, OTHER
    assert again.restore_saved() == 1 and stranger.restore_saved() == 0
    (entry,) = again.user_models()
    assert entry.kind == "saved" and entry.label == "Saved: run1-mlp-5steps" and entry.info["steps"] == 5
    z = torch.randn(3, entry.latent_dim)
    assert torch.equal(entry.G(z), h.model_entry().G(z))  # the very generator the run trained
    assert "saved on this server" in entry.describe()


def test_pages_of_one_tab_share_its_store_and_the_last_one_to_close_parks_it(app_state, mnist, monkeypatch):
    state = app_state
    monkeypatch.setenv("GAN_CLASSROOM_DISCONNECT_GRACE", "30")
    a = state.attach(OWNER)  # the tab's page ...
    again = state.attach(OWNER)  # ... and a second window on the same address
    assert again is a and a.pages == 2 and state.attach(OTHER) is not a
    h = a.submit(a.add_run(Trainer(tiny(max_seconds=30.0), mnist, device="cpu")))
    state.release_store(a)  # one window closes: nothing changes
    assert h.active and a not in state.parked_stores()
    state.release_store(a)  # the last one goes (a reload): parked, run on
    assert h.active and a in state.parked_stores()
    assert state.attach(OWNER) is a and h.active and a not in state.parked_stores()  # the reload's page


def test_a_tab_whose_last_page_closed_is_kept_with_its_runs_then_closed(app_state, mnist, monkeypatch):
    state = app_state
    monkeypatch.setenv("GAN_CLASSROOM_DISCONNECT_GRACE", "0.3")
    monkeypatch.setenv("GAN_CLASSROOM_TAB_KEEP", "0.6")
    a = state.attach(OWNER)
    h = a.submit(a.add_run(Trainer(tiny(max_seconds=30.0), mnist, device="cpu")))
    state.release_store(a)
    wait_for(lambda: not h.active, 30, "the grace period to end and the run to stop")
    assert "this tab was away" in h.message and not a.closed  # stopped, and why; still kept
    back = state.attach(OWNER)  # the tab comes back: its run, as it ended
    assert back is a and a.run(h.number) is h
    state.release_store(a)  # gone again, for longer than the keep period

    def another_page_opens() -> bool:  # (kept stores are closed as pages come and go)
        state.attach(OTHER)
        return a.closed

    wait_for(another_page_opens, 10, "the kept store to close")
    fresh = state.attach(OWNER)
    assert fresh is not a and fresh.runs == []
    assert any("was stopped at step" in n for n in fresh.notes)  # told what became of its run


def test_a_tab_without_a_run_is_closed_at_once(app_state, monkeypatch):
    state = app_state
    monkeypatch.setenv("GAN_CLASSROOM_DISCONNECT_GRACE", "30")
    a = SessionStore()
    state.release_store(a)
    assert a.closed and a not in state.parked_stores()


@pytest.mark.slow
def test_soak_smoke_five_cycles_leave_no_threads_behind(app_state, mnist):
    sys.path.insert(0, str(ROOT))
    from bench.soak import soak

    result = soak(cycles=5, data=mnist, stop_after_steps=3, preset="mlp")
    assert result["cycles"] == 5 and result["errors"] == []
    assert result["threads_end"] <= result["threads_start"] + 1, result
    assert all(s in ("stopped", "finished") for s in result["statuses"])


# ------------------------------------------------------------------------------------------ deployment
def test_server_config_is_set_for_a_shared_classroom():
    import tomllib

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    server, client = cfg["server"], cfg["client"]
    assert server["enableXsrfProtection"] is True
    assert 0 < server["maxUploadSize"] <= 64  # MB: checked by the server before our code reads a byte
    assert server["fileWatcherType"] == "none" and server["runOnSave"] is False
    assert client["showErrorDetails"] in ("none", "type")  # never a stack trace in a student's browser
    assert cfg["browser"]["gatherUsageStats"] is False
    assert server["disconnectedSessionTTL"] >= 30


def test_nothing_in_the_project_can_unpickle():
    """No torch.load, pickle or numpy allow_pickle in any code the app or the library runs."""
    banned = ("torch." + "load(", "import pickle", "pickle.load", "allow_pickle=True", "import dill", "joblib.load")
    offenders = []
    for path in [ROOT / "app.py", *(ROOT / "gan_core").glob("*.py"), *(ROOT / "gan_ui").rglob("*.py")]:
        text = path.read_text()
        offenders += [f"{path.name}: {b}" for b in banned if b in text]
    assert offenders == []


def test_user_typed_names_never_become_paths():
    """The only user-supplied name, an upload's file name, is used as a label; files the server writes
    are named by the server (journal.json, run tokens are uuid4 hex)."""

    entry = upload_entry(__import__("gan_core").checkpoint_bytes(*_tiny_model()), "../../etc/passwd.safetensors", 1)
    assert entry.key == "upload:1" and entry.label == "Uploaded: passwd"
    store = SessionStore()
    assert len(store.token) == 32 and all(c in "0123456789abcdef" for c in store.token)
    store.close()


def _tiny_model():
    from gan_core import GANConfig, build_models

    cfg = GANConfig(latent_dim=4, g_width=4, d_width=4)
    return cfg, build_models(cfg)[0]


def test_a_checkpoint_save_on_a_full_disk_leaves_no_half_written_file(tmp_path, monkeypatch):
    from gan_core import save_checkpoint

    cfg, G = _tiny_model()
    path = tmp_path / "run.safetensors"
    save_checkpoint(path, cfg, G, info={"steps": 1})
    before = path.read_bytes()
    fill_disk_after(monkeypatch, 1 / 3)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(path, cfg, G, info={"steps": 2})
    monkeypatch.undo()
    assert path.read_bytes() == before  # the old file, whole
    assert [p.name for p in tmp_path.iterdir()] == ["run.safetensors"]
