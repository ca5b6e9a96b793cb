"""`kiosk face verify --reference REF.jpg --live LIVE.jpg [--json]`: compare two stills.

Prints {"decision": "match|no_match|retry", "score": 0.83, "faces": 1, "reason": "...", "ms": 41.0}.
No face or more than one face in the live image gives `retry` with the reason. Exit status 0
for match, 3 for no_match, 4 for retry, 2 for unreadable input, 1 for other errors.
"""

from __future__ import annotations

import argparse
import time

from kiosk.cli._output import emit, fail

EXIT = {"match": 0, "no_match": 3, "retry": 4}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("face", help="face verification")
    fsub = p.add_subparsers(dest="face_command", metavar="ACTION")
    fsub.required = True
    v = fsub.add_parser("verify", help="compare a live photo with a reference (document) photo")
    v.add_argument("--reference", required=True, help="the document photo (JPEG/PNG/...)")
    v.add_argument("--live", required=True, help="the live photo")
    v.add_argument("--threshold", type=float, default=None, help="match threshold (default: [devices.face])")
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=_verify)


def _verify(args: argparse.Namespace) -> int:
    from kiosk.config.devices import FaceConfig
    from kiosk.devices.face.models import ModelMissing
    from kiosk.devices.face.verifier import LocalFaceVerifier, load_image

    t0 = time.perf_counter()
    try:
        reference = load_image(args.reference)
        live = load_image(args.live)
    except (ValueError, OSError) as exc:
        return fail(args, str(exc), {"decision": None}, code=2)
    cfg = FaceConfig()
    try:
        verifier = LocalFaceVerifier(match_threshold=args.threshold if args.threshold is not None else cfg.match_threshold,
                                     retry_band=cfg.retry_band, min_face_px=cfg.min_face_px)
        verifier.open()  # load the models before the clock starts
        verdict = verifier.compare(reference, live)
    except ModelMissing as exc:
        return fail(args, str(exc), {"decision": None})
    except ValueError as exc:
        return fail(args, str(exc), {"decision": None}, code=2)
    payload = {"decision": str(verdict.decision), "score": verdict.score, "faces": verdict.faces,
               "reason": verdict.reason, "ms": round(verdict.ms, 1),
               "total_ms": round((time.perf_counter() - t0) * 1000, 1)}
    score = "-" if verdict.score is None else f"{verdict.score:.3f}"
    emit(args, payload, f"{verdict.decision} (score {score}, faces {verdict.faces}"
         + (f", {verdict.reason}" if verdict.reason else "") + f", {verdict.ms:.0f} ms)")
    return EXIT[str(verdict.decision)]
