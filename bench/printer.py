"""Receipt printing through the simulator: per kind, the time to lay out + encode a receipt
(template), to print it through python-escpos's Network backend with the DLE EOT checks before and
after (print, the simulator parsing in step), and to render the PNG (render); plus the status
query round trip.

    .venv/bin/python -m bench.printer [--rounds 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench._report import write
from hw_sim.escpos.render import render
from hw_sim.escpos_printer import PrinterSim
from kiosk.devices.printer.escpos_job import build_job
from kiosk.devices.printer.samples import sample
from kiosk.devices.printer.templates import build_receipt
from kiosk.devices.registry import create_device


def _ms(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return statistics.median(s) * 1000, s[min(len(s) - 1, int(len(s) * 0.95))] * 1000


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.printer")
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args(argv)
    sim = PrinterSim(port=0, render=False)  # rendering timed separately below
    sim.start()
    printer = create_device("printer", f"tcp://{sim.address}")
    printer.open()
    rows = []
    try:
        for kind in ("application", "pickup", "deposit_slip", "test_page"):
            data = sample(kind)
            t_tpl, t_print, t_render = [], [], []
            size = 0
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                job = build_job(build_receipt(kind, data))
                t_tpl.append(time.perf_counter() - t0)
                size = len(job.data)
                n = len(sim.receipts)
                t0 = time.perf_counter()
                done = printer.print_document(kind, data).result(10)
                t_print.append(time.perf_counter() - t0)
                if not done.ok:
                    print(f"{kind}: {done.code} {done.detail}", file=sys.stderr)
                    return 1
                receipt = sim.wait_receipts(n + 1)[-1]
                t0 = time.perf_counter()
                render(receipt)
                t_render.append(time.perf_counter() - t0)
            row = {"kind": kind, "bytes": size}
            for name, xs in (("template", t_tpl), ("print", t_print), ("render", t_render)):
                med, p95 = _ms(xs)
                row[f"{name}_median_ms"], row[f"{name}_p95_ms"] = round(med, 2), round(p95, 2)
            row["total_median_ms"] = round(row["print_median_ms"] + row["render_median_ms"], 2)
            rows.append(row)
        t_status = []
        for _ in range(args.rounds * 5):
            t0 = time.perf_counter()
            printer.check_status().result(5)
            t_status.append(time.perf_counter() - t0)
        status_med, status_p95 = _ms(t_status)
    finally:
        printer.close()
        sim.close()
    write("printer", rows, ["kind", "bytes", "template_median_ms", "print_median_ms", "print_p95_ms",
                            "render_median_ms", "render_p95_ms", "total_median_ms"],
          rounds=args.rounds, status_query_median_ms=round(status_med, 2), status_query_p95_ms=round(status_p95, 2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
