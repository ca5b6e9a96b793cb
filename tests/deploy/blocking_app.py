"""Child process for the watchdog test: the real KioskApp (no station) wired by `run_as_service`
on an offscreen window. SIGUSR1 blocks the main loop for BLOCK_S seconds (a hang injected on the
UI thread), announced by STATUS=blocked / STATUS=unblocked so the test can see that no
WATCHDOG=1 was sent in between. SIGTERM stops it like systemd does.

    python -m tests.deploy.blocking_app BLOCK_S
"""

from __future__ import annotations

import signal
import sys
import threading

from kiosk.app import KioskApp
from kiosk.service_hooks import run_as_service


def main() -> int:
    block_s = float(sys.argv[1])
    app = KioskApp(None)
    notifier = run_as_service(app)

    def hang(_signum, _frame) -> None:  # runs on the main thread, i.e. inside the Kivy loop
        notifier.status("blocked")
        threading.Event().wait(block_s)  # the injected hang (nothing sets it)
        notifier.status("unblocked")

    signal.signal(signal.SIGUSR1, hang)
    app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
