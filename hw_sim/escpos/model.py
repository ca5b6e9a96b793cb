"""What the simulated printer printed, as data tests can assert on: receipts made of items
(text lines, QR codes, raster images, feeds), each receipt ending at a cut."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Line:
    text: str
    align: str = "left"
    width: int = 1
    height: int = 1
    bold: bool = False
    underline: bool = False
    invert: bool = False
    columns: int = 0  # print columns at normal width (ASCII 1, double-byte 2)
    overflow: bool = False  # wider than the paper: the printer wrapped it
    kind: str = "line"


@dataclass
class QrCode:
    payload: str
    module: int = 3
    ec: str = "L"
    align: str = "left"
    kind: str = "qr"


@dataclass
class Image:
    width: int  # dots
    height: int
    rows: bytes = field(repr=False)  # packed, MSB first, 1 = black
    align: str = "left"
    kind: str = "image"

    @property
    def width_bytes(self) -> int:
        return (self.width + 7) // 8


@dataclass
class Feed:
    dots: int
    kind: str = "feed"


@dataclass
class Receipt:
    items: list[Any] = field(default_factory=list)
    cut: str | None = None  # "full" | "partial" | None (stream ended without a cut)
    errors: list[str] = field(default_factory=list)
    lost: str | None = None  # why part of it did not print (paper out, jam, offline)
    png: str | None = None

    @property
    def lines(self) -> list[Line]:
        return [i for i in self.items if isinstance(i, Line)]

    @property
    def texts(self) -> list[str]:
        return [i.text for i in self.lines]

    @property
    def qr(self) -> list[str]:
        return [i.payload for i in self.items if isinstance(i, QrCode)]

    @property
    def images(self) -> list[Image]:
        return [i for i in self.items if isinstance(i, Image)]

    def summary(self) -> dict[str, Any]:
        """JSON-friendly view (the simulator control API returns this)."""
        items = []
        for i in self.items:
            d = asdict(i)
            if isinstance(i, Image):
                d.pop("rows")
            items.append(d)
        return {"lines": [i.text for i in self.lines], "qr": self.qr, "images": len(self.images),
                "cut": self.cut, "errors": list(self.errors), "lost": self.lost, "png": self.png, "items": items}
