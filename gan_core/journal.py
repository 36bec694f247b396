"""A small on-disk journal of the runs a server is training, so a restart never loses them silently;
and a shelf of finished runs (RunShelf, at the end), so a restart does not lose those either.

Training state lives in memory: when the server process dies (a restart, a crash, the machine
rebooting), the runs in flight die with it. What must survive is the *fact*: the student who comes
back should read "your run (dcgan, 30 s) was interrupted at step 412 by a server restart", not find
the page empty. The journal is one JSON file:

    {"format": "gan-classroom-journal/1",
     "running":     {key: {"owner", "label", "step", "started", "updated", "pid"}},
     "interrupted": [{... same, plus "interrupted_at"}]}

* `begin(key, owner, label)` when a run starts, `progress(key, step)` now and then (throttled to one
  write every `every` seconds), `end(key)` when it ends in any way; `end(key, note)` when its owner must
  still hear about it (a finished run the shelf could not save).
* Opening the journal in a new process moves every "running" entry left by the previous process
  to "interrupted": those runs were alive when the old server died.
* `claim(owner)` hands a session its interrupted (or noted) runs once (and drops them from the file).
* A file that is not a journal in every detail is moved aside (`journal.json.bad-<time>`) and the
  journal starts afresh, so a damaged file never stops the pages.

Every write goes through `atomic_write` (temporary file + rename), so a crash mid-write leaves the
old journal, never half a file. The journal never breaks training: a full disk or a read-only
directory makes it log a warning and keep its state in memory (`error` says why).
Owners are opaque tokens; nothing typed by a user ever becomes part of a path.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from pathlib import Path

from . import safejson
from .checkpoints import atomic_write

log = logging.getLogger(__name__)

FORMAT = "gan-classroom-journal/1"
KEEP_INTERRUPTED = 200  # interrupted entries kept for their owners to claim (oldest dropped)
KEEP_SECONDS = 7 * 24 * 3600  # ... for at most a week
MAX_JOURNAL_BYTES = 4_000_000  # 200 kept entries are ~40 kB; a bigger file is not ours
# Each entry's fields and their types (journal_problem); pid, key and interrupted_at may be absent.
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
}
OPTIONAL = ("pid", "key", "interrupted_at", "note")


def journal_problem(doc) -> str | None:
    """What is wrong with a parsed journal document, in words, or None when every field has its type."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return f"not a {FORMAT} document"
    running, interrupted = doc.get("running", {}), doc.get("interrupted", [])
    if not isinstance(running, dict) or not isinstance(interrupted, list):
        return "'running' must be an object and 'interrupted' a list"
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
                else isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            )
            if not ok:
                return f"{where}.{name} is {value!r:.40}"
    return None


class RunJournal:
    def __init__(self, path: str | os.PathLike, every: float = 2.0):
        self.path = Path(path)
        self.every = every
        self.error: str | None = None
        self.set_aside: Path | None = None  # where a malformed journal found at start was moved
        self._lock = threading.Lock()
        self._last_write: dict[str, float] = {}
        self.running: dict[str, dict] = {}
        self.interrupted: list[dict] = []
        old = self._read()
        now = time.time()
        for key, entry in (old.get("running") or {}).items():  # alive when the previous server died
            if isinstance(entry, dict):
                self.interrupted.append({**entry, "key": key, "interrupted_at": entry.get("updated", now)})
        self.interrupted += [e for e in old.get("interrupted") or [] if isinstance(e, dict)]
        self.interrupted = [e for e in self.interrupted if now - float(e.get("interrupted_at") or now) < KEEP_SECONDS][
            -KEEP_INTERRUPTED:
        ]
        if old.get("running"):
            log.warning("%d run(s) were interrupted by the last server stop", len(old["running"]))
        self._write()

    # ------------------------------------------------------------------ a run's life
    def begin(self, key: str, owner: str, label: str) -> None:
        now = time.time()
        with self._lock:
            self.running[key] = {
                "owner": owner,
                "label": label,
                "step": 0,
                "started": now,
                "updated": now,
                "pid": os.getpid(),
            }
            self._last_write[key] = now
            self._write()

    def progress(self, key: str, step: int, force: bool = False) -> None:
        """Record the run's step; writes at most once every `every` seconds per run unless forced."""
        now = time.time()
        with self._lock:
            entry = self.running.get(key)
            if entry is None:
                return
            entry["step"], entry["updated"] = int(step), now
            if force or now - self._last_write.get(key, 0.0) >= self.every:
                self._last_write[key] = now
                self._write()

    def end(self, key: str, note: str | None = None) -> None:
        """The run ended. With a `note` (e.g. "finished, not saved: disk full") its owner is still told,
        once, through `claim`, like a run a restart interrupted."""
        with self._lock:
            self._last_write.pop(key, None)
            entry = self.running.pop(key, None)
            if entry is not None and note:
                self.interrupted = (
                    self.interrupted + [{**entry, "key": key, "interrupted_at": time.time(), "note": str(note)}]
                )[-KEEP_INTERRUPTED:]
            if entry is not None:
                self._write()

    def claim(self, owner: str) -> list[dict]:
        """The owner's runs that a server stop interrupted, handed out once."""
        with self._lock:
            mine = [e for e in self.interrupted if e.get("owner") == owner]
            if mine:
                self.interrupted = [e for e in self.interrupted if e.get("owner") != owner]
                self._write()
            return mine

    # ------------------------------------------------------------------ the file
    def _read(self) -> dict:
        """The previous process's journal, or {} when there is none. A file that is not a journal in every
        detail (not JSON, too big or too deep, wrong types) is renamed to `journal.json.bad-<time>` for the
        teacher to look at, and the journal starts afresh: a damaged file must never stop the pages."""
        try:
            with open(self.path, "rb") as fh:
                raw = fh.read(MAX_JOURNAL_BYTES + 1)
        except FileNotFoundError:
            return {}
        except OSError as exc:  # unreadable: start afresh, say so
            log.warning("ignoring the unreadable run journal %s: %s", self.path, exc)
            return {}
        try:
            doc = safejson.loads(raw, "the run journal", max_bytes=MAX_JOURNAL_BYTES)
            problem = journal_problem(doc)
        except safejson.JSONLimitError as exc:
            problem = str(exc)
        if problem is None:
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
        return {}

    def _write(self) -> None:
        doc = {"format": FORMAT, "running": self.running, "interrupted": self.interrupted}
        try:
            atomic_write(self.path, json.dumps(doc, indent=1, sort_keys=True).encode())
            self.error = None
        except OSError as exc:  # disk full, read-only storage: never break a run over it
            if self.error is None:
                log.warning("cannot write the run journal %s: %s", self.path, exc)
            self.error = f"{type(exc).__name__}: {exc}"


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
