"""The class board's storage: classes, members, run summaries and hand-ins in a real database.

Embedded by default: SQLite in WAL mode (`classroom.sqlite3` in the runs directory), so readers (the board)
never block the writer (the publishers) and a killed process loses nothing that was committed.
`GAN_CLASSROOM_DB_URL` points several app replicas at one PostgreSQL server. Everything goes through
SQLAlchemy Core; no ORM. The tables and their versioned migrations: gan_core/classroom_schema.py; refusals,
nicknames, rate limits, hashing and atomic files: gan_core/classroom_rules.py.

Everything a class is lives in the database, nothing in the process: a new process (a restarted server, another
replica) on the same database has every class, member, tile, hand-in and pushed lock.

Files (sample grids, hand-in bundles) live beside the database in ``classroom_files/<class id>/<member id>/``
and are written atomically.

Privacy: a member's token is their only credential and is returned once, to them (or derived from their tab's
token, `classroom_rules.member_token`). Teacher calls take the class's secret; nothing a student can call
returns another member's token.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from pathlib import Path

import sqlalchemy as sa

from gan_core.i18n import _

from .atomic import atomic_write
from .classroom_rules import (
    DUPLICATE,
    EXPIRED,
    WRONG_CODE,
    ClassroomError,
    JoinLimits,
    clean_code,
    clean_nickname,
    digest,
    new_code,
    safe_name,
)
from .classroom_schema import (
    DB_FILE,
    MIGRATIONS,
    classes,
    default_url,
    expiry_seconds,
    hand_ins,
    members,
    open_engine,
    removed_tiles,
)
from .classroom_schema import summaries as tiles_table
from .classroom_schema import version as schema_version

__all__ = ["DB_FILE", "FILES_DIR", "MIGRATIONS", "ClassroomDB", "ClassroomError"]

FILES_DIR = "classroom_files"


class ClassroomDB:
    """One process's handle on the class database (thread-safe: SQLAlchemy's pool, one transaction a call)."""

    def __init__(self, directory: str | Path, url: str | None = None, expiry_s: float | None = None, clock=time.time):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.files = self.directory / FILES_DIR
        self.url = url or default_url(self.directory)
        self.expiry_s = expiry_seconds() if expiry_s is None else float(expiry_s)
        self.clock = clock
        self.limits = JoinLimits(clock)
        self.engine = open_engine(self.url)

    def version(self) -> int:
        return schema_version(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ classes
    def create_class(self, locked: dict | None = None) -> tuple[str, str]:
        """A new class: (join code, teacher secret). The secret is stored hashed: only its holder has it."""
        now = self.clock()
        for _attempt in range(20):
            code, secret = new_code(), secrets.token_urlsafe(24)
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        classes.insert().values(
                            id=secrets.token_hex(8),
                            code=code,
                            secret_hash=digest(secret),
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
        row = conn.execute(sa.select(classes).where(classes.c.secret_hash == digest(secret))).first()
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
        for table in (hand_ins, tiles_table, removed_tiles):
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
    def join(self, code: str, nickname: str, client: str = "", token: str | None = None) -> dict:
        """Join with a code: {"token", "member", "nickname", "code", "locked"}; the token is shown to no one else.

        `token`: the member token to use (a tab's `member_token`), else a new random one. A token that already
        belongs to a member (of this class or an older one) leaves that membership first: one class at a time.
        Refusals raise ClassroomError: kind "rate" (too many failures from this client, or a flood on the code),
        "nickname", "code", "expired", "duplicate"."""
        code = clean_code(code)
        self.limits.check(client, code)
        try:
            nick = clean_nickname(nickname)
            token = token or secrets.token_urlsafe(24)
            member_id = secrets.token_hex(8)
            with self.engine.begin() as conn:
                row = conn.execute(sa.select(classes).where(classes.c.code == code)).first()
                if row is None:
                    raise ClassroomError("code", _(WRONG_CODE))
                if row.expires <= self.clock():
                    raise ClassroomError("expired", _(EXPIRED))
                for old in conn.execute(sa.select(members).where(members.c.token_hash == digest(token))).all():
                    self._drop_member(conn, old.id, old.class_id)
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
                        token_hash=digest(token),
                        joined=self.clock(),
                    )
                )
        except sa.exc.IntegrityError:
            self.limits.failed(client)
            raise ClassroomError("duplicate", _(DUPLICATE)) from None
        except ClassroomError:
            self.limits.failed(client)
            raise
        return {"token": token, "member": member_id, "nickname": nick, "code": code, "locked": json.loads(row.locked)}

    def _member(self, conn, token: str):
        row = conn.execute(
            sa.select(members, classes.c.expires, classes.c.locked, classes.c.code)
            .join(classes, classes.c.id == members.c.class_id)
            .where(members.c.token_hash == digest(token))
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
        for table in (hand_ins, tiles_table, removed_tiles):
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
        """Insert or replace one run's tile. `summary` is plain JSON data; status/alert/frechet are indexed.
        A run the teacher removed from the board stays off it: its later writes are dropped."""
        with self.engine.begin() as conn:
            member = self._member(conn, token)
            gone = sa.select(removed_tiles.c.run_id).where(
                removed_tiles.c.member_id == member.id, removed_tiles.c.run_id == run_id
            )
            if conn.execute(gone).first() is not None:
                return
            values = {
                "class_id": member.class_id,
                "data": json.dumps(summary, sort_keys=True),
                "status": str(summary.get("status", "running"))[:16],
                "alert": (summary.get("alert") or None),
                "frechet": summary.get("frechet"),
                "updated": self.clock(),
            }
            if grid_png is not None:
                path = self.files / member.class_id / member.id / f"{safe_name(run_id)}.png"
                atomic_write(path, grid_png)
                values["grid_path"] = str(path.relative_to(self.files))
            _upsert(conn, tiles_table, member.id, run_id, values)

    def tiles(self, secret: str) -> list[dict]:
        """Every tile of the class (teacher only), newest first: the summary plus nickname, grid path, ids."""
        with self.engine.connect() as conn:
            row = self._class_by_secret(conn, secret)
            rows = _with_nicknames(conn, tiles_table, row.id, tiles_table.c.updated.desc())
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
        """Take one run off the board for good (a run still training does not bring it back)."""
        member_id, _sep, run_id = tile.partition("/")
        with self.engine.begin() as conn:
            row = self._class_by_secret(conn, secret)
            deleted = conn.execute(
                tiles_table.delete().where(
                    tiles_table.c.class_id == row.id,
                    tiles_table.c.member_id == member_id,
                    tiles_table.c.run_id == run_id,
                )
            ).rowcount
            if deleted:  # only a tile of this class: a guessed id of another class's member writes nothing
                conn.execute(removed_tiles.insert().values(member_id=member_id, run_id=run_id, class_id=row.id))

    # ------------------------------------------------------------------ hand-ins
    def hand_in(self, token: str, run_id: str, bundle: bytes, settings: dict, metrics: dict) -> None:
        with self.engine.begin() as conn:
            member = self._member(conn, token)
            path = self.files / member.class_id / member.id / f"{safe_name(run_id)}.zip"
            atomic_write(path, bundle)
            values = {
                "class_id": member.class_id,
                "bundle_path": str(path.relative_to(self.files)),
                "settings": json.dumps(settings, sort_keys=True),
                "metrics": json.dumps(metrics, sort_keys=True),
                "created": self.clock(),
            }
            _upsert(conn, hand_ins, member.id, run_id, values)

    def hand_ins(self, secret: str) -> list[dict]:
        with self.engine.connect() as conn:
            row = self._class_by_secret(conn, secret)
            rows = _with_nicknames(conn, hand_ins, row.id, members.c.nickname, hand_ins.c.run_id)
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


def _upsert(conn, table, member_id, run_id, values: dict) -> None:
    """One row per (member, run) in `table`: update it, or insert it when there is none yet."""
    key = (table.c.member_id == member_id) & (table.c.run_id == run_id)
    if conn.execute(table.update().where(key).values(**values)).rowcount == 0:
        conn.execute(table.insert().values(member_id=member_id, run_id=run_id, **values))


def _with_nicknames(conn, table, class_id, *order) -> list:
    """The class's rows of `table` (tiles or hand-ins), each with its member's nickname, in `order`."""
    return conn.execute(
        sa.select(table, members.c.nickname)
        .join(members, members.c.id == table.c.member_id)
        .where(table.c.class_id == class_id)
        .order_by(*order)
    ).all()
