"""What `kiosk run` does to behave as a systemd service (kiosk-station.service, Type=notify).

    app = KioskApp(station, ...)
    run_as_service(app)      # one call before app.run(); harmless outside systemd
    app.run()
    station.close()          # after run() returns (SIGTERM: within TimeoutStopSec=10)

- gives the app a `Notifier` from $NOTIFY_SOCKET / $WATCHDOG_USEC: the app says READY=1 when its
  window is up over the built station, and WATCHDOG=1 from its main loop (kiosk/app.py);
- SIGTERM (systemctl stop/restart) and SIGHUP: STOPPING=1, the app stops on its next frame, the
  caller closes the station. No lock is pulsed on the way out (ADR 0140);
- logging goes to the journal with structured fields when stderr is the journal
  (kiosk.core.journal_log).
Nothing here imports Kivy: the app does the Clock work.
"""

from __future__ import annotations

import logging
import signal
from typing import Any

from kiosk.core.journal_log import MESSAGE_IDS, install_journal_logging
from kiosk.core.sdnotify import Notifier

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def run_as_service(app: Any, notifier: Notifier | None = None) -> Notifier:
    """Wire `app` (a KioskApp) to the service manager; returns the notifier it uses."""
    install_journal_logging()
    notifier = notifier or Notifier.from_env()
    app.notifier = notifier
    stopping = {"done": False}

    def on_signal(signum: int, _frame: Any) -> None:
        if stopping["done"]:
            return
        stopping["done"] = True
        name = signal.Signals(signum).name
        log.warning("%s received: the station stops (doors untouched)", name,
                    extra={"message_id": MESSAGE_IDS["station.stopping"]})
        app.request_stop(f"{name}: stopping")

    for sig in STOP_SIGNALS:
        signal.signal(sig, on_signal)
    if notifier.enabled:
        log.info("systemd notify socket set; watchdog every %s s",
                 f"{notifier.watchdog_interval_s:g}" if notifier.watchdog_interval_s else "(none)")
    return notifier
