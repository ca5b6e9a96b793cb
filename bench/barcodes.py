"""Barcode engines side by side, and the station's fallback chain.

Sets: the generated degraded codes (`hw_sim.documents.code_samples`: QR with ASCII and Chinese
UTF-8 text, Code128 case numbers; blur, noise, rotation, perspective, low contrast, small size),
and the shared photos (faces, no codes: every decode there is a false positive).
A decode counts only when the text is exactly right. The chosen order starts with the engine that
decodes most, then greedily adds the engine that rescues most of what the chain still misses per
millisecond it costs; the goal is that the chain decodes at least as many codes as the best
single engine (it cannot decode fewer: it stops only after its first engine found something).

    .venv/bin/python -m bench.barcodes
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import defaultdict

from bench._report import write
from hw_sim.documents import code_samples, shared_photos
from kiosk.devices.scanner.analyse import load_image
from kiosk.devices.scanner.barcodes import ENGINES, BarcodeReader, available_engines, read_with


def _run(fn, samples):
    ok, times, by_kind, hits = 0, [], defaultdict(lambda: [0, 0]), set()
    for i, s in enumerate(samples):
        t0 = time.perf_counter()
        codes = fn(s.image)
        times.append((time.perf_counter() - t0) * 1000)
        hit = any(c.text == s.text for c in codes)
        ok += hit
        if hit:
            hits.add(i)
        group = s.type + ":" + "".join(ch for ch in s.degradation if ch.isalpha())
        by_kind[group][0] += hit
        by_kind[group][1] += 1
    return ok, statistics.median(times), by_kind, hits


def greedy_order(results: dict[str, tuple]) -> list[str]:
    """The best single engine first; then, each time, the engine that rescues the most codes the
    chain still misses per millisecond it costs (a slow engine that rescues a few goes after a
    fast one that rescues as many); engines that add nothing go last, the better alone first
    (they may still help on real images the generated set does not cover)."""
    left = dict(results)
    first = max(left, key=lambda e: (left[e][0], -left[e][1]))
    order = [first]
    covered = set(left.pop(first)[3])
    while left:
        gains = {e: len(left[e][3] - covered) for e in left}
        if not any(gains.values()):
            order += sorted(left, key=lambda e: (-left[e][0], left[e][1]))
            break
        best = max(left, key=lambda e: (gains[e] / max(left[e][1], 0.1), gains[e]))
        order.append(best)
        covered |= left.pop(best)[3]
    return order


def _false_positives(fn, photos):
    fp, times = 0, []
    for img in photos:
        t0 = time.perf_counter()
        fp += len(fn(img))
        times.append((time.perf_counter() - t0) * 1000)
    return fp, statistics.median(times) if times else 0.0


def main(argv: list[str]) -> int:
    samples = code_samples()
    photos = [load_image(p) for p in sample_photos()]
    engines = available_engines()
    rows, results = [], {}
    for e in engines:
        fn = lambda img, e=e: read_with(e, img)  # noqa: E731
        ok, med, by_kind, hits = _run(fn, samples)
        fp, fp_med = _false_positives(fn, photos)
        results[e] = (ok, med, by_kind, hits)
        rows.append({"engine": e, "decoded": f"{ok}/{len(samples)}", "rate": ok / len(samples), "median_ms": med,
                     "photo_false_pos": fp, "photo_median_ms": fp_med})
    order = greedy_order(results)
    chain = BarcodeReader(order)
    ok, med, by_kind, hits = _run(chain.read, samples)
    fp, fp_med = _false_positives(chain.read, photos)
    results["chain"] = (ok, med, by_kind, hits)
    rows.append({"engine": "chain: " + " > ".join(order), "decoded": f"{ok}/{len(samples)}", "rate": ok / len(samples),
                 "median_ms": med, "photo_false_pos": fp, "photo_median_ms": fp_med})
    best_single = max(results[e][0] for e in engines)
    groups = sorted(results["chain"][2])
    detail = [{"set": g, **{e: f"{results[e][2][g][0]}/{results[e][2][g][1]}" for e in [*engines, "chain"]}}
              for g in groups]
    print("per degradation (decoded/total):")
    write("barcodes_degradation", detail, ["set", *engines, "chain"])
    print()
    write("barcodes", rows, ["engine", "decoded", "rate", "median_ms", "photo_false_pos", "photo_median_ms"],
          samples=len(samples), shared_photos=len(photos), chosen_order=order, chain_decoded=ok,
          best_single_decoded=best_single, goal_met=ok >= best_single,
          missing_engines=[e for e in ENGINES if e not in engines])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
