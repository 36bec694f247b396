"""A small on-disk journal of the runs a server is training, so a restart never loses them silently;
and a shelf of finished runs (RunShelf, at the end), so a restart does not lose those either.

Training state lives in memory: when the server process dies (a restart, a crash, the machine
rebooting), the runs in flight die with it. What must survive is the *fact*: the student who comes
back should read "your run (dcgan, 30 s) was interrupted at step 412 by a server restart", not find
the page empty. The journal is one JSON file:

    {"format": "gan-classroom-journal/1",
     "running":     {key: {"owner", "label", "step", "started", "updated", "pid", "writer"}},
     "interrupted": [{... same, plus "interrupted_at"}],
     "writers":     {writer: last time it wrote}}

* `begin(key, owner, label)` when a run starts, `progress(key, step)` now and then (throttled to one
  write every `every` seconds), `end(key)` when it ends in any way; `end(key, note)` when its owner must
  still hear about it (a finished run the shelf could not save).
* Several server processes may share one journal (replicas of a deployment over one runs folder, a
  server restarted while another trains on). Each process is a *writer* and each "running" entry names
  the writer that journals it. A run is called interrupted only when its writer is gone: on the same
  machine, its process has ended (its pid and that process's start time, so a reused pid does not
  count); on another machine, it has not written for LEASE seconds (a writer with runs in flight writes
  at least every BEAT seconds). Another replica's restart never marks this replica's live runs as lost.
  A newer journal of the same file in the same process replaces the older one (tests simulate a
  restart this way): the older one's runs are interrupted.
* Every change is a read-modify-write of the file under an exclusive `flock` of it (the file's inode is
  checked after locking, as a write replaces the file), so the replicas' entries never overwrite each
  other; this process's own "running" entries are kept in memory and written back with every change.
* `claim(owner)` hands a session its interrupted (or noted) runs once (and drops them from the file).
* A file that is not a journal in every detail is moved aside (`journal.json.bad-<time>`) and the
  journal starts afresh, so a damaged file never stops the pages.

Every write goes through `atomic_write` (temporary file + rename), so a crash mid-write leaves the
old journal, never half a file. The journal never breaks training: a full disk or a read-only
directory makes it log a warning and keep its state in memory (`error` says why).
Owners are opaque tokens; nothing typed by a user ever becomes part of a path.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import secrets
import socket
import threading
import time
from pathlib import Path

from . import safejson
from .checkpoints import atomic_write

try:  # POSIX; elsewhere the journal is written without a lock (one server per folder)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

log = logging.getLogger(__name__)

FORMAT = "gan-classroom-journal/1"
KEEP_INTERRUPTED = 200  # interrupted entries kept for their owners to claim (oldest dropped)
KEEP_SECONDS = 7 * 24 * 3600  # ... for at most a week
MAX_JOURNAL_BYTES = 4_000_000  # 200 kept entries are ~40 kB; a bigger file is not ours
BEAT = 10.0  # seconds between a writer's writes while it has runs in flight (a heartbeat when none progress)
LEASE = 60.0  # a writer on another machine silent this long is gone (its runs interrupted); clocks may differ
# Each entry's fields and their types (journal_problem); pid, key, interrupted_at, note, writer may be absent.
ENTRY_TYPES = {
    "owner": "text",
    "label": "text",
    "step": "count",
    "started": "time",
    "updated": "time",
    "pid": "count",
    "key": "text",
    "interrupted_at": "time",
    "note": "text",
    "writer": "text",
}
OPTIONAL = ("pid", "key", "interrupted_at", "note", "writer")


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def journal_problem(doc) -> str | None:
    """What is wrong with a parsed journal document, in words, or None when every field has its type."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return f"not a {FORMAT} document"
    running, interrupted = doc.get("running", {}), doc.get("interrupted", [])
    if not isinstance(running, dict) or not isinstance(interrupted, list):
        return "'running' must be an object and 'interrupted' a list"
    writers = doc.get("writers", {})
    if not isinstance(writers, dict) or not all(_finite(t) for t in writers.values()):
        return "'writers' must map writers to times"
    for where, entry in [(f"running[{k!r}]", e) for k, e in running.items()] + [
        (f"interrupted[{i}]", e) for i, e in enumerate(interrupted)
    ]:
        if not isinstance(entry, dict):
            return f"{where} is not an object"
        for name, kind in ENTRY_TYPES.items():
            value = entry.get(name)
            if value is None and name in OPTIONAL:
                continue
            ok = (
                isinstance(value, str)
                if kind == "text"
                else isinstance(value, int) and not isinstance(value, bool) and value >= 0
                if kind == "count"
                else _finite(value)
            )
            if not ok:
                return f"{where}.{name} is {value!r:.40}"
    return None


