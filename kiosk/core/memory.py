"""The process's memory: its resident size, and giving freed heap memory back to the system when
the station is idle after a visit.

A visit allocates hundreds of megabytes (page images, OCR and face tensors) on several threads;
glibc keeps what was freed in its per-thread arenas, so the station's resident size stayed
200-400 MB above what it holds (bench/memory.py: 780-960 MB as is, 566-577 MB after a trim, flat
over 68 visits). `malloc_trim(0)` returns those pages; elsewhere than glibc it is a no-op.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time

log = logging.getLogger(__name__)

try:
    _trim = ctypes.CDLL(None).malloc_trim  # the process's own libc; no ldconfig lookup
    _trim.argtypes, _trim.restype = [ctypes.c_size_t], ctypes.c_int
except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to give back this way
    _trim = None


def resident_mb() -> float:
    """This process's resident set size in MB (Linux `/proc`; NaN where there is none)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def release_freed_memory() -> float | None:
    """Return freed heap pages to the system; the seconds it took, or None where unsupported."""
    if _trim is None:
        return None
    t0 = time.perf_counter()
    _trim(0)  # ctypes releases the GIL meanwhile
    took = time.perf_counter() - t0
    log.debug("malloc_trim took %.1f ms", took * 1000)
    return took


def release_freed_memory_soon() -> None:
    """The same on a short-lived thread: the caller (the station's tick on the UI thread) goes on."""
    threading.Thread(target=release_freed_memory, name="malloc-trim", daemon=True).start()
