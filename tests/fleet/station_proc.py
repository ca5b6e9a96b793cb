"""A station's fleet side as its own process, for kill -9 tests:

    python -m tests.fleet.station_proc DB BROKER_URL KIOSK_ID PASSWORD COUNT [INTERVAL_S]

Emits COUNT events (one per INTERVAL_S) through the real Outbox + FleetLink and appends each
committed event id to DB + ".produced" (after the commit), then keeps the link up until killed.
"""

from __future__ import annotations

import sys
import time

from kiosk.services.fleet.link import FleetLink, LinkSettings
from kiosk.services.outbox import Outbox
from kiosk.services.store import Store


def main(argv: list[str]) -> None:
    db, url, kid, password, count = argv[:5]
    interval = float(argv[5]) if len(argv) > 5 else 0.002
    store = Store(db)
    outbox = Outbox(store)
    link = FleetLink(LinkSettings(kiosk_id=kid, broker=url, username=kid, password=password, keepalive_s=5,
                                  reconnect_min_s=0.1, reconnect_max_s=0.5, reconnect_spread_s=0.2,
                                  ack_timeout_s=1.0), outbox)
    link.start()
    link.wait_connected(5)
    with open(db + ".produced", "a", encoding="utf-8") as log:
        print("ready", flush=True)
        for i in range(int(count)):
            ev = outbox.add_now("test.burst", {"n": i})
            log.write(ev.event_id + "\n")
            log.flush()
            time.sleep(interval)
    print("done", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main(sys.argv[1:])
