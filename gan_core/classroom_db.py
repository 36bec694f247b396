"""The class board's storage: classes, members, run summaries and hand-ins in a real database.

Embedded by default: SQLite in WAL mode (`classroom.sqlite3` in the runs directory), so readers (the board)
never block the writer (the publishers) and a killed process loses nothing that was committed.
`GAN_CLASSROOM_DB_URL` (any SQLAlchemy URL, e.g. ``postgresql+psycopg://user@host/db``) points several app
replicas at one PostgreSQL server. Everything goes through SQLAlchemy Core; no ORM.

Files (sample grids, hand-in bundles) live beside the database in ``classroom_files/<class id>/`` and are
written atomically (a temporary file, then ``os.replace``), so a reader sees the old file or the new one,
never half of one.

Schema migrations are versioned: the ``schema_version`` table holds one row (the version applied) and
``MIGRATIONS`` is an ordered list of steps; ``ClassroomDB`` applies the missing ones on open, each in its own
transaction together with the version bump.

Privacy: a member's token is their only credential and is returned once, to them. Teacher calls take the
class's secret; nothing a student can call returns another member's token.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
import threading
import time
import unicodedata
from collections import defaultdict, deque
from pathlib import Path

import sqlalchemy as sa

from gan_core.i18n import N_, _

DB_URL_ENV = "GAN_CLASSROOM_DB_URL"
EXPIRY_ENV = "GAN_CLASSROOM_CLASS_HOURS"
DEFAULT_EXPIRY_S = 24 * 3600.0  # one school day and the evening's homework; then the data goes
DB_FILE = "classroom.sqlite3"
FILES_DIR = "classroom_files"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector without mistakes
CODE_LENGTH = 6  # 32^6 ~ 1e9 codes: guessing one under the rate limit takes years
NICK_MAX = 24  # fits a board tile at projector size
JOIN_WINDOW_S = 60.0  # rate limit: at most JOIN_FAILURES_MAX failed joins per client per minute...
JOIN_FAILURES_MAX = 5
JOIN_FLOOD_MAX = 120  # ...and at most this many joins (any outcome) per class per minute: a scripted flood

metadata = sa.MetaData()
schema_version = sa.Table("schema_version", metadata, sa.Column("version", sa.Integer, nullable=False))
classes = sa.Table(
    "classes",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("code", sa.String(16), nullable=False, unique=True),
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("expires", sa.Float, nullable=False),
    sa.Column("locked", sa.Text, nullable=False, default="{}"),
)
members = sa.Table(
    "members",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("class_id", sa.String(32), sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
    sa.Column("nickname", sa.String(64), nullable=False),
    sa.Column("nick_key", sa.String(64), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("joined", sa.Float, nullable=False),
    sa.UniqueConstraint("class_id", "nick_key", name="uq_member_nick"),
)
summaries = sa.Table(
    "run_summaries",
    metadata,
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("class_id", sa.String(32), nullable=False, index=True),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("grid_path", sa.String(255), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("alert", sa.String(64), nullable=True),
    sa.Column("frechet", sa.Float, nullable=True),
    sa.Column("updated", sa.Float, nullable=False),
)
hand_ins = sa.Table(
    "hand_ins",
    metadata,
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("class_id", sa.String(32), nullable=False, index=True),
    sa.Column("bundle_path", sa.String(255), nullable=False),
    sa.Column("settings", sa.Text, nullable=False),
    sa.Column("metrics", sa.Text, nullable=False),
    sa.Column("created", sa.Float, nullable=False),
)


def _v1(conn) -> None:
    for table in (classes, members, summaries, hand_ins):
        table.create(conn, checkfirst=True)


MIGRATIONS = [_v1]  # append steps; never edit or reorder a released one

WRONG_CODE = N_("No class has that code. Check the code on the board and try again.")
EXPIRED = N_("That class has ended. Ask your teacher for a new code.")
DUPLICATE = N_("Someone in this class already uses that nickname. Pick another one.")
BAD_NICK = N_("A nickname needs 1 to {max} letters, digits or spaces.")
SLOW_DOWN = N_("Too many tries. Wait a minute, then try again.")


class ClassroomError(ValueError):
    """A refusal with a reason (`kind`) and a message for the person (translated when raised)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def clean_nickname(raw: str) -> str:
    """Trimmed, inner whitespace collapsed; refused when empty, too long or with control/format characters."""
    text = " ".join(str(raw or "").split())
    bad = any(unicodedata.category(ch)[0] == "C" for ch in text)
    if not text or len(text) > NICK_MAX or bad:
        raise ClassroomError("nickname", _(BAD_NICK).format(max=NICK_MAX))
    return text


