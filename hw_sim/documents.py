"""Generated document photos for the document camera, tests and benchmarks.

- `render_page()`: an A4 page (150 dpi) with Chinese and English text, a receipt QR code and a
  Code128 case barcode, as a flat image.
- `page_photo(kind, **params)`: that page placed in perspective on a desk background, as a camera
  would see it, with controllable blur, glare, cut-off edges, darkness, distance and skew. Returns
  the frame and its ground truth (page corners in frame pixels, the codes on it).
- `page_frames(kind, **params)`: an endless (or `n`-long) iterator of such frames with a little hand
  tremor; `kind="hand"` is a person bringing a page in, adjusting it and holding it still.
- `code_samples()`: single barcodes/QR codes with one degradation each (for the barcode benchmark).
- `sample_photos()`: the sample face photographs (no documents, no codes).
- `register_camera_sources(register_source)` / `document_camera_sim()`: the document frame sources
  (`page_good`, `page_blurred`, ..., `no_page`, `page_hand`) on the MJPEG camera simulator.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import qrcode
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

A4_MM = (210.0, 297.0)
PAGE_WIDTH = 1240  # A4 at 150 dpi
PAGE_HEIGHT = round(PAGE_WIDTH * A4_MM[1] / A4_MM[0])  # 1754
FRAME_SIZE = (1600, 1200)

DEFAULT_BARCODE = "SIM0001-20261122-0042-P"  # a valid case number (check character included)
DEFAULT_QR = "https://zwfw.example.gov.cn/q/" + DEFAULT_BARCODE  # what the receipt QR holds

# Named page photos: every quality verdict the scanner gives has one kind that triggers it.
KINDS: dict[str, dict[str, Any]] = {
    "good": {},
    "blurred": {"blur": 3.5},
    "glare": {"glare": 1.0},
    "cut_off": {"shift": (0.42, 0.0)},
    "dark": {"light": 0.28},
    "far": {"distance": 2.4},
    "skewed": {"skew": 0.62},
    "no_page": {"page": False},
}


@dataclass
class PhotoTruth:
    kind: str
    corners: list[tuple[float, float]] | None  # TL, TR, BR, BL of the page in frame pixels
    qr_text: str | None = None
    barcode_text: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_PATH, size, index=0)


def qr_image(text: str, box: int = 6, border: int = 4) -> np.ndarray:
    """A QR code (UTF-8 bytes, error correction M) as a grey uint8 image."""
    q = qrcode.QRCode(box_size=box, border=border, error_correction=qrcode.constants.ERROR_CORRECT_M)
    q.add_data(text.encode("utf-8"))
    q.make(fit=True)
    return np.array(q.make_image(fill_color="black", back_color="white").convert("L"))


def code128_image(text: str, scale: int = 3, height: int = 80) -> np.ndarray:
    """A Code128 barcode with quiet zones as a grey uint8 image `height` pixels high."""
    row = np.array(zxingcpp.write_barcode_to_image(
        zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128), scale=1, add_quiet_zones=True))
    line = row[row.shape[0] // 2]
    line = np.repeat(line, scale)
    return np.tile(line, (height, 1)).astype(np.uint8)


@functools.lru_cache(maxsize=8)
def _render_page_cached(qr_text: str, barcode_text: str, qr_box: int) -> np.ndarray:
    img = Image.new("RGB", (PAGE_WIDTH, PAGE_HEIGHT), "white")
    draw = ImageDraw.Draw(img)
    title, body, small = _font(52), _font(30), _font(24)
    draw.text((110, 100), "不动产登记申请表", font=title, fill="black")
    draw.text((110, 170), "Application for Real Estate Registration", font=body, fill="black")
    draw.line((110, 225, PAGE_WIDTH - 110, 225), fill="black", width=3)
    lines = [
        ("申请人：张三", "Applicant: Zhang San"),
        ("证件号码：110101********1234", "ID number: 110101********1234"),
        ("联系电话：138****5678", "Phone: 138****5678"),
        ("申请事项：不动产权证书补发", "Service: reissue of property certificate"),
        ("材料：身份证复印件、户口簿、遗失声明", "Materials: ID copy, household register, loss notice"),
        ("承诺办结日期：2026年12月06日", "Promised completion date: 2026-12-06"),
    ]
    y = 270
    for zh, en in lines:
        draw.text((110, y), zh, font=body, fill="black")
        draw.text((110, y + 42), en, font=small, fill=(40, 40, 40))
        y += 100
    for i in range(9):  # a block of running text, like a form's declaration
        draw.text((110, y + i * 38), "本人承诺所填信息真实有效，如有虚假愿承担相应法律责任。I declare the above is true."[: 40 + (i % 3) * 4],
                  font=small, fill=(30, 30, 30))
    page = cv2.cvtColor(np.array(img), cv2.COLOR_RGB2BGR)
    bc = code128_image(barcode_text, scale=3, height=110)  # its own row: a case number is long
    by, bx = PAGE_HEIGHT - 150 - bc.shape[0], 110
    page[by:by + bc.shape[0], bx:bx + bc.shape[1]] = bc[..., None]
    qr = qr_image(qr_text, box=qr_box)
    qy, qx = by - 16 - qr.shape[0], PAGE_WIDTH - 110 - qr.shape[1]
    page[qy:qy + qr.shape[0], qx:qx + qr.shape[1]] = qr[..., None]
    draw2 = ImageDraw.Draw(pil := Image.fromarray(cv2.cvtColor(page, cv2.COLOR_BGR2RGB)))
    draw2.text((110, PAGE_HEIGHT - 130), f"办件编号 Case No. {barcode_text}", font=small, fill="black")
    return cv2.cvtColor(np.array(pil), cv2.COLOR_RGB2BGR)


def render_page(qr_text: str = DEFAULT_QR, barcode_text: str = DEFAULT_BARCODE, qr_box: int = 6) -> np.ndarray:
    """The flat page (BGR, 1240x1754, paper 255) — also what a flatbed scanner would return."""
    return _render_page_cached(qr_text, barcode_text, qr_box).copy()


@functools.lru_cache(maxsize=8)
def _desk(width: int, height: int, seed: int) -> np.ndarray:
    """A dark wooden desk: grain stripes, low-frequency shading and fine texture."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, width, dtype=np.float32)
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    grain = 0.5 + 0.5 * np.sin(2 * math.pi * (y * 23 + 0.08 * np.sin(x * 9 + seed)) + x * 2)
    base = 70 + 18 * grain + 12 * (x - 0.5) - 10 * (y - 0.5)
    tex = cv2.GaussianBlur(rng.normal(0, 6, (height, width)).astype(np.float32), (0, 0), 1.5)
    v = base + tex
    bgr = np.stack([v * 0.55, v * 0.75, v * 1.05], axis=-1)
    return np.clip(bgr, 0, 255).astype(np.uint8)


