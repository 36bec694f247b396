"""One way to write a file so that a reader sees the old content or the new one, never half of either.

Checkpoints, run bundles, the CLI's outputs, the class board's tiles and a Ray run's snapshots all write through
`atomic_write`: a temporary file beside the target, flushed and fsync'd, then `os.replace` (atomic on POSIX
within one folder). Standard library only, so modules that must stay light (the class database) can use it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it onto `path`.

    The temporary file is created with mode 0o666, which the kernel narrows by the process's umask (the usual
    permissions of a new file) without reading or changing the umask: os.umask is process-wide, and this runs on
    worker threads. On any failure (a full disk, a read-only folder) the temporary file is removed and `path`
    keeps its old content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
