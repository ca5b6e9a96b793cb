"""Colours, sizes and fonts of the touch screen; elder mode switches sizes live.

Sizes are in dp (density-independent pixels) and are multiplied with `kivy.metrics.dp` by the
`.kv` rules. Normal mode: touch targets >= 48 dp (we use 64), body text 20 dp. Elder mode (China
MIIT 2021 elder-friendly rules): targets >= 60 dp (we use 84), body text >= 18 dp (we use 28),
line spacing 1.3. Every text/background pair below has a contrast ratio >= 4.5:1 (WCAG AA);
`contrast()` computes it and a test checks every pair.

The default font is a Simplified-Chinese one: Kivy opens face index 0 of a `.ttc`, and face 0 of
Debian's `wqy-microhei.ttc` is "WenQuanYi Micro Hei" (the proportional face, SC glyph forms),
so the file is usable as it is (unlike Noto CJK's .ttc, whose face 0 is Japanese).
"""

from __future__ import annotations

from pathlib import Path

# --- colours (RGBA 0..1) -------------------------------------------------------------------
def _hex(h: str, a: float = 1.0) -> tuple[float, float, float, float]:
    h = h.lstrip("#")
    return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255, a)


BG = _hex("#F4F6F9")
SURFACE = _hex("#FFFFFF")
TEXT = _hex("#1B1F24")
TEXT_MUTED = _hex("#4A5361")
PRIMARY = _hex("#0B4FB3")  # buttons, highlights
ON_PRIMARY = _hex("#FFFFFF")
SECONDARY = _hex("#DDE3EC")
ON_SECONDARY = _hex("#1B1F24")
DANGER = _hex("#B3261E")
ON_DANGER = _hex("#FFFFFF")
SUCCESS = _hex("#1B6E2F")
ON_SUCCESS = _hex("#FFFFFF")
WARNING_BG = _hex("#FFF1C2")
ON_WARNING = _hex("#3D2E00")
ERROR_BG = _hex("#FDE3E1")
ON_ERROR = _hex("#7A1610")
HEADER = _hex("#12335E")
ON_HEADER = _hex("#FFFFFF")
DISABLED = _hex("#C9CED6")
ON_DISABLED = _hex("#3A404A")
HIGHLIGHT = _hex("#F2B705")  # the compartment / slot to use
ON_HIGHLIGHT = _hex("#1B1F24")
OVERLAY = _hex("#000000", 0.6)

# (foreground, background) pairs that carry text
TEXT_PAIRS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "body": (TEXT, BG), "body_surface": (TEXT, SURFACE), "muted": (TEXT_MUTED, BG),
    "muted_surface": (TEXT_MUTED, SURFACE),
    "primary": (ON_PRIMARY, PRIMARY), "secondary": (ON_SECONDARY, SECONDARY), "danger": (ON_DANGER, DANGER),
    "success": (ON_SUCCESS, SUCCESS), "warning": (ON_WARNING, WARNING_BG), "error": (ON_ERROR, ERROR_BG),
    "header": (ON_HEADER, HEADER), "disabled": (ON_DISABLED, DISABLED), "highlight": (ON_HIGHLIGHT, HIGHLIGHT),
}


def luminance(c: tuple[float, ...]) -> float:
    def ch(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * ch(c[0]) + 0.7152 * ch(c[1]) + 0.0722 * ch(c[2])


def contrast(fg: tuple[float, ...], bg: tuple[float, ...]) -> float:
    """WCAG 2 contrast ratio of two opaque colours."""
    a, b = luminance(fg), luminance(bg)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


# --- sizes (dp) ----------------------------------------------------------------------------
SIZES = {
    False: {"target": 64, "body": 20, "small": 18, "title": 32, "button": 22, "pad": 16, "spacing": 12,
            "line_height": 1.2},
    True: {"target": 84, "body": 28, "small": 24, "title": 40, "button": 28, "pad": 20, "spacing": 16,
           "line_height": 1.3},
}
MIN_TARGET_DP = {False: 48, True: 60}
MIN_TEXT_DP = {False: 16, True: 18}
# a QR code a phone must read from about 40 cm: at least a tenth of the distance across, with
# margin for a 1280x800 panel of 15-16" (~100 ppi, where 300 dp is about 7.5 cm)
QR_MIN_DP = 300

# --- fonts ---------------------------------------------------------------------------------
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian fonts-wqy-microhei, face 0 = SC proportional
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


def find_font() -> str:
    for path in FONT_CANDIDATES:
        if Path(path).is_file():
            return path
    raise RuntimeError("no Simplified-Chinese font found: install the Debian package fonts-wqy-microhei "
                       "(scripts/bootstrap.sh does)")


def register_fonts() -> str:
    """Make the SC font Kivy's default for every Label (call before any widget is built)."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    path = find_font()
    LabelBase.register(DEFAULT_FONT, path)
    return path
