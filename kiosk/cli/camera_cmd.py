"""`kiosk camera snapshot --url URL --out F.png`: grab one frame from any camera URL (a
technician's check that the camera, the cable and the URL are right)."""

from __future__ import annotations

import argparse

from kiosk.cli._output import emit, fail


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("camera", help="camera tools")
    csub = p.add_subparsers(dest="camera_command", metavar="ACTION")
    csub.required = True
    s = csub.add_parser("snapshot", help="save one frame from a camera URL")
    s.add_argument("--url", required=True, help="v4l2:///dev/video0, http://host/stream.mjpg, rtsp://..., file:///x.mp4")
    s.add_argument("--out", required=True, help="image file to write (.png, .jpg)")
    s.add_argument("--timeout", type=float, default=8.0, help="seconds to wait for a frame")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_snapshot)


def _snapshot(args: argparse.Namespace) -> int:
    import cv2

    from kiosk.devices.registry import create_device

    try:
        camera = create_device("camera", args.url)
    except ValueError as exc:
        return fail(args, str(exc), {"url": args.url}, code=2)
    camera.start()
    try:
        done = camera.grab(args.timeout).result(args.timeout + 2)
        status = camera.status
    finally:
        camera.close()
    if not done.ok:
        return fail(args, f"{args.url}: {done.code}: {done.detail} (camera status {status})",
                    {"url": args.url, "code": str(done.code)})
    image = done.data.image
    try:
        ok = cv2.imwrite(args.out, image)
    except cv2.error as exc:
        return fail(args, f"cannot write {args.out}: {exc}", {"url": args.url}, code=2)
    if not ok:
        return fail(args, f"cannot write {args.out} (unknown extension or unwritable folder)", {"url": args.url}, code=2)
    h, w = image.shape[:2]
    emit(args, {"url": args.url, "out": args.out, "width": w, "height": h}, f"{args.out}: {w}x{h} from {args.url}")
    return 0
