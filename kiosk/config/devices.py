"""`[devices.*]`: which backend each device class uses (a URL each) and its settings."""

from __future__ import annotations

from pydantic import Field

from kiosk.config.base import Section


class IdReaderConfig(Section):
    url: str = Field(description="sam:///dev/ttyUSB0?baud=115200 or pcsc://READER NAME")
    wlt_decoder: str | None = Field(default=None, description="path of the vendor's WLT photo decoder library")


class CameraConfig(Section):
    url: str = Field(description="v4l2:///dev/video0, rtsp://..., file:///x.mp4, sim://holder")
    width: int = Field(default=1280, ge=160, le=7680)
    height: int = Field(default=720, ge=120, le=4320)
    fps: float = Field(default=25.0, gt=0, le=120)


class FaceConfig(Section):
    url: str = "local://"
    match_threshold: float = Field(default=0.6, ge=-1, le=1)
    retry_band: float = Field(default=0.05, ge=0, le=1)
    challenge_timeout_s: float = Field(default=8.0, gt=0)


class ScannerConfig(Section):
    url: str = Field(description="camera://document (the document camera) or a flatbed backend")
    camera_url: str | None = None
    page_width_px: int = Field(default=1240, ge=300, le=5000)


class PrinterConfig(Section):
    url: str = Field(description="tcp://host:9100, serial:///dev/ttyS0, usb://VID:PID, file:///dev/usb/lp0, cups://queue")
    paper_width_mm: int = Field(default=80, ge=48, le=112)


class DevicesConfig(Section):
    id_reader: IdReaderConfig
    camera: CameraConfig
    face: FaceConfig = FaceConfig()
    scanner: ScannerConfig
    printer: PrinterConfig
