"""The class database's schema, its versioned migrations, and where the database is.

Tables: `classes` (join code, the teacher secret's hash, expiry, the locked settings the teacher pushed),
`members` (nickname, the member token's hash), `run_summaries` (one board tile a run: JSON data plus the
indexed status/alert/Fréchet, the grid's file), `removed_tiles` (runs the teacher took off the board: their later
writes are dropped), `hand_ins` (a bundle's file, its settings and metrics).

Migrations are versioned: `schema_version` holds one row (the version applied) and `MIGRATIONS` is an ordered
list of steps; `migrate(engine)` applies the missing ones, each in its own transaction with the version bump.

Where: `GAN_CLASSROOM_DB_URL` (any SQLAlchemy URL, e.g. ``postgresql+psycopg://user@host/db``) for several app
replicas sharing one PostgreSQL server; else SQLite in WAL mode, `classroom.sqlite3` in the runs directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

DB_URL_ENV = "GAN_CLASSROOM_DB_URL"
EXPIRY_ENV = "GAN_CLASSROOM_CLASS_HOURS"
DEFAULT_EXPIRY_S = 24 * 3600.0  # one school day and the evening's homework; then the data goes
DB_FILE = "classroom.sqlite3"

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


removed_tiles = sa.Table(
    "removed_tiles",
    metadata,
    sa.Column("member_id", sa.String(32), sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("class_id", sa.String(32), nullable=False, index=True),
)


def _v1(conn) -> None:
    for table in (classes, members, summaries, hand_ins):
        table.create(conn, checkfirst=True)


def _v2(conn) -> None:
    removed_tiles.create(conn, checkfirst=True)


MIGRATIONS = [_v1, _v2]  # append steps; never edit or reorder a released one


def version(engine: sa.Engine) -> int:
    """The schema version applied (0 for an empty database)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("schema_version"):
            return 0
        return conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0


def migrate(engine: sa.Engine) -> None:
    """Apply the missing migrations, each with its version bump in one transaction."""
    with engine.begin() as conn:
        schema_version.create(conn, checkfirst=True)
    for number, step in enumerate(MIGRATIONS, start=1):
        with engine.begin() as conn:
            current = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0
            if current >= number:
                continue
            step(conn)
            conn.execute(schema_version.delete())
            conn.execute(schema_version.insert().values(version=number))


def default_url(directory: str | Path) -> str:
    return os.environ.get(DB_URL_ENV, "").strip() or f"sqlite:///{Path(directory) / DB_FILE}"


def expiry_seconds() -> float:
    """How long a class lives: $GAN_CLASSROOM_CLASS_HOURS (at least a minute), else DEFAULT_EXPIRY_S."""
    raw = os.environ.get(EXPIRY_ENV, "").strip()
    try:
        return max(60.0, float(raw) * 3600.0) if raw else DEFAULT_EXPIRY_S
    except ValueError:
        return DEFAULT_EXPIRY_S


def open_engine(url: str) -> sa.Engine:
    """An engine on `url`, migrated; SQLite connections in WAL mode with full sync and foreign keys."""
    engine = sa.create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine)
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer, a crash loses no commit
    cursor.execute("PRAGMA synchronous=FULL")  # a commit is on disk before it returns
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")  # several threads/processes: wait for the lock, don't fail
    cursor.close()
