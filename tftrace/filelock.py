"""The exclusive lock that makes one process the only writer of a trace file (stdlib).

Its own module so that ``tftrace run`` can use it before the program starts without
importing the trace format.
"""
from __future__ import annotations

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one process per trace path is up to you
    fcntl = None  # type: ignore[assignment]


def try_lock(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` unless another process holds it (True if taken).

    A ``flock`` lock belongs to the open file description: closing another descriptor of
    the same file does not release it, and it ends when the process does."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # a filesystem without locks (some network mounts): write anyway
        return True
    return True
