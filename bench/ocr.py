"""OCR + document kind + key fields per page, and how right they are, on a generated set.

The set (`hw_sim.material_pages.material_set`): every document kind of the vocabulary × variants
(flat scan, camera photo, strong perspective, blur, glare, shadow, a red seal over the text, a
second Chinese font). Photographed variants go through the scanner's page finder first (its
time is not counted here: bench/documents.py measures it); the OCR time is what the station
adds per page. Goal: <= 1.5 s a page on 2 cores (moonshot 0.5 s).

Anchor, measured in the same run on the flat pages, page by page in turn with the station's
engine: RapidOCR with its default settings (direction classifier on, detection at its default
size) — the two medians are read side by side, whatever the machine's load. `cpu_ms` is this process's CPU time.

    .venv/bin/python -m bench.ocr [--variants flat,photo,...] [--no-anchor]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from bench._report import write
from hw_sim.material_pages import MATERIAL_KINDS, PHOTO_VARIANTS, material_set
from kiosk.devices.scanner.analyse import PageAnalyzer, default_config
from kiosk.devices.scanner.doc_kinds import read_document
from kiosk.devices.scanner.ocr import read_lines

GOAL_MS = 1500.0
MOONSHOT_MS = 500.0


def _side_by_side(pages: list) -> tuple[float, float]:
    """Median ms a flat page: the station's engine and RapidOCR's defaults, page by page in turn."""
    from rapidocr_onnxruntime import RapidOCR

    anchor = RapidOCR()
    anchor(pages[0])
    ours, theirs = [], []
    for p in pages:
        t0 = time.perf_counter()
        read_lines(p)
        ours.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        anchor(p)
        theirs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ours), statistics.median(theirs)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default=",".join(PHOTO_VARIANTS))
    ap.add_argument("--no-anchor", action="store_true")
    args = ap.parse_args(argv)
    variants = tuple(v for v in args.variants.split(",") if v)
    unknown = [v for v in variants if v not in PHOTO_VARIANTS]
    if unknown:
        print(f"unknown variant(s) {unknown}; known: {', '.join(PHOTO_VARIANTS)}", file=sys.stderr)
        return 2
    analyzer = PageAnalyzer(default_config())
    samples = material_set(variants=variants)
    read_lines(samples[0][1])  # load the models (~1 s) outside the measurement
    rows, all_ms, all_cpu, flat_pages = [], [], [], []
    kind_right = field_right = field_total = no_page = 0
    per_variant: dict[str, list[int]] = {v: [0, 0, 0, 0] for v in variants}  # kind ok, n, fields ok, fields
    for name, image, truth, photo in samples:
        variant = name.split("-", 1)[1]
        page = image
        if photo:
            res = analyzer.analyse(image)
            if res.page is None:
                no_page += 1
                per_variant[variant][1] += 1
                per_variant[variant][3] += len(truth.fields)
                field_total += len(truth.fields)
                rows.append({"page": name, "kind": "(no page)", "right": False, "fields": f"0/{len(truth.fields)}"})
                continue
            page = res.page
        else:
            flat_pages.append(page)
        c0, t0 = time.process_time(), time.perf_counter()
        lines, _ = read_lines(page)
        reading = read_document(lines, page.shape[1], page.shape[0])
        ms = (time.perf_counter() - t0) * 1000
        cpu = (time.process_time() - c0) * 1000
        all_ms.append(ms)
        all_cpu.append(cpu)
        ok = reading.kind == truth.kind
        good = sum(reading.fields.get(k) == v for k, v in truth.fields.items())
        kind_right += ok
        field_right += good
        field_total += len(truth.fields)
        pv = per_variant[variant]
        pv[0] += ok
        pv[1] += 1
        pv[2] += good
        pv[3] += len(truth.fields)
        rows.append({"page": name, "kind": reading.kind, "right": ok, "confidence": reading.confidence,
                     "fields": f"{good}/{len(truth.fields)}", "ms": ms, "cpu_ms": cpu})
    for v, (k_ok, n, f_ok, f_n) in per_variant.items():
        rows.append({"page": f"[{v}]", "kind": f"{k_ok}/{n} right", "fields": f"{f_ok}/{f_n}"})
    median = statistics.median(all_ms)
    pair = None if args.no_anchor or not flat_pages else _side_by_side(flat_pages)
    n = len(samples)
    write("ocr", rows, ["page", "kind", "right", "confidence", "fields", "ms", "cpu_ms"],
          pages=n, kinds=len(MATERIAL_KINDS), variants=list(variants),
          kind_accuracy=round(kind_right / n, 3), field_accuracy=round(field_right / max(1, field_total), 3),
          pages_without_page_found=no_page,
          median_ms=round(median, 1), p95_ms=round(sorted(all_ms)[int(0.95 * (len(all_ms) - 1))], 1),
          median_cpu_ms=round(statistics.median(all_cpu), 1),
          flat_station_median_ms=round(pair[0], 1) if pair else None,
          flat_anchor_default_rapidocr_median_ms=round(pair[1], 1) if pair else None,
          load_average=os.getloadavg()[0], cpu_count=os.cpu_count(),
          goal_ms=GOAL_MS, goal_met=median <= GOAL_MS, moonshot_ms=MOONSHOT_MS, moonshot_met=median <= MOONSHOT_MS)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
