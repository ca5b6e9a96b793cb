"""Generated passport data pages for the document camera: what a person lays on the scanning area.

`render_passport(identity_key, damage=...)` draws an open passport booklet (two ID-3 pages, 125 x
176 mm, so A4 proportions as the scanner's page finder expects): the observations page on top,
the data page below it with the holder's photograph, the printed fields and the two-line TD3 MRZ
in a monospace font at the ICAO pitch of 10 characters per inch. The MRZ is the one the virtual
chip carries (`hw_sim.emrtd.documents.td3_mrz`), so BAC keys derived from the page open the chip.

Damage (for the refusal paths): `check_digit` prints a wrong birth-date check digit (a
misprinted or altered page); `smudge` smears the lower MRZ line so it cannot be read.
`passport_frames()` gives camera frames of the booklet on the desk (hw_sim/documents.py).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from hw_sim.emrtd.documents import td3_mrz
from hw_sim.identities import get_identity

MONO_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"  # fonts-dejavu-core (bootstrap.sh)
TEXT_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
PX_PER_MM = 10
BOOKLET_MM = (125, 176)  # open booklet: two 125 x 88 mm pages
PAGE_W, PAGE_H = BOOKLET_MM[0] * PX_PER_MM, BOOKLET_MM[1] * PX_PER_MM
DATA_TOP = PAGE_H // 2
MRZ_PITCH = 25.4 / 10 * PX_PER_MM  # 10 characters per inch
DAMAGES = ("none", "check_digit", "smudge")
BIRTH_CHECK_AT = 44 + 19  # the birth date's check digit in the 88-character MRZ


def damaged_mrz(mrz: str, damage: str) -> str:
    """The printed MRZ for a damage kind: `check_digit` changes the birth-date check digit."""
    if damage == "check_digit":
        wrong = str((int(mrz[BIRTH_CHECK_AT]) + 3) % 10)
        return mrz[:BIRTH_CHECK_AT] + wrong + mrz[BIRTH_CHECK_AT + 1:]
    return mrz


def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=0)


def _photo(identity_key: str, size: tuple[int, int]) -> np.ndarray:
    from hw_sim.sam_photo import crop_face

    path = get_identity(identity_key).face_paths()[0]
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot read the sample photo {path}")
    return cv2.resize(crop_face(image), size, interpolation=cv2.INTER_AREA)


@functools.lru_cache(maxsize=8)
def _render(identity_key: str, damage: str) -> np.ndarray:
    ident = get_identity(identity_key)
    mrz = damaged_mrz(td3_mrz(ident), damage)
    img = Image.new("RGB", (PAGE_W, PAGE_H), (246, 244, 236))
    draw = ImageDraw.Draw(img)
    # security print: faint guilloche-like waves on both pages, none in the MRZ clear zone
    for i in range(0, PAGE_H - 260, 22):
        pts = [(x, i + 6 * np.sin(x / 37.0 + i / 50.0)) for x in range(0, PAGE_W, 10)]
        draw.line(pts, fill=(226, 230, 222), width=2)
    head, label, value = _font(TEXT_FONT, 34), _font(TEXT_FONT, 20), _font(TEXT_FONT, 30)
    draw.text((60, 60), "备注 / OBSERVATIONS", font=head, fill=(120, 110, 100))
    draw.line((0, DATA_TOP, PAGE_W, DATA_TOP), fill=(190, 185, 175), width=3)  # the fold
    top = DATA_TOP + 30
    draw.text((60, top), "护照 PASSPORT", font=head, fill=(60, 40, 90))
    draw.text((560, top + 8), f"类型/Type  P     国家码/Code  {ident.nationality}", font=label, fill=(60, 60, 60))
    draw.text((560, top + 40), f"护照号/Passport No.  {ident.passport_number}", font=label, fill=(60, 60, 60))
    photo = _photo(identity_key, (300, 390))
    fields = [
        ("姓/Surname", ident.surname_latin or ""),
        ("名/Given names", ident.given_names_latin or ""),
        ("国籍/Nationality", ident.nationality),
        ("出生日期/Date of birth", ident.birth_date.strftime("%d %b %Y").upper()),
        ("性别/Sex", ident.sex_mrz),
        ("有效期至/Date of expiry", ident.passport_expiry.strftime("%d %b %Y").upper() if ident.passport_expiry else ""),
    ]
    y = top + 90
    for name, val in fields:
        draw.text((400, y), name, font=label, fill=(90, 90, 90))
        draw.text((400, y + 24), val, font=value, fill=(20, 20, 20))
        y += 66
    # the MRZ clear zone and its two lines at 10 characters per inch
    draw.rectangle((0, PAGE_H - 250, PAGE_W, PAGE_H), fill=(248, 247, 243))
    mono = _font(MONO_FONT, 38)
    for row, line in enumerate((mrz[:44], mrz[44:])):
        by = PAGE_H - 200 + row * 86
        for i, ch in enumerate(line):
            draw.text((round(65 + i * MRZ_PITCH), by), ch, font=mono, fill=(15, 15, 15))
    page = cv2.cvtColor(np.array(img), cv2.COLOR_RGB2BGR)
    py, px = top + 90, 60
    # printed light into the security background, as a passport's engraved portrait is
    page[py:py + photo.shape[0], px:px + photo.shape[1]] = cv2.addWeighted(photo, 0.5, np.full_like(photo, 240), 0.5, 0)
    if damage == "smudge":  # a wet thumb across the lower line: ink smeared sideways, paper greyed
        y0, y1 = PAGE_H - 120, PAGE_H - 50
        strip = page[y0:y1]
        strip = cv2.blur(strip, (41, 9))
        page[y0:y1] = cv2.addWeighted(strip, 0.6, np.full_like(strip, 150), 0.4, 0)
    return page


def render_passport(identity: str = "obama", damage: str = "none") -> np.ndarray:
    """The open booklet as a flat image (BGR, 1250 x 1760): observations page above, data page below."""
    if damage not in DAMAGES:
        raise ValueError(f"unknown passport damage {damage!r} (known: {', '.join(DAMAGES)})")
    get_identity(identity)  # a clear KeyError naming the known identities
    return _render(identity, damage).copy()


def passport_mrz(identity: str = "obama", damage: str = "none") -> str:
    """The 88 MRZ characters printed on that page (ground truth for tests)."""
    return damaged_mrz(td3_mrz(get_identity(identity)), damage)


def passport_frames(identity: str = "obama", damage: str = "none", n: int | None = None, seed: int = 0,
                    **params: Any) -> Iterator[np.ndarray]:
    """Camera frames of the open passport on the desk (hand tremor), as the document camera sees it."""
    from hw_sim.documents import page_frames

    return page_frames("good", n=n, seed=seed, page_image=render_passport(identity, damage), **params)
