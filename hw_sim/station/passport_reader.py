"""The simulated station's passport reader: a vpcd reader of the station process's private pcscd
(hw_sim/emrtd/pcsc_service.py) with a virtual passport (hw_sim/emrtd_card.py) on it, run by
the simulators' process as `passport_reader` (`insert identity=KEY`, `remove`, `tamper`, `fault`).

`[devices.passport_reader] url = "pcsc://{sim}"` asks for it. Two halves:
- station process, before the simulators start: `lease_passport_reader` takes a reader of this
  process's pcscd (libpcsclite talks to one daemon per process, so the pcscd belongs to the
  process that reads the chip) and writes its vpcd port into the simulators' copy of the URL:
  `pcsc://READER?vpcd=127.0.0.1:PORT`. When no pcscd can run there (not installed, a `[simulator]
  pcscd` that is missing), the station is built without a passport reader and `unavailable` says
  why: the passport visits are skipped with that reason, the station starts all the same.
- simulators' process: `start_passport_sim` connects the virtual passport to that port when a
  passport is inserted, writes the CSCA certificate that signs its documents into the trust
  store directory (`trust_store`, `{root}` = the station's directory) before the station reads
  it, and serves the station the URL without the `vpcd` parameter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from hw_sim.control import ControlHub

log = logging.getLogger(__name__)

SIM_MARK = "{sim}"
ROOT_MARK = "{root}"
ROLE = "passport_reader"


@dataclass
class PassportLease:
    """What the station process holds for its simulated passport reader."""
    config: Any  # the StationConfig the simulators and the station are built from
    slot: Any = None  # hw_sim.emrtd.pcsc_service.VpcdSlot, None when not simulated
    unavailable: str | None = None  # why the station has no passport reader
    service: Any = None  # the PcscService the slot was leased from

    def release(self) -> None:
        if self.slot is not None and self.service is not None:
            self.service.release(self.slot)
        self.slot = None


def wants_simulated_reader(config: Any) -> bool:
    reader = config.devices.passport_reader
    return reader is not None and SIM_MARK in reader.url


def lease_passport_reader(config: Any, root: str | Path) -> PassportLease:
    """The config with its `pcsc://{sim}` passport reader bound to a reader of this process's pcscd,
    or without a passport reader (and why) when none can be had. Other configs pass through."""
    if not wants_simulated_reader(config):
        return PassportLease(config)
    from hw_sim.emrtd.pcscd import PcscdUnavailable
    from hw_sim.emrtd.pcsc_service import process_pcsc

    reader = config.devices.passport_reader
    try:
        service = process_pcsc(config.simulator.pcscd)
        slot = service.lease()
    except (PcscdUnavailable, OSError) as exc:
        why = str(exc)
        log.warning("no simulated passport reader (%s): the passport visits are skipped", why)
        return PassportLease(_with_reader(config, None), unavailable=why)
    trust = (reader.trust_store or "").replace(ROOT_MARK, str(Path(root).resolve()))
    url = f"pcsc://{slot.reader}?" + urlencode({"vpcd": f"{slot.host}:{slot.port}"})
    return PassportLease(_with_reader(config, reader.model_copy(update={"url": url, "trust_store": trust})), slot,
                         service=service)


def _with_reader(config: Any, reader: Any) -> Any:
    return config.model_copy(update={"devices": config.devices.model_copy(update={"passport_reader": reader})})


def start_passport_sim(reader_config: Any, hub: ControlHub) -> dict[str, str]:
    """Simulators' side: the virtual passport on the `vpcd=` port of the URL, the CSCA certificate
    in the trust store. Returns {"passport_reader": the URL without `vpcd`}; {} for a real reader."""
    parts = urlsplit(reader_config.url)
    params = dict(parse_qsl(parts.query))
    if parts.scheme != "pcsc" or "vpcd" not in params:
        return {}
    from hw_sim.emrtd.documents import sim_pki
    from hw_sim.emrtd_card import VirtualPassport

    host, _, port = params.pop("vpcd").rpartition(":")
    card = VirtualPassport(port=int(port), host=host or "127.0.0.1", reader=parts.netloc)
    card.sim_name = ROLE
    if reader_config.trust_store:  # before the station's first read: the CSCA that signs these documents
        sim_pki().write_trust_store(reader_config.trust_store)
    hub.add(card, ROLE)
    return {ROLE: urlunsplit(parts._replace(query=urlencode(params)))}