def page_quad(frame_size: tuple[int, int] = FRAME_SIZE, distance: float = 1.0, rotation: float = 0.0,
              skew: float = 0.0, shift: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Where the page's corners (TL, TR, BR, BL) land in the frame.

    distance 1.0 fills about 88% of the frame height; skew tilts the top away from the camera
    (0 = flat, 0.6 = the top edge 40% shorter than the bottom); rotation in degrees (in-plane);
    shift moves the centre by a fraction of the frame size."""
    w, h = frame_size
    ph = 0.88 * h / distance
    pw = ph * A4_MM[0] / A4_MM[1]
    top = 1.0 - skew  # the tilted top edge is shorter
    pts = np.array([[-pw / 2 * top, -ph / 2 * (1 - skew * 0.25)], [pw / 2 * top, -ph / 2 * (1 - skew * 0.25)],
                    [pw / 2, ph / 2], [-pw / 2, ph / 2]], dtype=np.float64)
    a = math.radians(rotation)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    pts = pts @ rot.T
    pts += [w / 2 + shift[0] * w, h / 2 + shift[1] * h]
    return pts.astype(np.float32)


def _light_page(src: np.ndarray, glare: float, glare_at: tuple[float, float]) -> np.ndarray:
    """The page as the camera sees it: paper under room light (not clipped white), slightly uneven
    across the sheet, and an optional glare spot that saturates its core and fades out in a halo."""
    sh, sw = src.shape[:2]
    gain = np.linspace(0.96, 1.02, sw, dtype=np.float32)[None, :] * 0.88
    gain = np.repeat(gain, sh, axis=0)
    paper = src.astype(np.float32) * gain[..., None]
    if glare > 0:
        yy, xx = np.ogrid[:sh, :sw]
        r2 = ((xx - glare_at[0] * sw) ** 2 + (yy - glare_at[1] * sh) ** 2) / (2 * (0.11 * sw) ** 2)
        paper += (np.exp(-r2).astype(np.float32) * 420 * glare)[..., None]
    return np.clip(paper, 0, 255).astype(np.uint8)


@functools.lru_cache(maxsize=16)
def _lit_page(_key: None, glare: float, glare_at: tuple[float, float]) -> np.ndarray:
    return _light_page(render_page(), glare, glare_at)


@functools.lru_cache(maxsize=4)
def _noise(width: int, height: int) -> np.ndarray:
    """Sensor noise (sigma 2.5) a little larger than the frame; each frame takes a shifted window."""
    rng = np.random.default_rng(12345)
    return rng.normal(0, 2.5, (height + 64, width + 64, 3)).astype(np.float32)


def page_photo(kind: str = "good", *, frame_size: tuple[int, int] = FRAME_SIZE, seed: int = 0,
               page_image: np.ndarray | None = None, **overrides: Any) -> tuple[np.ndarray, PhotoTruth]:
    """One camera frame of a page on the desk, and its ground truth.

    Parameters (defaults from `KINDS[kind]`, overridable): distance, rotation (deg), skew, shift
    (fx, fy), blur (Gaussian sigma in frame px), motion (px of motion blur), glare (0..1 strength),
    glare_at (fx, fy on the page), light (paper brightness factor; 1.0 = normal room light),
    noise (sensor noise sigma), page (False = empty desk)."""
    if kind not in KINDS and kind != "custom":
        raise ValueError(f"unknown page kind {kind!r} (known: {', '.join(KINDS)}, custom)")
    p: dict[str, Any] = {"distance": 1.0, "rotation": 3.0, "skew": 0.04, "shift": (0.0, 0.0), "blur": 0.0,
                         "motion": 0.0, "glare": 0.0, "glare_at": (0.45, 0.35), "light": 1.0, "noise": 2.5,
                         "page": True}
    p.update(KINDS.get(kind, {}))
    p.update(overrides)
    w, h = frame_size
    rng = np.random.default_rng(seed)
    frame = _desk(w, h, seed % 4).copy()
    corners = None
    if p["page"]:
        if page_image is None:
            paper = _lit_page(None, float(p["glare"]), tuple(p["glare_at"]))
        else:
            paper = _light_page(page_image, float(p["glare"]), tuple(p["glare_at"]))
        sh, sw = paper.shape[:2]
        quad = page_quad(frame_size, p["distance"], p["rotation"], p["skew"], tuple(p["shift"]))
        m = cv2.getPerspectiveTransform(np.float32([[0, 0], [sw, 0], [sw, sh], [0, sh]]), quad)
        # the page is drawn straight onto the desk: pixels outside it are left alone
        cv2.warpPerspective(paper, m, (w, h), dst=frame, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)
        corners = [(float(x), float(y)) for x, y in quad]
    if p["light"] != 1.0:
        frame = cv2.convertScaleAbs(frame, alpha=float(p["light"]))
    if p["blur"] > 0:
        frame = cv2.GaussianBlur(frame, (0, 0), p["blur"])
    if p["motion"] > 0:
        k = max(3, int(p["motion"]) | 1)
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        frame = cv2.filter2D(frame, -1, kernel)
    if p["noise"] > 0:
        noise = _noise(w, h)
        oy, ox = (int(v) for v in rng.integers(0, 64, 2))
        scaled = noise[oy:oy + h, ox:ox + w] * np.float32(p["noise"] / 2.5)
        frame = cv2.add(frame.astype(np.float32), scaled, dtype=cv2.CV_8U)
    out = frame
    truth = PhotoTruth(kind, corners, DEFAULT_QR if p["page"] else None, DEFAULT_BARCODE if p["page"] else None,
                       {k: v for k, v in p.items() if k != "page"})
    return out, truth


def page_frames(kind: str = "good", n: int | None = None, *, seed: int = 0, tremor: float = 0.6,
                with_truth: bool = False, **params: Any) -> Iterator[Any]:
    """Frames of one kind with hand tremor (`tremor` px of jitter), or `kind="hand"`: a page coming
    in from the side, too far, brought closer while moving (motion blur), then held still.
    Yields frames (BGR uint8), or (frame, truth) with `with_truth=True`."""
    rng = np.random.default_rng(seed)
    base = dict(KINDS.get(kind, {})) if kind != "hand" else {}
    base.update(params)
    counter = itertools.count() if n is None else range(n)
    script = _hand_script() if kind == "hand" else None
    for i in counter:
        if script is not None:
            step = script[min(i, len(script) - 1)]
            kw = {**base, **step}
            k = "custom"
        else:
            kw = dict(base)
            k = kind
        if kw.get("page", True) and kind != "no_page":
            fw = kw.get("frame_size", FRAME_SIZE)[0]
            sx, sy = kw.get("shift", (0.0, 0.0))
            jitter = rng.normal(0, tremor, 2) / fw
            kw["shift"] = (sx + jitter[0], sy + jitter[1])
        frame, truth = page_photo(k, seed=seed + i, **kw)
        yield (frame, truth) if with_truth else frame


def _hand_script() -> list[dict[str, Any]]:
    """Per frame: where the page is while a person positions it (about 2 s at 15 fps)."""
    steps: list[dict[str, Any]] = [{"page": False}] * 3
    for i in range(5):  # slides in from the right, cut off, moving fast
        steps.append({"shift": (0.55 - i * 0.1, 0.0), "distance": 2.2, "motion": 25})
    for _ in range(3):  # inside the frame but far away
        steps.append({"distance": 2.4, "motion": 0})
    for d in (1.9, 1.5, 1.2):  # brought closer, still moving
        steps.append({"distance": d, "motion": 21})
    steps.append({"distance": 1.0, "glare": 0.9, "glare_at": (0.5, 0.4)})  # tilted into the lamp
    steps.append({"distance": 1.0, "glare": 0.9, "glare_at": (0.55, 0.4)})
    steps += [{"distance": 1.0}] * 6  # held still
    return steps


def hand_script_length() -> int:
    return len(_hand_script())


# -- barcodes ---------------------------------------------------------------------------------


@dataclass
class CodeSample:
    image: np.ndarray  # grey uint8
    text: str
    type: str  # QRCODE | CODE128
    degradation: str


def _place_code(code: np.ndarray, size: tuple[int, int] = (640, 480), paper: int = 235) -> np.ndarray:
    w, h = size
    canvas = np.full((h, w), paper, np.uint8)
    ch, cw = code.shape
    y, x = (h - ch) // 2, (w - cw) // 2
    canvas[y:y + ch, x:x + cw] = np.minimum(code, paper)
    return canvas


def code_samples(seed: int = 0) -> list[CodeSample]:
    """The degraded-code set: QR (ASCII and Chinese UTF-8) and Code128, each under blur, noise,
    rotation, perspective, low contrast and small size at several strengths, plus clean ones."""
    rng = np.random.default_rng(seed)
    W, H = 1000, 700  # noqa: N806 (image size)
    payloads = [("QRCODE", DEFAULT_QR), ("QRCODE", "KQ1:SIM0001-20261122-0043-N"),
                ("QRCODE", "受理回执 办件编号 SIM0001-20261122-0044-L"), ("QRCODE", "你好，世界"),
                ("CODE128", DEFAULT_BARCODE), ("CODE128", "GZ0007-20261201-4711-Z")]
    out: list[CodeSample] = []

    def base(kind: str, text: str, module: int) -> np.ndarray:
        if kind == "QRCODE":
            return _place_code(qr_image(text, box=module), (W, H))
        return _place_code(code128_image(text, scale=module // 2 + 1, height=90), (W, H))

    for kind, text in payloads:
        out.append(CodeSample(base(kind, text, 4), text, kind, "clean"))
        for sigma in (1.5, 2.5, 3.5):
            out.append(CodeSample(cv2.GaussianBlur(base(kind, text, 4), (0, 0), sigma), text, kind, f"blur{sigma}"))
        for s in (20, 40, 60):
            img = base(kind, text, 4).astype(np.float32) + rng.normal(0, s, (H, W))
            out.append(CodeSample(np.clip(img, 0, 255).astype(np.uint8), text, kind, f"noise{s}"))
        for ang in (15, 45, 90, 170):
            img = base(kind, text, 4)
            m = cv2.getRotationMatrix2D((W / 2, H / 2), ang, 0.8)
            out.append(CodeSample(cv2.warpAffine(img, m, (W, H), borderValue=235), text, kind, f"rot{ang}"))
        for t in (0.25, 0.45):
            img = base(kind, text, 4)
            src = np.float32([[0, 0], [W, 0], [W, H], [0, H]])
            dst = np.float32([[W * t / 2, H * t / 3], [W * (1 - t / 2), 0], [W, H], [0, H * (1 - t / 4)]])
            warped = cv2.warpPerspective(img, cv2.getPerspectiveTransform(src, dst), (W, H), borderValue=235)
            out.append(CodeSample(warped, text, kind, f"persp{t}"))
        for lo, hi in ((90, 150), (130, 165), (150, 170)):
            img = base(kind, text, 4).astype(np.float32) / 255.0
            img = lo + img * (hi - lo)
            out.append(CodeSample(img.astype(np.uint8), text, kind, f"contrast{hi - lo}"))
        for mod in (2, 1):
            out.append(CodeSample(base(kind, text, mod), text, kind, f"small{mod}px"))
        for f in (0.6, 0.45):
            img = base(kind, text, 2)
            small = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
            out.append(CodeSample(small, text, kind, f"scaled{f}"))
    return out


def sample_photos() -> list[Path]:
    """The sample face photographs (hw_sim/faces/samples.py): real camera images with no page and no code."""
    from hw_sim.faces.samples import faces_dir

    return sorted(p for p in faces_dir().iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))


# -- camera simulator sources -------------------------------------------------------------------

CAMERA_SOURCES = {f"page_{k}": k for k in KINDS if k != "no_page"} | {"no_page": "no_page", "page_hand": "hand"}


def _looped(kind: str, n: int) -> Any:
    """A factory for the camera simulator: `n` frames rendered once, then shown round and round
    (rendering is ~25 ms a frame; a live 15-25 fps stream should not pay it every time)."""
    cache: list[np.ndarray] = []

    def make() -> list[np.ndarray]:
        if not cache:
            cache.extend(page_frames(kind, n=n))
        return cache
    return make


def register_camera_sources(register_source: Any = None) -> list[str]:
    """Register the document frame sources with the camera simulator (`hw_sim.camera.register_source`).
    Returns the names registered (empty when the camera simulator is not available)."""
    if register_source is None:
        try:
            from hw_sim.camera import register_source  # type: ignore[attr-defined, no-redef]
        except ImportError:
            return []
    names = []
    for name, kind in CAMERA_SOURCES.items():
        register_source(name, _looped(kind, hand_script_length() if kind == "hand" else 8))
        names.append(name)
    return names


def random_payment_code() -> str:
    """An 18-digit payment code in the wallet ranges (10-15...), as a phone would show it."""
    import secrets

    return f"1{secrets.randbelow(6)}" + "".join(str(secrets.randbelow(10)) for _ in range(16))


def phone_screen(code: str, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """A phone held under the document camera showing `code` as a QR code (grey image): a dark
    phone body, a white screen, the QR in the middle."""
    w, h = size
    frame = np.full((h, w), 90, np.uint8)
    cv2.rectangle(frame, (w // 2 - 150, 20), (w // 2 + 150, h - 20), 25, -1)
    cv2.rectangle(frame, (w // 2 - 135, 45), (w // 2 + 135, h - 45), 250, -1)
    qr = qr_image(code, box=5, border=2)
    qh, qw = qr.shape
    y, x = (h - qh) // 2, (w - qw) // 2
    frame[y:y + qh, x:x + qw] = qr
    return frame


def document_camera_sim(source: str = "page_good", fps: float = 15.0, **kw: Any) -> Any:
    """A `hw_sim.camera.CameraSim` named `document_camera` showing the document sources (not
    started: call `.start()`, then point `[devices.scanner] camera_url` at its `.url`). Beyond the
    camera's commands it has `show_page(qr=TEXT, barcode=TEXT)`: a good page printed with both codes,
    `show_payment_code(code=...)`, and `show_passport(identity=KEY, damaged=0|1, damage=smudge)`."""
    import itertools

    from hw_sim.camera import CameraSim

    class DocumentCameraSim(CameraSim):
        _pages = itertools.count(1)

        def cmd_show_page(self, qr: str, barcode: str) -> dict[str, Any]:
            """Show a good page printed with this QR code and barcode (a receipt, an envelope)."""
            if not qr or not barcode:
                raise ValueError("show_page needs both qr and barcode text")
            image = render_page(qr_text=qr, barcode_text=barcode)
            frames: list[Any] = []

            def factory() -> list[Any]:
                if not frames:
                    frames.extend(page_frames("good", n=4, page_image=image))
                return frames

            name = f"page_codes_{next(self._pages)}"
            self.register_source(name, factory)
            return self.cmd_show(source=name)

        def cmd_show_passport(self, identity: str = "obama", damaged: int = 0, damage: str = "") -> dict[str, Any]:
            """Show an open passport (data page with photo and MRZ) of a sample identity: the MRZ its
            virtual chip opens with; `damaged=1` prints a wrong check digit, `damage=smudge` smears
            the lower MRZ line (hw_sim/passport_page.py)."""
            from hw_sim.passport_page import passport_frames

            kind = damage or ("check_digit" if str(damaged).lower() in ("1", "true", "yes") else "none")
            try:
                frames = list(passport_frames(identity, kind, n=4))
            except KeyError as exc:
                raise ValueError(str(exc.args[0])) from None
            name = f"passport_{next(self._pages)}"
            self.register_source(name, lambda: frames)
            return {**self.cmd_show(source=name), "passport": identity, "damage": kind}

        def cmd_show_payment_code(self, code: str = "") -> dict[str, Any]:
            """Show a phone screen with a payment code (付款码) as a QR code: `code` (18 digits,
            starting 10-15), or a fresh random one. Returns the status with the code shown."""
            shown = code or random_payment_code()
            image = cv2.cvtColor(phone_screen(shown), cv2.COLOR_GRAY2BGR)
            name = f"payment_code_{next(self._pages)}"
            self.register_source(name, lambda: [image])
            return {**self.cmd_show(source=name), "code": shown}

    cam = DocumentCameraSim(sim_name="document_camera", fps=fps, builtin_sources=False, **kw)
    register_camera_sources(cam.register_source)
    cam.handle("show", {"source": source})
    return cam