# ------------------------------------------------------------------------------------------------
# Writers: which process journals a run, and whether it is still there
# ------------------------------------------------------------------------------------------------
def _read_text(path: str) -> str:
    try:
        with open(path) as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _machine() -> str:
    """This machine as its processes see it: the host name, the pid namespace (containers on one host may
    share a name) and the boot (a pid and its start time repeat after a reboot)."""
    ns = ""
    try:
        ns = os.readlink("/proc/self/ns/pid").strip("pid:[]")
    except OSError:
        pass
    return f"{socket.gethostname()}/{ns}/{_read_text('/proc/sys/kernel/random/boot_id')[:8]}"


def _started(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, from /proc), "" where there is no /proc but the
    process exists, None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        if os.path.isdir("/proc/self"):
            return None
    try:  # no /proc (macOS): the pid exists or not
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except OSError:
        pass
    return ""


MACHINE = _machine()
_serials = itertools.count(1)
_newest: dict[str, int] = {}  # journal file -> serial of this process's newest RunJournal of it


class RunJournal:
    def __init__(self, path: str | os.PathLike, every: float = 2.0):
        self.path = Path(path)
        self.every = every
        self.error: str | None = None
        self.set_aside: Path | None = None  # where a malformed journal found at start was moved
        self._lock = threading.Lock()
        self._last_write: dict[str, float] = {}
        self._mine: dict[str, dict] = {}  # this writer's runs in flight (the truth; the file's copy may lag)
        self._unsaved: list[dict] = []  # notes a full disk kept out of the file: put back in at every write
        self._doc: dict = {"format": FORMAT, "running": {}, "interrupted": [], "writers": {}}
        self._file = os.path.abspath(self.path)
        self._serial = next(_serials)
        _newest[self._file] = self._serial
        self._pstart = _started(os.getpid()) or ""
        self.writer = f"{MACHINE}|{os.getpid()}|{self._pstart}|{self._serial}"
        self._beat: threading.Thread | None = None
        with self._lock:
            moved = self._transact()
        if moved:
            log.warning("%d run(s) were interrupted by the last server stop", moved)

    @property
    def running(self) -> dict[str, dict]:
        """This server's runs in flight (other replicas' are in the file)."""
        return self._mine

    @property
    def interrupted(self) -> list[dict]:
        """Runs interrupted (or noted) and not yet claimed, as of this journal's last read of the file."""
        return self._doc["interrupted"]

    # ------------------------------------------------------------------ a run's life
    def begin(self, key: str, owner: str, label: str) -> None:
        now = time.time()
        with self._lock:
            self._mine[key] = {
                "owner": owner,
                "label": label,
                "step": 0,
                "started": now,
                "updated": now,
                "pid": os.getpid(),
                "writer": self.writer,
            }
            self._last_write[key] = now
            self._transact()
            if self._beat is None or not self._beat.is_alive():
                self._beat = threading.Thread(target=self._heartbeat, name="gan-journal-beat", daemon=True)
                self._beat.start()

    def progress(self, key: str, step: int, force: bool = False) -> None:
        """Record the run's step; writes at most once every `every` seconds per run unless forced."""
        now = time.time()
        with self._lock:
            entry = self._mine.get(key)
            if entry is None:
                return
            entry["step"], entry["updated"] = int(step), now
            if force or now - self._last_write.get(key, 0.0) >= self.every:
                self._last_write[key] = now
                self._transact()

    def end(self, key: str, note: str | None = None) -> None:
        """The run ended. With a `note` (e.g. "finished, not saved: disk full") its owner is still told,
        once, through `claim`, like a run a restart interrupted."""
        with self._lock:
            self._last_write.pop(key, None)
            entry = self._mine.pop(key, None)
            if entry is None:
                return
            if note:
                self._unsaved.append({**entry, "key": key, "interrupted_at": time.time(), "note": str(note)})
            self._transact()

    def claim(self, owner: str) -> list[dict]:
        """The owner's runs that a server stop interrupted, handed out once."""
        mine: list[dict] = []

        def take(doc):
            mine.extend(e for e in doc["interrupted"] if e.get("owner") == owner)
            doc["interrupted"] = [e for e in doc["interrupted"] if e.get("owner") != owner]

        with self._lock:
            if not self._mentions(owner):
                return mine  # every new tab asks: a file that names none of its runs is read, not rewritten
            self._transact(take)
            self._unsaved = [e for e in self._unsaved if e.get("owner") != owner]
        return mine

    def _mentions(self, owner: str) -> bool:
        """Whether the file (or what the disk refused) holds a run of `owner`: interrupted, or running under any
        writer (a gone writer's runs become interrupted in the next write). Unreadable storage: True, so that
        `_transact` deals with it as before. Called with self._lock held."""
        try:
            fd = self._locked()
        except OSError:
            return True
        try:
            doc = self._read()
        finally:
            if fd is not None:
                os.close(fd)
        entries = [*doc.get("interrupted", []), *doc.get("running", {}).values(), *self._unsaved]
        return any(isinstance(e, dict) and e.get("owner") == owner for e in entries)

    def _heartbeat(self) -> None:
        """While this writer has runs in flight, write at least every BEAT seconds: a replica on another
        machine that reads the file tells a live writer whose runs are paused from a dead one by this."""
        while True:
            time.sleep(BEAT)
            with self._lock:
                if not self._mine or _newest.get(self._file) != self._serial:
                    self._beat = None
                    return
                self._transact()

    # ------------------------------------------------------------------ the shared file
    def _transact(self, change=None) -> int:
        """Read the file (under its lock), sweep out gone writers' runs, put this writer's runs in, apply
        `change(doc)`, write it back. Storage that cannot be read or written leaves the change in memory
        (`error` says why). Returns how many runs were found interrupted. Called with self._lock held."""
        now = time.time()
        try:
            fd, on_file = self._locked(), True
        except OSError as exc:
            self._failed(exc)
            fd, on_file = None, False
        try:
            doc = self._read() if on_file else self._doc
            moved = self._merge(doc, now)
            doc["interrupted"].extend(e for e in self._unsaved if e not in doc["interrupted"])
            if change is not None:
                change(doc)
            doc["interrupted"] = [
                e for e in doc["interrupted"] if now - float(e.get("interrupted_at") or now) < KEEP_SECONDS
            ][-KEEP_INTERRUPTED:]
            self._doc = doc
            if on_file:
                try:
                    atomic_write(self.path, json.dumps(doc, indent=1, sort_keys=True).encode())
                    self.error = None
                    self._unsaved.clear()  # in the file now
                except OSError as exc:  # disk full, read-only storage: never break a run over it
                    self._failed(exc)
            return moved
        finally:
            if fd is not None:
                os.close(fd)  # releases the lock

    def _merge(self, doc: dict, now: float) -> int:
        """Into the file's document: gone writers' runs moved to "interrupted", this writer's runs as they
        are in memory (one it ended removed), its time in "writers". Returns how many runs were moved."""
        doc.setdefault("format", FORMAT)
        running, writers = doc.setdefault("running", {}), doc.setdefault("writers", {})
        doc.setdefault("interrupted", [])
        moved = 0
        for key, entry in list(running.items()):
            writer = entry.get("writer")
            if writer == self.writer:
                if key not in self._mine:
                    del running[key]
            elif self._gone(writer, writers.get(writer), now):
                del running[key]
                doc["interrupted"] = [e for e in doc["interrupted"] if e.get("key") != key]  # told once
                doc["interrupted"].append({**entry, "key": key, "interrupted_at": entry.get("updated", now)})
                moved += 1
        if _newest.get(self._file) == self._serial:  # a replaced journal's runs are the newer one's to report
            running.update({key: dict(entry) for key, entry in self._mine.items()})
        in_use = {e.get("writer") for e in running.values()}
        for writer in [w for w in writers if w not in in_use and self._gone(w, writers[w], now)]:
            del writers[writer]
        writers[self.writer] = now
        return moved

    def _gone(self, writer, seen, now: float) -> bool:
        """Whether `writer` (another process's, or an older journal of this process's) is gone."""
        try:
            machine, pid, pstart, serial = writer.rsplit("|", 3)
            pid, serial = int(pid), int(serial)
        except (AttributeError, ValueError):
            return True  # no writer (a journal written before writers were named): its server has stopped
        if machine != MACHINE:
            return seen is None or now - float(seen) > LEASE
        if pid == os.getpid() and pstart == self._pstart:
            return serial != _newest.get(self._file)
        return _started(pid) != pstart

    def _locked(self) -> int | None:
        """An open descriptor of the journal file holding its exclusive lock (the file created first when
        there is none); None without fcntl. Raises OSError when the file cannot be made or opened."""
        if fcntl is None:
            if not self.path.exists():
                self._create()
            return None
        for _ in range(50):
            try:
                fd = os.open(self.path, os.O_RDWR)
            except PermissionError:
                fd = os.open(self.path, os.O_RDONLY)
            except OSError:
                if self.path.exists():
                    raise
                self._create()
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except OSError as exc:  # a file system without locks: write unlocked, say so once
                    if self.error is None:
                        log.warning("cannot lock the run journal %s (%s): writing it unlocked", self.path, exc)
                if os.fstat(fd).st_ino == os.stat(self.path).st_ino:
                    return fd
            except OSError:
                pass
            os.close(fd)  # another process replaced the file meanwhile: lock the new one
        raise OSError(f"could not lock the run journal {self.path}")

    def _create(self) -> None:
        """An empty journal where there is none (never replacing one another process just made)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.parent / f".{self.path.name}.{secrets.token_hex(6)}.tmp"
        try:
            tmp.write_text(json.dumps({"format": FORMAT, "running": {}, "interrupted": [], "writers": {}}))
            os.link(tmp, self.path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)

    def _failed(self, exc: OSError) -> None:
        if self.error is None:
            log.warning("cannot write the run journal %s: %s", self.path, exc)
        self.error = f"{type(exc).__name__}: {exc}"

    def _read(self) -> dict:
        """The journal file's document, or a fresh one when there is none. A file that is not a journal in
        every detail (not JSON, too big or too deep, wrong types) is renamed to `journal.json.bad-<time>` for
        the teacher to look at, and the journal starts afresh: a damaged file must never stop the pages."""
        fresh = {"format": FORMAT, "running": {}, "interrupted": [], "writers": {}}
        try:
            with open(self.path, "rb") as fh:
                raw = fh.read(MAX_JOURNAL_BYTES + 1)
        except FileNotFoundError:
            return fresh
        except OSError as exc:  # unreadable: start afresh, say so
            log.warning("ignoring the unreadable run journal %s: %s", self.path, exc)
            return fresh
        try:
            doc = safejson.loads(raw, "the run journal", max_bytes=MAX_JOURNAL_BYTES)
            problem = journal_problem(doc)
        except safejson.JSONLimitError as exc:
            problem = str(exc)
        if problem is None:
            doc["interrupted"] = list(doc.get("interrupted") or [])
            doc["running"] = dict(doc.get("running") or {})
            doc["writers"] = dict(doc.get("writers") or {})
            return doc
        self.set_aside = self.path.with_name(f"{self.path.name}.bad-{time.strftime('%Y%m%dT%H%M%S')}")
        try:
            os.replace(self.path, self.set_aside)
            log.warning(
                "the run journal %s was malformed (%s): kept as %s, starting afresh",
                self.path,
                problem,
                self.set_aside.name,
            )
        except OSError as exc:
            log.warning(
                "the run journal %s was malformed (%s) and could not be set aside (%s): starting afresh",
                self.path,
                problem,
                exc,
            )
            self.set_aside = None
        return fresh


# ------------------------------------------------------------------------------------------------
# Finished runs kept on disk, per owner
# ------------------------------------------------------------------------------------------------
KEEP_SAVED = 5  # finished runs kept per owner (oldest dropped): enough for a lesson's variants
SHELF_MAX_BYTES = 2_000_000_000  # all owners together; beyond it the oldest files anywhere go first
_HEX = set("0123456789abcdef")
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")


class RunShelf:
    """Finished runs saved on the server, so a restart or a reloaded tab does not lose them.

        shelf = RunShelf(root)
        shelf.save(owner, "run3-dcgan-400steps", checkpoint_bytes)     # atomic, pruned to KEEP_SAVED
        shelf.load(owner)        # [(name, bytes)], newest first

    Layout: root/<owner>/<YYYYmmddTHHMMSS>-<name>.safetensors. The owner is the tab's random token
    (32 hex characters, checked) and the name is built by the app from its own run numbers and preset
    names (checked too), so nothing a user types ever becomes a path. Files are safetensors checkpoints
    (never unpickled). Like the journal, the shelf never breaks a run: a full disk or read-only storage
    is logged and kept in `error`, and `save` returns None.
    """

    def __init__(self, root: str | os.PathLike, keep: int = KEEP_SAVED, max_bytes: int = SHELF_MAX_BYTES):
        self.root, self.keep, self.max_bytes = Path(root), int(keep), int(max_bytes)
        self.error: str | None = None
        self._lock = threading.Lock()

    @staticmethod
    def _check(owner: str, name: str = "x") -> None:
        if not (isinstance(owner, str) and len(owner) == 32 and set(owner) <= _HEX):
            raise ValueError("An owner token is 32 hexadecimal characters.")
        if not (isinstance(name, str) and 0 < len(name) <= 80 and set(name) <= _NAME_CHARS and name[0] != "."):
            raise ValueError(f"A saved run's name uses letters, digits, '.', '-' and '_' only; got {name!r}.")

    def files(self, owner: str) -> list[Path]:
        """The owner's saved files, newest first."""
        self._check(owner)
        folder = self.root / owner
        try:
            found = [p for p in folder.iterdir() if p.suffix == ".safetensors" and p.is_file()]
        except OSError:
            return []
        return sorted(found, key=lambda p: p.name, reverse=True)

    def save(self, owner: str, name: str, data: bytes) -> Path | None:
        self._check(owner, name)
        path = self.root / owner / f"{time.strftime('%Y%m%dT%H%M%S')}-{name}.safetensors"  # the stamp has no '-'
        with self._lock:
            try:
                atomic_write(path, data)
                for old in self.files(owner)[self.keep :]:
                    old.unlink(missing_ok=True)
                self._prune_total()
                self.error = None
                return path
            except OSError as exc:
                log.warning("cannot save the finished run %s: %s", path.name, exc)
                self.error = f"{type(exc).__name__}: {exc}"
                return None

    def load(self, owner: str) -> list[tuple[str, bytes]]:
        """(name without the date and extension, file bytes) of the owner's saved runs, newest first."""
        out = []
        for path in self.files(owner):
            try:
                out.append((path.stem.split("-", 1)[1], path.read_bytes()))
            except OSError as exc:
                log.warning("cannot read the saved run %s: %s", path, exc)
        return out

    def _prune_total(self) -> None:
        try:
            every = [p for d in self.root.iterdir() if d.is_dir() for p in d.glob("*.safetensors")]
        except OSError:
            return
        sizes = {p: p.stat().st_size for p in every}
        total = sum(sizes.values())
        for p in sorted(every, key=lambda p: p.name.split("-", 1)[0]):  # oldest first, across owners
            if total <= self.max_bytes:
                break
            p.unlink(missing_ok=True)
            total -= sizes[p]
