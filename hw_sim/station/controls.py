"""What a person and the simulators do in a scripted visit on the simulated station: the
`controls` a `kiosk.scenarios.runner.ScenarioRunner` (and the headless screen player) drive.

    controls = SimControls(sims, station)   # sims: anything with call(device, cmd, **args)

Device commands go to the simulators' control API (their own process); `backoffice` commands go
to the in-process back-office double the station was built with.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from hw_sim.station.setups import Setups

log = logging.getLogger(__name__)


class SimControls(Setups):
    """The simulator side of a scenario on the simulated station (hw_sim/station/simulated.py)."""

    def __init__(self, hub: Any, station: Any) -> None:
        self.hub = hub  # call(device, cmd, **args): the simulators (and the back-office double)
        self.station = station

    def call(self, device: str, cmd: str, **args: Any) -> Any:
        return self.hub.call(device, cmd, **args)

    def close_doors(self, locks: list[tuple[int, int]]) -> None:
        for board, lock in locks:
            self.hub.call("cabinet", "close_door", board=board, lock=lock)

    def show_page(self, qr: str | None = None, barcode: str | None = None) -> None:
        from kiosk.flows.apply import case_from_qr, receipt_qr

        # a page carries both codes of one case (as the station prints them)
        barcode = barcode or (case_from_qr(qr) if qr else None)
        qr = qr or (receipt_qr(barcode) if barcode else None)
        self.hub.call("document_camera", "show_page", qr=qr, barcode=barcode)

    def good_page(self) -> None:
        self.hub.call("document_camera", "show", source="page_good")

    def no_page(self) -> None:
        self.hub.call("document_camera", "show", source="no_page")

    def reset(self) -> None:
        """Every simulator back to normal between scenarios."""
        try:
            was = self.hub.call("camera", "status").get("source")
        except Exception:
            was = "holder"
        for device, cmd, args in (("camera", "set_person", {"identity": "obama"}), ("camera", "show", {"source": "holder"}),
                                  ("document_camera", "show", {"source": "no_page"}),
                                  ("printer", "set_paper", {"state": "ok"}), ("printer", "jam", {"on": False}),
                                  ("printer", "offline", {"on": False}), ("cabinet", "reset_faults", {}),
                                  ("cabinet", "close_all", {}), ("backoffice", "online", {}),
                                  ("id_reader", "remove", {}),  # the last visitor took their card
                                  ("passport_reader", "remove", {})):  # ... and their passport
            try:
                self.hub.call(device, cmd, **args)
            except Exception as exc:
                log.debug("reset %s.%s: %s", device, cmd, exc)
        if was != "holder":
            self._flush_camera()
        self._boards_back()

    def _boards_back(self, timeout: float = 8.0) -> None:
        """After a board fault is cleared, wait until the driver has polled every board again."""
        cab = getattr(self.station.devices, "cabinet", None)
        if cab is None or not hasattr(cab, "boards"):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                cab.refresh().result(2.0)
            except Exception:
                pass
            if all(b.get("state") == "ok" for b in cab.boards()):
                return
            time.sleep(0.1)
        log.warning("cabinet boards still not all answering after %.0f s", timeout)

    def _flush_camera(self) -> None:
        """The next person steps up: let frames of the last scene leave the camera's pipeline
        (the backend keeps its last frame across stop/start)."""
        cam = getattr(self.station.devices, "camera", None)
        if cam is None:
            return
        try:
            cam.start()
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                cam.grab(1.0).result(2.0)
        except Exception as exc:
            log.debug("camera flush: %s", exc)
        finally:
            cam.stop()


