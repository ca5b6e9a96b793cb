"""`[devices.*]`: which backend each device class uses (a URL each) and its settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from kiosk.config.base import Section


class IdReaderConfig(Section):
    url: str = Field(description="sam:///dev/ttyUSB0?baud=115200 or pcsc://READER NAME")
    wlt_decoder: str | None = Field(
        default=None, description='path of the vendor\'s WLT photo decoder library, or "sim" for the simulator\'s own photos')
    trust_store: str | None = Field(default=None, description="directory of CSCA certificates for passive authentication (pcsc://)")
    poll_interval_s: float = Field(default=0.25, gt=0, le=5, description="how often card presence is polled")

    @model_validator(mode="after")
    def _passports_need_a_trust_store(self) -> "IdReaderConfig":
        # without CSCA certificates a chip is checked by its own hashes only: a home-made chip with
        # someone else's document number and the attacker's face would pass (security finding 2)
        if self.url.lower().startswith("pcsc:") and not (self.trust_store or "").strip():
            raise ValueError("a pcsc:// reader (passports) needs trust_store = the directory of CSCA "
                             "certificates (ICAO PKD / the issuing states' CSCA lists); without it a forged "
                             "chip passes")
        return self


class CameraConfig(Section):
    url: str = Field(description="v4l2:///dev/video0, rtsp://..., http://host/stream.mjpg, file:///x.mp4, file:///dir/img_%04d.png")
    width: int = Field(default=1280, ge=160, le=7680)
    height: int = Field(default=720, ge=120, le=4320)
    fps: float = Field(default=25.0, gt=0, le=120)


class FaceConfig(Section):
    url: str = "local://"
    # similarity = 1 - Euclidean distance of dlib ResNet descriptors; on the shared faces with
    # card-photo degradation (bench/face.py): same-person min 0.40, different-person max 0.31
    match_threshold: float = Field(default=0.39, ge=-1, le=1)
    retry_band: float = Field(default=0.03, ge=0, le=1, description="scores in [threshold - band, threshold) give retry")
    challenge_timeout_s: float = Field(default=8.0, gt=0)
    challenges: tuple[Literal["blink", "turn_left", "turn_right"], ...] = Field(
        default=("blink", "turn_left", "turn_right"), min_length=1)
    min_face_px: int = Field(default=64, ge=20, le=2000, description="smaller live faces get face.move_closer")
    passive_min_share: float = Field(default=0.5, gt=0, le=1, description="share of frames with attack cues that makes a fraud_attempt")


class ScannerConfig(Section):
    url: str = Field(description="camera://document (the document camera) or a flatbed backend")
    camera_url: str | None = None
    page_width_px: int = Field(default=1240, ge=300, le=5000, description="corrected page width (A4 aspect); 1240 = 150 dpi")
    find_width_px: int = Field(default=800, ge=200, le=2000, description="frame width the page finder works on")
    quality_width_px: int = Field(default=600, ge=200, le=2000, description="page width blur and glare are measured on")
    min_page_contrast: float = Field(default=25.0, ge=1, le=255, description="paper vs. background grey levels")
    max_paper_saturation: float = Field(default=90.0, ge=0, le=255, description="median HSV saturation above which a bright region is not paper")
    blur_min: float = Field(default=150.0, ge=0, description="variance of the Laplacian below which a page is blurred")
    glare_clip_level: int = Field(default=250, ge=200, le=255, description="grey level counted as clipped")
    glare_above_paper: float = Field(default=15.0, ge=0, le=255, description="a glare pixel is this much brighter than the paper")
    glare_min_area: float = Field(default=0.003, gt=0, lt=1, description="smallest glare blob, fraction of the page")
    dark_paper_level: float = Field(default=80.0, ge=0, le=255, description="paper grey level below which a page is too dark")
    min_page_area: float = Field(default=0.2, gt=0, lt=1, description="page area below this fraction of the frame is too far")
    edge_margin: float = Field(default=0.004, ge=0, lt=0.2, description="page within this fraction of the frame edge is cut off")
    max_corner_angle_deg: float = Field(default=25.0, gt=0, lt=90, description="corner angle away from 90 deg beyond which a page is too skewed")
    min_side_ratio: float = Field(default=0.6, gt=0, le=1, description="shorter/longer of opposite page edges below which a page is too skewed")
    detect_upside_down: bool = Field(default=True, description="turn a page whose text lines are right-aligned (upside down) the right way up")
    steady_frames: int = Field(default=3, ge=1, le=60, description="good frames in a row that complete a capture")
    steady_motion: float = Field(default=0.006, gt=0, lt=1, description="largest corner movement between steady frames, fraction of the frame diagonal")
    barcode_engines: tuple[str, ...] = Field(default=("zxingcpp", "pyzbar", "zxingcpp_rot", "opencv_aruco", "opencv"),
                                             description="barcode engines in fallback order")


class PrinterConfig(Section):
    url: str = Field(description="tcp://host:9100, serial:///dev/ttyS0, usb://VID:PID, file:///dev/usb/lp0, cups://queue")
    paper_width_mm: int = Field(default=80, ge=48, le=112)
    charset: Literal["gbk", "gb18030"] = Field(default="gbk", description="the printer font's Chinese set")
    status_timeout_s: float = Field(default=1.0, gt=0, le=10, description="wait for a DLE EOT status reply")
    logo: str | None = Field(default=None, description="PNG printed atop receipts (at most 576 dots wide)")


class DocPrinterConfig(Section):
    url: str = Field(description="cups://QUEUE[?server=/run/cups/cups.sock|HOST:PORT], ipp://HOST[:PORT]/printers/QUEUE, "
                                 "or file:///DIR (a PDF sink, simulated stations only)")
    job_timeout_s: float = Field(default=120.0, gt=0, le=900, description="a certificate not printed by then is cancelled")


class SpeechConfig(Section):
    url: str = Field(description="alsa://default (espeak-ng + aplay) or wav:///DIR (files only: tests, simulators)")
    muted: bool = Field(default=False, description="start muted (the screen's mute switch changes it)")
    volume: int = Field(default=80, ge=0, le=100)


class DevicesConfig(Section):
    id_reader: IdReaderConfig
    camera: CameraConfig
    face: FaceConfig = FaceConfig()
    scanner: ScannerConfig
    printer: PrinterConfig
    docprinter: DocPrinterConfig | None = None  # the A4 document printer (certificate prints)
    speech: SpeechConfig | None = None  # voice prompts (espeak-ng)
    passport_reader: IdReaderConfig | None = None  # pcsc:// passports beside a sam:// ID card reader
