"""Stopping a report for good: the kernel, and every process it started, by its session.

jupyter_client starts each kernel as the leader of a new session (``start_new_session``), so the kernel's
pid is also its session and process-group id, and whatever the notebook starts — the forecast's process
pool, a ``multiprocessing`` resource tracker, a shell command — inherits them. :func:`kill_session` sends
SIGKILL to every process of that session (found in ``/proc``; ``killpg`` where there is no ``/proc``),
then waits until they are gone. :class:`Watch` ties one run to its kernel: the runner's timeout watchdog
and its SIGTERM/SIGINT handler call :meth:`Watch.stop`, which works whether the kernel is already up,
still starting (it is stopped as soon as it is up) or finished.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

PROC = Path("/proc")


def _stat(pid: int) -> tuple[str, int, int, int, int] | None:
    """(state, ppid, pgrp, session, start time in clock ticks) of ``pid`` from /proc, or None when it is gone."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    rest = raw[raw.rfind(")") + 2:].split()  # the command name may hold spaces and parentheses
    return rest[0], int(rest[1]), int(rest[2]), int(rest[3]), int(rest[19])


def start_time(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot, from /proc), to tell it from a later process of the same pid."""
    st = _stat(pid)
    return st[4] if st else None


def session_members(sid: int) -> list[int]:
    """Live (not zombie) processes whose session or process group is ``sid``; [] without /proc."""
    if not PROC.is_dir():
        return []
    out = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        st = _stat(int(entry.name))
        if st and st[0] != "Z" and (st[3] == sid or st[2] == sid):
            out.append(int(entry.name))
    return out


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    st = _stat(pid)
    if st is not None:
        return st[0] != "Z"
    if PROC.is_dir():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def kill_session(sid: int, wait: float = 10.0, started: int | None = None) -> list[int]:
    """SIGKILL the kernel ``sid`` and every process of its session or process group; wait until they are gone.

    ``started`` (:func:`start_time` of the kernel) guards against a reused pid: when a process ``sid``
    exists but started at another time, the kernel is long gone and nothing is signalled (Linux does not
    hand out a pid again while it still names a session or group with members). Returns the pids that
    were still alive after ``wait`` seconds (normally none). Never signals the calling process or its group.
    """
    if sid <= 1:
        return []
    me, my_group = os.getpid(), os.getpgid(0)
    if sid in (me, my_group):
        return []
    now = start_time(sid)
    if started is not None and now is not None and now != started:
        return []
    targets = {p for p in session_members(sid) if p != me} | ({sid} if alive(sid) else set())
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(sid, signal.SIGKILL)
    deadline = time.monotonic() + wait
    while True:
        for pid in list(targets):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        targets = {p for p in targets | set(session_members(sid)) if p != me and alive(p)}
        if not targets or time.monotonic() > deadline:
            return sorted(targets)
        time.sleep(0.05)


class Watch:
    """One run's kernel, for the watchdog and the signal handler: which cell runs, and how to stop it all."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.kernel_pid: int | None = None
        self.kernel_started_at: int | None = None
        self.reason = ""  # why it was stopped: "timeout", "cell timeout", "SIGTERM", ...
        self.cell_index: int | None = None
        self.cell: Any = None
        self._lock = threading.Lock()

    # hooks -------------------------------------------------------------------------------------
    def kernel_started(self, pid: int) -> None:
        """Called by the kernel manager once the kernel process exists; stops it at once if asked to."""
        with self._lock:
            self.kernel_pid, self.kernel_started_at = pid, start_time(pid)
            stop_now = bool(self.reason)
        if stop_now:
            kill_session(pid, started=self.kernel_started_at)

    def on_cell_start(self, cell: Any = None, cell_index: int | None = None, **_: Any) -> None:
        """nbclient's ``on_cell_start`` hook: remember the cell that runs now."""
        self.cell, self.cell_index = cell, cell_index

    # control -----------------------------------------------------------------------------------
    @property
    def stopped(self) -> bool:
        return bool(self.reason)

    def stop(self, reason: str) -> None:
        """Stop the run: kill the kernel's session now, or as soon as the kernel exists."""
        with self._lock:
            if not self.reason:
                self.reason = reason
            pid = self.kernel_pid
        if pid:
            kill_session(pid, started=self.kernel_started_at)

    def sweep(self) -> list[int]:
        """After the run: kill whatever the kernel left behind in its session (normally nothing)."""
        return kill_session(self.kernel_pid, wait=5.0, started=self.kernel_started_at) if self.kernel_pid else []

    def kernel_manager_class(self) -> type:
        """An AsyncKernelManager subclass that reports its kernel's pid to this watch."""
        from jupyter_client.manager import AsyncKernelManager

        watch = self

        class WatchedKernelManager(AsyncKernelManager):
            async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
                await super().start_kernel(**kw)
                prov = getattr(self, "provisioner", None)
                pid = getattr(prov, "pid", None) or getattr(getattr(prov, "process", None), "pid", None)
                if pid:
                    watch.kernel_started(int(pid))

        return WatchedKernelManager


class Registry:
    """The runs in flight, so that one signal stops them all."""

    def __init__(self) -> None:
        self._watches: dict[int, Watch] = {}
        self._lock = threading.Lock()
        self.reason = ""

    def add(self, watch: Watch) -> None:
        with self._lock:
            self._watches[id(watch)] = watch
            reason = self.reason
        if reason:
            watch.stop(reason)

    def remove(self, watch: Watch) -> None:
        with self._lock:
            self._watches.pop(id(watch), None)

    def stop_all(self, reason: str) -> None:
        with self._lock:
            if not self.reason:
                self.reason = reason
            watches = list(self._watches.values())
        for w in watches:
            w.stop(reason)
