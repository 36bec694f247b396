"""The class board's storage (gan_core/classroom_db.py), the same tests against SQLite and a real PostgreSQL.

PostgreSQL: Debian's server (`postgresql` package) started by this module in a temporary folder on a free
loopback port (as the `postgres` user when run as root), one fresh database a test, stopped at the end. Without
the server binaries the PostgreSQL half skips with its reason.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from gan_core import classroom_db as cdb
from gan_core import classroom_rules as rules

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_counter = itertools.count()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL server binaries not installed (Debian package postgresql)")
    pytest.importorskip("psycopg")
    root = Path(tempfile.mkdtemp(prefix="gan-pg-"))
    data = root / "data"
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    try:
        subprocess.run([*prefix, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
                       check=True, capture_output=True, timeout=120)  # fmt: skip
        opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=on"
        subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-w", "-t", "60",
                        "-l", str(root / "log"), "start"], check=True, capture_output=True, timeout=90)  # fmt: skip
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return None  # the default: classroom.sqlite3 in the directory
    import psycopg

    server = request.getfixturevalue("postgres")
    name = f"t{os.getpid()}_{next(_counter)}"
    with psycopg.connect(server.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def store(tmp_path, db_url):
    clock = Clock()
    db = cdb.ClassroomDB(tmp_path, url=db_url, expiry_s=3600, clock=clock)
    db.test_clock = clock
    yield db
    db.close()


def test_schema_is_versioned_and_reopening_migrates_nothing(store, tmp_path, db_url):
    assert store.version() == len(cdb.MIGRATIONS)
    if db_url is None:
        assert (tmp_path / cdb.DB_FILE).exists()
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    code, secret = store.create_class()
    again = cdb.ClassroomDB(tmp_path, url=db_url)
    assert again.version() == len(cdb.MIGRATIONS)
    assert again.class_info(secret)["code"] == code
    again.close()


def test_join_publish_board_leave(store):
    code, secret = store.create_class({"lr_G": 0.0002})
    ann = store.join(code.lower(), "  Ann  ", client="a")
    bob = store.join(code, "Bob", client="b")
    assert ann["nickname"] == "Ann" and ann["locked"] == {"lr_G": 0.0002}
    assert ann["token"] != bob["token"]
    store.publish(ann["token"], "r1", {"step": 10, "preset": "classic", "alert": "collapse"}, grid_png=b"PNG1")
    store.publish(bob["token"], "r1", {"step": 5, "status": "finished", "frechet": 3.5})
    store.publish(ann["token"], "r1", {"step": 20, "preset": "classic"}, grid_png=b"PNG2")
    tiles = store.tiles(secret)
    assert [t["nickname"] for t in tiles] == ["Ann", "Bob"]
    assert tiles[0]["step"] == 20 and Path(tiles[0]["grid"]).read_bytes() == b"PNG2"
    assert all("token" not in str(t) and ann["token"] not in str(t) for t in tiles)
    assert store.members(secret) == ["Ann", "Bob"]
    store.leave(ann["token"])
    assert [t["nickname"] for t in store.tiles(secret)] == ["Bob"]
    assert not Path(tiles[0]["grid"]).exists()
    with pytest.raises(cdb.ClassroomError) as err:
        store.publish(ann["token"], "r2", {"step": 1})
    assert err.value.kind == "member"


def test_refusals_have_reasons_and_flooding_is_rate_limited(store):
    code, secret = store.create_class()
    store.join(code, "Ann", client="x")
    for nick, kind in [("ann", "duplicate"), ("", "nickname"), ("a\x07b", "nickname"), ("x" * 25, "nickname")]:
        with pytest.raises(cdb.ClassroomError) as err:
            store.join(code, nick, client=f"c-{kind}-{len(nick)}")
        assert err.value.kind == kind and str(err.value)
    with pytest.raises(cdb.ClassroomError) as err:
        store.join("ZZZZZZ", "Eve", client="guesser")
    assert err.value.kind == "code"
    for _i in range(rules.JOIN_FAILURES_MAX - 1):
        with pytest.raises(cdb.ClassroomError):
            store.join("ZZZZZZ", "Eve", client="guesser")
    with pytest.raises(cdb.ClassroomError) as err:
        store.join(code, "Eve", client="guesser")  # even the right code: this client must wait
    assert err.value.kind == "rate"
    store.test_clock.now += rules.JOIN_WINDOW_S + 1
    assert store.join(code, "Eve", client="guesser")["nickname"] == "Eve"


def test_expiry_and_delete(store):
    code, secret = store.create_class()
    ann = store.join(code, "Ann")
    store.publish(ann["token"], "r1", {"step": 1}, grid_png=b"x")
    store.test_clock.now += 3601
    with pytest.raises(cdb.ClassroomError) as err:
        store.join(code, "Bob", client="late")
    assert err.value.kind == "expired"
    assert store.purge_expired() == 1
    with pytest.raises(cdb.ClassroomError):
        store.tiles(secret)
    code2, secret2 = store.create_class()
    bob = store.join(code2, "Bob")
    store.publish(bob["token"], "r1", {"step": 1}, grid_png=b"x")
    store.delete_class(secret2)
    assert not any((store.files).glob("*/*/*.png"))
    with pytest.raises(cdb.ClassroomError):
        store.membership(bob["token"])


def test_teacher_removes_a_tile_locks_settings_and_collects_hand_ins(store):
    code, secret = store.create_class()
    ann = store.join(code, "Ann")
    store.publish(ann["token"], "r1", {"step": 1})
    store.publish(ann["token"], "r2", {"step": 2})
    removed = store.tiles(secret)[0]
    store.remove_tile(secret, removed["tile"])
    assert len(store.tiles(secret)) == 1
    store.publish(ann["token"], removed["tile"].split("/")[1], {"step": 3})  # the removed run trains on
    assert [t["tile"] for t in store.tiles(secret)] != [removed["tile"]] and len(store.tiles(secret)) == 1
    store.publish(ann["token"], "r3", {"step": 1})  # a new run of the same student is shown
    assert len(store.tiles(secret)) == 2
    store.set_locked(secret, {"lesson": 5, "lr_G": 0.01})
    assert store.membership(ann["token"])["locked"] == {"lesson": 5, "lr_G": 0.01}
    store.hand_in(ann["token"], "r1", b"ZIPDATA", {"lr_G": 0.01}, {"frechet": 2.0})
    (entry,) = store.hand_ins(secret)
    assert entry["nickname"] == "Ann" and entry["bundle"].read_bytes() == b"ZIPDATA"
    assert entry["settings"] == {"lr_G": 0.01} and entry["metrics"] == {"frechet": 2.0}
    with pytest.raises(cdb.ClassroomError):
        store.tiles("not-the-secret")


def test_a_new_process_on_the_same_database_has_the_class_its_members_tiles_and_locks(store, tmp_path, db_url):
    """What a web-server restart keeps: everything, found again by the tab's token (nothing lives in memory)."""
    code, secret = store.create_class()
    tab = "0123456789abcdef0123456789abcdef"
    joined = store.join(code, "Ann", client="a", token=rules.member_token(tab))
    assert joined["token"] == rules.member_token(tab)
    store.publish(joined["token"], "1", {"step": 7, "status": "running"}, grid_png=b"PNG")
    store.set_locked(secret, {"lesson": 5, "lock": ["lr"]})
    store.close()

    again = cdb.ClassroomDB(tmp_path, url=db_url, expiry_s=3600, clock=store.test_clock)  # the restarted server
    assert again.membership(rules.member_token(tab)) == {
        "nickname": "Ann",
        "code": code,
        "locked": {"lesson": 5, "lock": ["lr"]},
    }
    (tile,) = again.tiles(secret)
    assert tile["nickname"] == "Ann" and tile["step"] == 7 and Path(tile["grid"]).read_bytes() == b"PNG"
    again.publish(rules.member_token(tab), "1", {"step": 9, "status": "running"})  # the feed goes on
    assert again.tiles(secret)[0]["step"] == 9
    with pytest.raises(cdb.ClassroomError) as err:
        again.membership(rules.member_token("f" * 32))  # another tab is in no class
    assert err.value.kind == "member"

    code2, secret2 = again.create_class()  # the same tab joins another class: it leaves the first, tiles too
    again.join(code2, "Ann", client="a", token=rules.member_token(tab))
    assert again.membership(rules.member_token(tab))["code"] == code2
    assert again.tiles(secret) == [] and again.members(secret) == []
    again.close()


WRITER = """
import sys
from gan_core.classroom_db import ClassroomDB
db = ClassroomDB(sys.argv[1], url=sys.argv[2] or None)
for i in range(100000):
    db.publish(sys.argv[3], f"run{i}", {"step": i, "losses": list(range(200))}, grid_png=b"x" * 2000)
    print(i + 1, flush=True)
"""


def test_kill_9_mid_write_loses_no_committed_row(tmp_path, db_url):
    db = cdb.ClassroomDB(tmp_path, url=db_url)
    code, secret = db.create_class()
    token = db.join(code, "Ann")["token"]
    db.close()
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path), db_url or "", token],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    committed = 0
    try:
        for line in child.stdout:
            committed = int(line)
            if committed >= 40:
                break
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert committed >= 40, "the writer never got going"
    again = cdb.ClassroomDB(tmp_path, url=db_url)
    tiles = again.tiles(secret)
    assert len(tiles) >= committed
    assert {t["step"] for t in tiles} >= set(range(committed))
    again.close()
