"""Child processes die with the adapter, however it ends (kill -9 included), on every OS it runs on:

- Linux: ffmpeg is started with PR_SET_PDEATHSIG (the kernel sends it SIGKILL when the thread that
  started it ends; the preview starts and waits for ffmpeg on one thread, so that is the adapter
  ending). ffmpeg ignores SIGPIPE, so without this an orphan keeps encoding into its temp file.
- Windows: the adapter puts itself in a job object that kills every process in it when the last
  handle closes, which the kernel does when the adapter ends; children inherit the job.
- The FastVideo worker (and macOS, where neither exists) watches its parent and exits when it is
  gone (watch_parent). PDEATHSIG does not suit it: the thread that starts it ends right after.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("stv_adapter.childproc")
PR_SET_PDEATHSIG = 1

_prctl: Any = None
if sys.platform.startswith("linux"):
    try:
        # Looked up here, in the parent: the child between fork and exec should only call it.
        _prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        _prctl = None


def popen_kwargs() -> dict[str, Any]:
    """Extra subprocess.Popen arguments for a child that must not outlive this process."""
    if _prctl is None:
        return {}
    parent = os.getpid()
    prctl = _prctl

    def die_with_parent() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return {"preexec_fn": die_with_parent}


def watch_parent(interval_s: float = 1.0, on_orphaned: Callable[[], None] | None = None) -> threading.Thread:
    """A daemon thread that ends this process (after `on_orphaned`) once its parent is gone."""
    parent = os.getppid()

    def gone() -> bool:
        if os.name == "nt":
            import psutil

            return not psutil.pid_exists(parent)
        return os.getppid() != parent  # re-parented to init or a subreaper

    def run() -> None:
        import time

        while not gone():
            time.sleep(interval_s)
        try:
            if on_orphaned:
                on_orphaned()
        finally:
            os._exit(1)

    t = threading.Thread(target=run, name="stv-parent-watch", daemon=True)
    t.start()
    return t


def kill_children() -> None:
    """Kills this process's descendants (the FastVideo worker's own GPU processes)."""
    import psutil

    try:
        for child in psutil.Process().children(recursive=True):
            try:
                child.kill()
            except psutil.Error:
                pass
    except psutil.Error:
        pass


def bind_children_to_this_process() -> bool:
    """Windows: a kill-on-close job object for the adapter and every process it starts later.
    Elsewhere a no-op (popen_kwargs and watch_parent cover it). False when it could not be done."""
    if os.name != "nt":
        return True
    try:
        from ctypes import wintypes

        kernel32 = getattr(ctypes, "WinDLL")("kernel32", use_last_error=True)  # noqa: B009 - absent off Windows

        class BasicLimits(ctypes.Structure):
            _fields_ = [
                ("PerProcessUserTimeLimit", ctypes.c_int64),
                ("PerJobUserTimeLimit", ctypes.c_int64),
                ("LimitFlags", wintypes.DWORD),
                ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t),
                ("ActiveProcessLimit", wintypes.DWORD),
                ("Affinity", ctypes.c_size_t),
                ("PriorityClass", wintypes.DWORD),
                ("SchedulingClass", wintypes.DWORD),
            ]

        class IoCounters(ctypes.Structure):
            _fields_ = [
                (n, ctypes.c_uint64)
                for n in ("ReadOps", "WriteOps", "OtherOps", "ReadBytes", "WriteBytes", "OtherBytes")
            ]

        class ExtendedLimits(ctypes.Structure):
            _fields_ = [
                ("Basic", BasicLimits),
                ("Io", IoCounters),
                ("ProcessMemoryLimit", ctypes.c_size_t),
                ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t),
                ("PeakJobMemoryUsed", ctypes.c_size_t),
            ]

        job = kernel32.CreateJobObjectW(None, None)
        info = ExtendedLimits()
        info.Basic.LimitFlags = 0x2000  # JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
        ok = kernel32.SetInformationJobObject(
            job, 9, ctypes.byref(info), ctypes.sizeof(info)
        )  # JobObjectExtendedLimitInformation
        ok = ok and kernel32.AssignProcessToJobObject(job, kernel32.GetCurrentProcess())
        if not ok:
            log.warning(
                "could not put the adapter in a job object (error %d); its children may outlive a crash",
                getattr(ctypes, "get_last_error")(),  # noqa: B009 - absent off Windows
            )
            return False
        # The handle stays open for the adapter's lifetime on purpose: closing it kills the job.
        globals()["_job_handle"] = job
        return True
    except Exception as e:  # never stop the adapter from starting over this
        log.warning("could not put the adapter in a job object (%s); its children may outlive a crash", e)
        return False
