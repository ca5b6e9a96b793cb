"""Station wiring for the citizen-service devices of a simulated station: the A4 document
printer and the voice prompts (`start_citizen_sims`).

Voice: when `[devices.speech] url` contains `{sim}` (config/sim.toml: `wav://{sim}`), the prompts
are written as WAV files into `<root>/out/speech` (`wav://` backend: real audio, nothing played).

A4 printer:
When `[devices.docprinter] url` contains `{sim}` (config/sim.toml: `cups://A4?server={sim}`), a
private CUPS with the simulated PDF printer (`hw_sim.cups_printer.PrivateCups`, queue `A4`) is
started, `{sim}` is replaced by its socket path and the daemon is added to the control hub as
`docprinter` (commands: fault, outputs, output, state). The PDFs it prints land in
`OUT_DIR` (`<root>/out/certificates` for `kiosk scenario` and `make run`).

Where a private CUPS cannot run (not root, Debian's cups / printer-driver-cups-pdf missing), the
station prints to the `file://OUT_DIR` PDF sink backend instead and says so in the log: the flow,
the device contract and the scenario transcript are the same; only the CUPS path is not tested.
Only `*sim*`/`*wiring*` modules may import `hw_sim` from `kiosk`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
SIM_PLACEHOLDER = "{sim}"
QUEUE = "A4"


def start_citizen_sims(devices_config: Any, hub: Any, out_dir: str | Path | None) -> dict[str, str]:
    """Role -> URL for every citizen-service device whose URL asks for a simulator. `out_dir` is
    the simulated station's output directory (`<root>/out`); None = a temporary one."""
    import tempfile

    out = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="kiosk-out-"))
    urls = start_docprinter_sim(devices_config.docprinter, hub, out / "certificates")
    speech = devices_config.speech
    if speech is not None and SIM_PLACEHOLDER in speech.url:
        (out / "speech").mkdir(parents=True, exist_ok=True)
        urls["speech"] = speech.url.replace(SIM_PLACEHOLDER, str((out / "speech").resolve()))
    return urls


def start_docprinter_sim(docprinter_config: Any, hub: Any, out_dir: str | Path | None) -> dict[str, str]:
    """Start the simulated A4 printer if the config asks for one. Returns {"docprinter": URL} or {}."""
    if docprinter_config is None or SIM_PLACEHOLDER not in docprinter_config.url:
        return {}
    from hw_sim.cups_printer import CupsError, PrivateCups

    import tempfile

    out = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="kiosk-certificates-"))
    out.mkdir(parents=True, exist_ok=True)
    cups = PrivateCups(out_dir=out)
    try:
        cups.start()
        cups.add_queue(QUEUE)
    except (CupsError, OSError) as exc:
        cups.cleanup()
        log.warning("docprinter: no private CUPS (%s); printing certificates to file://%s instead", exc, out)
        return {"docprinter": f"file://{out}"}
    hub.add(cups)
    return {"docprinter": docprinter_config.url.replace(SIM_PLACEHOLDER, cups.server)}
