"""A real full disk (a 200 kB tmpfs, filled up) under everything that writes: the CLI's --out files, a run the
CLI cannot save where asked, the run journal, the shelf, and a run that ends in the app.

Nothing may be left half-written, every failure is one clear line, and a finished run is never lost
without a word: the CLI keeps it in $TMPDIR (or the path a person types), the app says "finished, not
saved: disk full" on the run's page and, through the journal, to the tab that comes back for it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from campaign import CRASH, assert_clear_error, files_under, fill, run_batch
from campaign_inputs import TRAIN, checkpoints, digit_picture, png
from thread_support import tiny_mlp, wait_for

from gan_core import RunJournal, RunShelf, Trainer, load_checkpoint
from gan_ui import server
from gan_ui.server import reset_scheduler, server_journal, server_scheduler
from gan_ui.store import SessionStore

OWNER = "c" * 32


@pytest.fixture
def full(tmpfs):
    """The tmpfs, emptied, then filled to its last byte."""
    for p in sorted(tmpfs.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    fill(tmpfs, 0)
    return tmpfs


def _on_disk(folder):
    return files_under(folder) - {"filler"}


# When $TMPDIR is full too, Python's tempfile.gettempdir() moves on to /tmp by itself, so the "saved nowhere"
# case is tried in-process below (test_a_run_that_cannot_be_saved_anywhere_says_so), not by the CLI here.
CLI = [  # id, argv (the full disk is {full}, rescues go to {tmp}), environment, expected error fragment
    ("train out on a full disk", [*TRAIN, "--out", "{full}/run.safetensors"], {}, "the run is saved in {tmp}/"),
    (
        "sample npy on a full disk",
        ["sample", "--model", "{good}", "--n", "2000", "--out", "{full}/x.npy"],
        {},
        "No space left on device",
    ),
    (
        "sample png on a full disk",
        ["sample", "--model", "{good}", "--out", "{full}/x.png"],
        {},
        "No space left on device",
    ),
    (
        "directions on a full disk",
        ["directions", "--model", "{good}", "--k", "2", "--frames", "3", "--n", "40", "--out", "{full}/d.png"],
        {},
        "No space left on device",
    ),
    (
        "invert on a full disk",
        ["invert", "--model", "{good}", "--image", "{digit}", "--seconds", "0.2", "--out", "{full}/z.json"],
        {},
        "No space left on device",
    ),
]


@pytest.fixture(scope="module")
def cli_outcomes(tmp_path_factory, tmpfs, mnist):
    base = tmp_path_factory.mktemp("full-disk")
    for p in sorted(tmpfs.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    fill(tmpfs, 0)
    places = {
        "full": str(tmpfs),
        "tmp": str(base / "tmp"),
        "good": str(checkpoints(base / "ckpt")["good"]),
        "digit": str(base / "digit.png"),
    }
    (base / "digit.png").write_bytes(png(digit_picture(mnist)))
    (base / "tmp").mkdir()
    jobs = []
    for name, argv, env, _ in CLI:
        cwd = base / "work" / re.sub(r"[^a-z0-9]+", "-", name)
        cwd.mkdir(parents=True)
        jobs.append(
            {
                "id": name,
                "argv": [a.format(**places) for a in argv],
                "cwd": str(cwd),
                "env": {k: v.format(**places) for k, v in env.items()},
            }
        )
    got = run_batch(jobs, base, {"TMPDIR": places["tmp"]})
    got["_places"] = places
    return got


@pytest.mark.bad_input
@pytest.mark.parametrize("case", CLI, ids=[c[0] for c in CLI])
def test_cli_on_a_full_disk(case, cli_outcomes, tmpfs):
    r, places = cli_outcomes[case[0]], cli_outcomes["_places"]
    assert r.get("crash") is None, f"{CRASH}: {r['crash']}"
    assert_clear_error(r["rc"], r["stderr"], case[3].format(**places))
    assert _on_disk(tmpfs) == set()  # no half-written file, no temporary file
    assert files_under(Path(r["cwd"])) == set()


def test_a_run_the_cli_could_not_save_is_kept_whole_in_tmpdir(cli_outcomes):
    r, places = cli_outcomes["train out on a full disk"], cli_outcomes["_places"]
    kept = re.search(r"the run is saved in (\S+) instead", r["stderr"]).group(1)
    assert kept.startswith(places["tmp"])
    ckpt = load_checkpoint(kept)  # whole and loadable: the run is not lost
    assert ckpt.info["steps"] == 2
    assert ckpt.config.g_width == 8
    assert "run.safetensors" in kept


def test_a_person_at_a_terminal_is_asked_where_to_save(full, tmp_path, monkeypatch):
    """Both --out and $TMPDIR full: on a terminal the run stays in memory until a path that works is typed."""
    import tempfile

    from gan_core.cli import save_or_rescue

    monkeypatch.setattr(tempfile, "tempdir", str(full))
    answers = iter([str(full / "again.safetensors"), str(tmp_path / "kept.safetensors")])
    prompts = []
    got = save_or_rescue(full / "run.safetensors", b"x" * 5000, ask=lambda p: prompts.append(p) or next(answers))
    assert got is None  # the --out asked for was not written: exit code 2
    assert (tmp_path / "kept.safetensors").read_bytes() == b"x" * 5000
    assert len(prompts) == 2
    assert "The run is still in memory" in prompts[0]
    assert _on_disk(full) == set()


@pytest.mark.bad_input
def test_a_run_that_cannot_be_saved_anywhere_says_so(full, monkeypatch, capsys):
    """--out and $TMPDIR both full, no terminal to ask at: one error line that says the run is lost and why."""
    import tempfile

    from gan_core.cli import save_or_rescue

    monkeypatch.setattr(tempfile, "tempdir", str(full))
    assert save_or_rescue(full / "run.safetensors", b"x" * 5000) is None  # pytest's stdin is not a terminal
    assert_clear_error(2, capsys.readouterr().err, "could not be saved anywhere")
    assert _on_disk(full) == set()


@pytest.mark.bad_input
def test_the_journal_on_a_full_disk_keeps_its_old_file(full):
    full_journal = full / "journal.json"
    # make room for one journal, write it, then fill the rest
    (full / "filler").unlink()
    j = RunJournal(full_journal)
    j.begin("a", OWNER, "first run")
    before = full_journal.read_bytes()
    fill(full, 0)
    j.begin("b", OWNER, "second run")
    assert "No space left" in j.error
    assert full_journal.read_bytes() == before
    assert _on_disk(full) == {"journal.json"}


@pytest.mark.bad_input
def test_the_shelf_on_a_full_disk(full):
    shelf = RunShelf(full / "saved")
    assert shelf.save(OWNER, "run1", bytes(50_000)) is None
    assert "No space left" in shelf.error
    assert shelf.load(OWNER) == []
    assert _on_disk(full) == set()


@pytest.fixture
def app_on_a_full_disk(tmpfs, monkeypatch):
    """gan_ui.state with its runs folder (journal and shelf) on the tmpfs; every run stopped after."""
    from gan_core import Limits
    from gan_ui import state

    for p in sorted(tmpfs.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    monkeypatch.setenv("GAN_CLASSROOM_RUNS_DIR", str(tmpfs))
    server._journal = None
    reset_scheduler(Limits(max_concurrent=1))
    yield state
    for s in state.live_stores():
        s.close()
    server._journal = None
    reset_scheduler()


@pytest.mark.bad_input
def test_a_run_that_ends_on_a_full_disk_is_finished_not_saved_never_interrupted(app_on_a_full_disk, mnist, tmpfs):
    store = SessionStore()
    store.owner = OWNER
    journal = server_journal()  # the journal file exists before the disk fills
    fill(tmpfs, 0)
    handle = store.submit(store.add_run(Trainer(tiny_mlp(max_steps=20), mnist, device="cpu")))
    assert handle.join(60)
    wait_for(lambda: not handle.active, 30, "the run's end")
    assert handle.status == "finished"
    assert handle.save_error == "finished, not saved: disk full"
    assert handle.usable  # still in this tab: Explore and the download work
    assert len(handle.checkpoint()) > 0
    noted = journal.claim(OWNER)  # what a reloaded tab is told
    assert [e.get("note") for e in noted] == ["finished, not saved: disk full"]
    assert journal.running == {}
    assert not [p for p in tmpfs.rglob("*.tmp")]  # nothing half-written
    assert server_scheduler().counts()["running"] == 0


@pytest.mark.bad_input
def test_a_crashing_end_callback_still_frees_the_class_slot(mnist):
    """The scheduler frees a run's slot in the last on_end callback: one that raises before it must not leak it."""
    from gan_core import Limits, Scheduler

    sched = Scheduler(Limits(max_concurrent=1))
    first = Trainer(tiny_mlp(max_steps=5), mnist, device="cpu")
    first.add_callback("on_end", lambda t: 1 / 0)  # an earlier callback with a bug
    sched.submit("a", first)
    second = sched.submit("b", Trainer(tiny_mlp(max_steps=5), mnist, device="cpu"))
    wait_for(lambda: second.trainer.done, 60, "the next run in the queue")
    wait_for(lambda: sched.counts()["running"] == 0, 30, "the second run's slot to be freed")
    assert second.trainer.status == "finished"
    assert first.callback_errors == ["on_end <lambda>: ZeroDivisionError: division by zero"]


def test_atomic_write_never_touches_the_umask(tmp_path, monkeypatch):
    """os.umask is process-wide: a worker thread saving a file must not change it, even for a moment."""
    import os
    import threading

    from gan_core.checkpoints import atomic_write

    mask = os.umask(0o022)
    os.umask(mask)
    monkeypatch.setattr(os, "umask", lambda *a: pytest.fail("atomic_write called os.umask"))
    errors = []

    def save(i):
        try:
            atomic_write(tmp_path / f"f{i}.bin", bytes([i]) * 100)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    modes = {(p.stat().st_mode & 0o777) for p in tmp_path.iterdir()}
    assert modes == {0o666 & ~mask}
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"f{i}.bin" for i in range(8)]
    assert np.frombuffer((tmp_path / "f3.bin").read_bytes(), np.uint8).tolist() == [3] * 100
