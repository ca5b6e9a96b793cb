"""The soak moved to `kiosk soak` (engine: hw_sim/soak). Kept so `python -m tests.crash.soak ...`
still works: it runs `kiosk soak` with the same arguments."""

from __future__ import annotations

import sys

from kiosk.cli import main

if __name__ == "__main__":
    sys.exit(main(["soak", *sys.argv[1:]]))
