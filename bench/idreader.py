"""ID reader timings next to their floors.

SAM: `read` (find + select + read base info) through the real driver against the SAM module
simulator on a pty paced at 115200 baud 8N1, next to the wire floor of the bytes exchanged
(the simulator answers instantly, so the difference is driver + pty overhead; a real module
adds its own RF time on top). eMRTD: a full read (SELECT, BAC, EF.COM, DG1, DG2, EF.SOD,
passive authentication) through pyscard -> a private pcscd -> vpcd -> the virtual passport,
per APDU, next to the bit-time floor of the same bytes over ISO 14443 at 106 and 424 kbit/s.

`.venv/bin/python -m bench.idreader` -> table + out/bench/idreader.json
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time

from bench._report import write
from hw_sim.emrtd.documents import sim_pki
from hw_sim.emrtd.pcscd import PcscdUnavailable, PrivatePcscd
from hw_sim.emrtd_card import VirtualPassport
from hw_sim.identities import get_identity
from hw_sim.sam_module import SamModuleSim
from kiosk.devices.idreader import MrzKey
from kiosk.devices.idreader.pcsc import PcscIdReader
from kiosk.devices.idreader.sam import SamIdReader

BAUD = 115200
RUNS = 20


def sam_rows() -> list[dict]:
    sim = SamModuleSim(baud=BAUD, identity="longest_fields")
    path = sim.start()
    reader = SamIdReader(path, baud=BAUD, wlt_decoder="sim", poll_interval=30)  # no polling during the runs
    reader.open()
    times = []
    try:
        for _ in range(RUNS):
            before = len(sim.requests)
            t0 = time.perf_counter()
            completion = reader.read(timeout=5).result(10)
            times.append(time.perf_counter() - t0)
            assert completion.ok, completion.detail
            commands = len(sim.requests) - before
    finally:
        reader.close()
        sim.close()
    # find (10 -> 11 bytes: no new card after the first read), select (10 -> 19), read base info (10 -> 1295)
    request_bytes, reply_bytes = 10 * 3, 11 + 19 + 1295
    byte_s = 10 / BAUD
    return [{
        "reader": "sam (pty, 115200 8N1)", "runs": RUNS, "commands": commands,
        "bytes": request_bytes + reply_bytes,
        "median_ms": statistics.median(times) * 1000, "p95_ms": sorted(times)[int(RUNS * 0.95) - 1] * 1000,
        "floor_ms": (request_bytes + reply_bytes) * byte_s * 1000,
        "floor_note": f"base-info reply alone {1295 * byte_s * 1000:.1f} ms",
    }]


def emrtd_rows() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            daemon = PrivatePcscd(tmp)
            env = daemon.__enter__()
        except PcscdUnavailable as exc:
            print(f"eMRTD part skipped: {exc}", file=sys.stderr)
            return rows
        try:
            store = str(sim_pki().write_trust_store(f"{tmp}/csca"))
            card = VirtualPassport(port=env.vpcd_port)
            reader = PcscIdReader(env.reader, trust_store=store, poll_interval=0.5)
            reader.open()
            try:
                for key, fmt in (("obama", "jpeg"), ("rose_leslie", "jp2")):
                    ident = get_identity(key)
                    card.cmd_insert(identity=key, photo_format=fmt)
                    mrz = MrzKey(ident.passport_number, ident.mrz_birth, ident.mrz_expiry)
                    assert reader.read(mrz, timeout=5).result(10).ok  # warm-up (card detection)
                    times, stats = [], None
                    for _ in range(RUNS):
                        t0 = time.perf_counter()
                        completion = reader.read(mrz, timeout=5).result(10)
                        times.append(time.perf_counter() - t0)
                        assert completion.ok, completion.detail
                        stats = reader.stats
                    med = statistics.median(times)
                    rows.append({
                        "reader": f"emrtd vpcd ({fmt} DG2)", "runs": len(times), "commands": stats.apdus,
                        "bytes": stats.bytes_exchanged, "median_ms": med * 1000,
                        "p95_ms": max(times) * 1000, "ms_per_apdu": med * 1000 / stats.apdus,
                        "floor_ms": stats.bytes_exchanged * 10 / 424_000 * 1000,
                        "floor_note": f"424 kbit/s bit time; at 106 kbit/s {stats.bytes_exchanged * 10 / 106_000 * 1000:.0f} ms",
                    })
                    card.cmd_remove()
            finally:
                reader.close()
                card.close()
        finally:
            daemon.__exit__()
    return rows


def main() -> int:
    rows = sam_rows() + emrtd_rows()
    write("idreader", rows, ["reader", "runs", "commands", "bytes", "median_ms", "p95_ms", "ms_per_apdu", "floor_ms",
                             "floor_note"],
          note="SAM floor: all bytes at 10 bits/byte, 115200 baud. eMRTD floor: bit time only (no frame "
               "overhead, no chip processing); vpcd is local TCP, a real chip is far slower per APDU.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