def default_url(directory: str | Path) -> str:
    return os.environ.get(DB_URL_ENV, "").strip() or f"sqlite:///{Path(directory) / DB_FILE}"


def expiry_seconds() -> float:
    raw = os.environ.get(EXPIRY_ENV, "").strip()
    try:
        return max(60.0, float(raw) * 3600.0) if raw else DEFAULT_EXPIRY_S
    except ValueError:
        return DEFAULT_EXPIRY_S


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ClassroomDB:
    """One process's handle on the class database (thread-safe: SQLAlchemy's pool, one transaction a call)."""

    def __init__(self, directory: str | Path, url: str | None = None, expiry_s: float | None = None, clock=time.time):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.files = self.directory / FILES_DIR
        self.url = url or default_url(self.directory)
        self.expiry_s = expiry_seconds() if expiry_s is None else float(expiry_s)
        self.clock = clock
        self._failures: dict[str, deque] = defaultdict(deque)
        self._joins: dict[str, deque] = defaultdict(deque)
        self._limit_lock = threading.Lock()
        self.engine = sa.create_engine(self.url, future=True)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.migrate()

    # ------------------------------------------------------------------ schema
    def version(self) -> int:
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("schema_version"):
                return 0
            return conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0

    def migrate(self) -> None:
        with self.engine.begin() as conn:
            schema_version.create(conn, checkfirst=True)
        for number, step in enumerate(MIGRATIONS, start=1):
            with self.engine.begin() as conn:
                current = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0
                if current >= number:
                    continue
                step(conn)
                conn.execute(schema_version.delete())
                conn.execute(schema_version.insert().values(version=number))

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ classes
    def create_class(self, locked: dict | None = None) -> tuple[str, str]:
        """A new class: (join code, teacher secret). The secret is stored hashed: only its holder has it."""
        now = self.clock()
        for _attempt in range(20):
            code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
            secret = secrets.token_urlsafe(24)
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        classes.insert().values(
                            id=secrets.token_hex(8),
                            code=code,
                            secret_hash=_hash(secret),
                            created=now,
                            expires=now + self.expiry_s,
                            locked=json.dumps(locked or {}, sort_keys=True),
                        )
                    )
                return code, secret
            except sa.exc.IntegrityError:
                continue  # a code already taken: draw another
        raise RuntimeError("could not draw a free join code")

    def _class_by_secret(self, conn, secret: str):
        row = conn.execute(sa.select(classes).where(classes.c.secret_hash == _hash(secret))).first()
        if row is None:
            raise ClassroomError("secret", _(WRONG_CODE))
        return row

    def class_info(self, secret: str) -> dict:
        with self.engine.connect() as conn:
            row = self._class_by_secret(conn, secret)
        return {"code": row.code, "created": row.created, "expires": row.expires, "locked": json.loads(row.locked)}

    def set_locked(self, secret: str, locked: dict) -> None:
        with self.engine.begin() as conn:
            row = self._class_by_secret(conn, secret)
            conn.execute(
                classes.update().where(classes.c.id == row.id).values(locked=json.dumps(locked, sort_keys=True))
            )

    def delete_class(self, secret: str) -> None:
        with self.engine.begin() as conn:
            row = self._class_by_secret(conn, secret)
            self._drop_class(conn, row.id)

    def _drop_class(self, conn, class_id: str) -> None:
        for table in (hand_ins, summaries):
            conn.execute(table.delete().where(table.c.class_id == class_id))
        conn.execute(members.delete().where(members.c.class_id == class_id))
        conn.execute(classes.delete().where(classes.c.id == class_id))
        shutil.rmtree(self.files / class_id, ignore_errors=True)

    def purge_expired(self) -> int:
        with self.engine.begin() as conn:
            ids = [r.id for r in conn.execute(sa.select(classes.c.id).where(classes.c.expires <= self.clock()))]
            for class_id in ids:
                self._drop_class(conn, class_id)
        return len(ids)

    # ------------------------------------------------------------------ members
    def _limited(self, bucket: dict, key: str, limit: int) -> bool:
        now = self.clock()
        with self._limit_lock:
            times = bucket[key]
            while times and times[0] <= now - JOIN_WINDOW_S:
                times.popleft()
            return len(times) >= limit

    def _note(self, bucket: dict, key: str) -> None:
        with self._limit_lock:
            bucket[key].append(self.clock())

    def join(self, code: str, nickname: str, client: str = "") -> dict:
        """Join with a code: {"token", "member", "nickname", "code", "locked"}; the token is shown to no one else.

        Refusals raise ClassroomError: kind "rate" (too many failures from this client, or a flood on the code),
        "nickname", "code", "expired", "duplicate"."""
        code = "".join(str(code or "").split()).upper()
        if self._limited(self._failures, client, JOIN_FAILURES_MAX) or self._limited(self._joins, code, JOIN_FLOOD_MAX):
            raise ClassroomError("rate", _(SLOW_DOWN))
        self._note(self._joins, code)
        try:
            nick = clean_nickname(nickname)
            token = secrets.token_urlsafe(24)
            member_id = secrets.token_hex(8)
            with self.engine.begin() as conn:
                row = conn.execute(sa.select(classes).where(classes.c.code == code)).first()
                if row is None:
                    raise ClassroomError("code", _(WRONG_CODE))
                if row.expires <= self.clock():
                    raise ClassroomError("expired", _(EXPIRED))
                key = nick.casefold()
                taken = conn.execute(
                    sa.select(members.c.id).where(members.c.class_id == row.id, members.c.nick_key == key)
                ).first()
                if taken is not None:
                    raise ClassroomError("duplicate", _(DUPLICATE))
                conn.execute(
                    members.insert().values(
                        id=member_id,
                        class_id=row.id,
                        nickname=nick,
                        nick_key=key,
                        token_hash=_hash(token),
                        joined=self.clock(),
                    )
                )
        except sa.exc.IntegrityError:
            self._note(self._failures, client)
            raise ClassroomError("duplicate", _(DUPLICATE)) from None
        except ClassroomError:
            self._note(self._failures, client)
            raise
        return {"token": token, "member": member_id, "nickname": nick, "code": code, "locked": json.loads(row.locked)}

    def _member(self, conn, token: str):
        row = conn.execute(
            sa.select(members, classes.c.expires, classes.c.locked, classes.c.code)
            .join(classes, classes.c.id == members.c.class_id)
            .where(members.c.token_hash == _hash(token))
        ).first()
        if row is None:
            raise ClassroomError("member", _(WRONG_CODE))
        if row.expires <= self.clock():
            raise ClassroomError("expired", _(EXPIRED))
        return row

    def membership(self, token: str) -> dict:
        """What a student's own page may know: their nickname, the code and the class's locked settings."""
        with self.engine.connect() as conn:
            row = self._member(conn, token)
        return {"nickname": row.nickname, "code": row.code, "locked": json.loads(row.locked)}

    def leave(self, token: str) -> None:
        """The member goes, with their tiles, hand-ins and files."""
        with self.engine.begin() as conn:
            row = self._member(conn, token)
            self._drop_member(conn, row.id, row.class_id)

    def _drop_member(self, conn, member_id: str, class_id: str) -> None:
        for table in (hand_ins, summaries):
            conn.execute(table.delete().where(table.c.member_id == member_id))
        conn.execute(members.delete().where(members.c.id == member_id))
        shutil.rmtree(self.files / class_id / member_id, ignore_errors=True)

    def members(self, secret: str) -> list[str]:
        with self.engine.connect() as conn:
            row = self._class_by_secret(conn, secret)
            rows = conn.execute(sa.select(members.c.nickname).where(members.c.class_id == row.id))
            return sorted(r.nickname for r in rows)

    # ------------------------------------------------------------------ run summaries (the board's tiles)
    def publish(self, token: str, run_id: str, summary: dict, grid_png: bytes | None = None) -> None:
        """Insert or replace one run's tile. `summary` is plain JSON data; status/alert/frechet are indexed."""
        with self.engine.begin() as conn:
            member = self._member(conn, token)
            grid_path = None
            if grid_png is not None:
                path = self.files / member.class_id / member.id / f"{_safe(run_id)}.png"
                write_atomic(path, grid_png)
                grid_path = str(path.relative_to(self.files))
            values = {
                "class_id": member.class_id,
                "data": json.dumps(summary, sort_keys=True),
                "status": str(summary.get("status", "running"))[:16],
                "alert": (summary.get("alert") or None),
                "frechet": summary.get("frechet"),
                "updated": self.clock(),
            }
            if grid_path is not None:
                values["grid_path"] = grid_path
            key = (summaries.c.member_id == member.id) & (summaries.c.run_id == run_id)
            if conn.execute(summaries.update().where(key).values(**values)).rowcount == 0:
                conn.execute(summaries.insert().values(member_id=member.id, run_id=run_id, **values))

    def tiles(self, secret: str) -> list[dict]:
        """Every tile of the class (teacher only), newest first: the summary plus nickname, grid path, ids."""
        with self.engine.connect() as conn:
            row = self._class_by_secret(conn, secret)
            rows = conn.execute(
                sa.select(summaries, members.c.nickname)
                .join(members, members.c.id == summaries.c.member_id)
                .where(summaries.c.class_id == row.id)
                .order_by(summaries.c.updated.desc())
            ).all()
        out = []
        for r in rows:
            tile = json.loads(r.data)
            tile.update(
                nickname=r.nickname,
                tile=f"{r.member_id}/{r.run_id}",
                grid=str(self.files / r.grid_path) if r.grid_path else None,
                updated=r.updated,
            )
            out.append(tile)
        return out

    def remove_tile(self, secret: str, tile: str) -> None:
        member_id, _sep, run_id = tile.partition("/")
        with self.engine.begin() as conn:
            row = self._class_by_secret(conn, secret)
            conn.execute(
                summaries.delete().where(
                    summaries.c.class_id == row.id, summaries.c.member_id == member_id, summaries.c.run_id == run_id
                )
            )

    # ------------------------------------------------------------------ hand-ins
    def hand_in(self, token: str, run_id: str, bundle: bytes, settings: dict, metrics: dict) -> None:
        with self.engine.begin() as conn:
            member = self._member(conn, token)
            path = self.files / member.class_id / member.id / f"{_safe(run_id)}.zip"
            write_atomic(path, bundle)
            values = {
                "class_id": member.class_id,
                "bundle_path": str(path.relative_to(self.files)),
                "settings": json.dumps(settings, sort_keys=True),
                "metrics": json.dumps(metrics, sort_keys=True),
                "created": self.clock(),
            }
            key = (hand_ins.c.member_id == member.id) & (hand_ins.c.run_id == run_id)
            if conn.execute(hand_ins.update().where(key).values(**values)).rowcount == 0:
                conn.execute(hand_ins.insert().values(member_id=member.id, run_id=run_id, **values))

    def hand_ins(self, secret: str) -> list[dict]:
        with self.engine.connect() as conn:
            row = self._class_by_secret(conn, secret)
            rows = conn.execute(
                sa.select(hand_ins, members.c.nickname)
                .join(members, members.c.id == hand_ins.c.member_id)
                .where(hand_ins.c.class_id == row.id)
                .order_by(members.c.nickname, hand_ins.c.run_id)
            ).all()
        return [
            {
                "nickname": r.nickname,
                "run_id": r.run_id,
                "bundle": self.files / r.bundle_path,
                "settings": json.loads(r.settings),
                "metrics": json.loads(r.metrics),
                "created": r.created,
            }
            for r in rows
        ]


def _safe(run_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(run_id))[:64] or "run"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer, a crash loses no commit
    cursor.execute("PRAGMA synchronous=FULL")  # a commit is on disk before it returns
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")  # several threads/processes: wait for the lock, don't fail
    cursor.close()
