"""The class database's rules that are not queries: refusals and their messages, nicknames, join rate limits,
secrets and their hashes, files written atomically.

Privacy: a member's token and the teacher's secret are credentials; the database keeps only their SHA-256
hashes. A tab's member token is derived from the tab's own token (`member_token`), so the tab finds its class
again after a reload or a server restart without the member token ever being stored or put into a URL.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import unicodedata
from collections import defaultdict, deque

from gan_core.i18n import N_, _

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector without mistakes
CODE_LENGTH = 6  # 32^6 ~ 1e9 codes: guessing one under the rate limit takes years
NICK_MAX = 24  # fits a board tile at projector size
JOIN_WINDOW_S = 60.0  # rate limit: at most JOIN_FAILURES_MAX failed joins per client per minute...
JOIN_FAILURES_MAX = 5
JOIN_FLOOD_MAX = 120  # ...and at most this many joins (any outcome) per class per minute: a scripted flood

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


def digest(token: str) -> str:
    """What the database keeps of a credential."""
    return hashlib.sha256(token.encode()).hexdigest()


def member_token(tab: str) -> str:
    """The member token of a browser tab (its ?tab= token, 128 random bits): the same after a restart, and no
    easier to guess than the tab token it comes from."""
    return hashlib.sha256(f"gan-classroom class member:{tab}".encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def clean_code(raw: str) -> str:
    """A typed code as stored: no spaces, upper case."""
    return "".join(str(raw or "").split()).upper()


def clean_nickname(raw: str) -> str:
    """Trimmed, inner whitespace collapsed; refused when empty, too long or with control/format characters."""
    text = " ".join(str(raw or "").split())
    bad = any(unicodedata.category(ch)[0] == "C" for ch in text)
    if not text or len(text) > NICK_MAX or bad:
        raise ClassroomError("nickname", _(BAD_NICK).format(max=NICK_MAX))
    return text


class JoinLimits:
    """Failed joins per client and joins per class code, each within a sliding JOIN_WINDOW_S (one process's)."""

    def __init__(self, clock=time.time):
        self.clock = clock
        self._failures: dict[str, deque] = defaultdict(deque)
        self._joins: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _full(self, bucket: dict, key: str, limit: int) -> bool:
        now = self.clock()
        times = bucket[key]
        while times and times[0] <= now - JOIN_WINDOW_S:
            times.popleft()
        if not times:
            del bucket[key]  # an idle key costs no memory
            return False
        return len(times) >= limit

    def check(self, client: str, code: str) -> None:
        """Refuse (kind "rate") a client with too many failures, or a code under a flood; else count the join."""
        with self._lock:
            if self._full(self._failures, client, JOIN_FAILURES_MAX) or self._full(self._joins, code, JOIN_FLOOD_MAX):
                raise ClassroomError("rate", _(SLOW_DOWN))
            self._joins[code].append(self.clock())

    def failed(self, client: str) -> None:
        with self._lock:
            self._failures[client].append(self.clock())


def safe_name(run_id: str) -> str:
    """A run id as a file name: letters, digits, - and _ only."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(run_id))[:64] or "run"
