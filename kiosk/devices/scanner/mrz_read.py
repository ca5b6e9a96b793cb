"""The machine-readable zone of a passport data page, read from an image (ICAO Doc 9303 TD3).

`read_mrz(image)` OCRs the lower part of the corrected page (then, if nothing is found there, the
whole image) with the scanner's one shared OCR engine (`kiosk.devices.scanner.ocr`), and hands
the text lines to `mrz_from_lines()`, which does the work that needs no image:

1. candidates: OCR rows (boxes on one line joined) that, upper-cased and without spaces, are
   mostly `[A-Z0-9<]` and about 44 characters long; line 2 (document number, dates, every check
   digit: all BAC needs) is required, line 1 (`P`, issuing state, names) is used when read and
   otherwise left as unknown names (the chip's DG1 carries them);
2. the usual OCR confusions repaired by field type: in digit fields O/Q/D->0, I/L->1, Z->2,
   S->5, G->6, B->8; in letter fields the reverse; `K`, `X`, `«`, `(` read for a `<` between
   fillers become `<`; a filler run the OCR shortened is restored to the line's 44 characters;
   when a check digit fails, the alphanumeric fields (document number, optional data) are retried
   with their ambiguous characters swapped, fewest changes first, until every digit matches;
3. every check digit verified by `kiosk.devices.idreader.emrtd.mrz` (the same code the chip
   reader uses for DG1).

The answer is an `MrzReading`: the parsed MRZ, or a typed failure `not_found` or `check_digit`
naming the first field whose check digit does not match. An `MrzReading` holds personal data
(document number, name, birth date): its repr shows none of it, and `wipe()` drops it.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass
from typing import Any

from kiosk.devices.idreader import MrzKey
from kiosk.devices.idreader.emrtd.mrz import MrzData, MrzError, check_digit, parse_mrz

LINE = 44
FIELD_ORDER = ("document_number", "birth_date", "expiry_date", "optional_data", "composite")
MRZ_STRIP = 0.32  # the lower share of a corrected page the MRZ is looked for first
MAX_SWAPS = 2  # ambiguous characters swapped at once (at most C(23, 2) = 253 variants of line 2)

TO_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "1",
                          "Z": "2", "S": "5", "G": "6", "B": "8"})
TO_LETTER = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "6": "G", "8": "B"})
SWAPS = {"0": "O", "O": "0", "1": "I", "I": "1", "2": "Z", "Z": "2", "5": "S", "S": "5", "8": "B", "B": "8"}
FILLER_LOOKALIKES = "KX«(<{[£"
_OCR_CHARS = str.maketrans({"«": "<", "‹": "<", "＜": "<", "(": "<", "{": "<", "[": "<", "£": "<"})

# TD3 line 2: (start, end, kind) with kind d = digits, a = letters, n = alphanumeric, s = sex
LINE2_FIELDS = ((0, 9, "n"), (9, 10, "d"), (10, 13, "a"), (13, 19, "d"), (19, 20, "d"), (20, 21, "s"),
                (21, 27, "d"), (27, 28, "d"), (28, 42, "n"), (42, 43, "d"), (43, 44, "d"))


@dataclass(eq=False)
class MrzReading:
    """What the scanner read from a data page: `mrz` when every check digit matched, else
    `failure` = `not_found` | `check_digit` (with `field`, the first one that failed)."""

    mrz: MrzData | None
    failure: str | None = None
    field: str | None = None
    ms: float = 0.0
    candidates: int = 0  # MRZ-like lines seen (for diagnostics; no text)

    @property
    def ok(self) -> bool:
        return self.mrz is not None and self.failure is None

    def key(self) -> MrzKey:
        """The BAC key input of a good reading."""
        if not self.ok or self.mrz is None:
            raise MrzError(f"no MRZ key from a failed reading ({self.failure})")
        return MrzKey(self.mrz.document_number, self.mrz.birth_date, self.mrz.expiry_date)

    def wipe(self) -> None:
        self.mrz = None

    def __repr__(self) -> str:
        return (f"MrzReading(ok={self.ok}, failure={self.failure!r}, field={self.field!r}, "
                f"ms={self.ms:.0f}, candidates={self.candidates})")

    __str__ = __repr__


def _clean(text: str) -> str:
    return re.sub(r"\s+", "", text.upper().translate(_OCR_CHARS))


def _mrz_like(text: str) -> bool:
    if len(text) < 20:
        return False
    good = sum(1 for c in text if c.isascii() and (c.isalnum() or c == "<"))
    return good >= 0.9 * len(text) and ("<" in text or sum(c.isdigit() for c in text) >= 10)


def _rows(lines: list[Any]) -> list[str]:
    """OCR boxes joined into rows (boxes whose vertical centres are within half a line height),
    top to bottom; plain strings are rows already."""
    if all(isinstance(ln, str) for ln in lines):
        return [_clean(s) for s in lines]
    boxes = sorted(lines, key=lambda ln: (ln.y + ln.bottom) / 2)
    rows: list[list[Any]] = []
    for ln in boxes:
        centre = (ln.y + ln.bottom) / 2
        if rows:
            last = rows[-1][-1]
            if abs(centre - (last.y + last.bottom) / 2) < max(6.0, 0.5 * max(ln.height, last.height)):
                rows[-1].append(ln)
                continue
        rows.append([ln])
    return [_clean("".join(b.text for b in sorted(row, key=lambda b: b.x))) for row in rows]


def _fillers(text: str) -> str:
    """`K`/`X`/... read for `<` where they sit among fillers (a `<` on both sides, or a `<` on one
    side and the line's end on the other) become `<`, repeatedly."""
    chars = list(text)
    changed = True
    while changed:
        changed = False
        for i, c in enumerate(chars):
            if c in FILLER_LOOKALIKES and c != "<":
                left = chars[i - 1] if i > 0 else None
                right = chars[i + 1] if i + 1 < len(chars) else None
                if (left == "<" and right in ("<", None)) or (right == "<" and left == "<"):
                    chars[i] = "<"
                    changed = True
    return "".join(chars)


def _fit(text: str, *, pad_right: bool) -> str | None:
    """`text` made 44 long: line 1 is padded or cut at the right (its tail is name fillers); line 2
    has its longest `<` run lengthened or shortened (OCR drops or adds fillers in long runs)."""
    if len(text) == LINE:
        return text
    if pad_right:
        return text.ljust(LINE, "<")[:LINE] if len(text) >= 10 else None
    runs = [(m.start(), m.end()) for m in re.finditer(r"<{2,}", text)]
    if not runs or abs(len(text) - LINE) > 8:
        return None
    start, end = max(runs, key=lambda r: r[1] - r[0])
    length = end - start + (LINE - len(text))
    if length < 1:
        return None
    return text[:start] + "<" * length + text[end:]


def _line1(text: str) -> str:
    text = _fillers(text)
    head = text[:5]
    # document code, issuing state: letters (and `<`)
    head = head[0].translate(TO_LETTER) + head[1:].translate(TO_LETTER)
    names = text[5:].translate(TO_LETTER)
    return head + names


def _line2(text: str) -> str:
    text = _fillers(text)
    out = []
    for start, end, kind in LINE2_FIELDS:
        part = text[start:end]
        if kind == "d":
            part = part.translate(TO_DIGIT)
        elif kind == "a":
            part = part.translate(TO_LETTER)
        elif kind == "s":
            part = {"H": "M", "N": "M", "E": "F", "P": "F", "K": "<"}.get(part, part)
        out.append(part)
    return "".join(out)


def _checks_pass(l2: str) -> bool:
    try:
        return (check_digit(l2[0:9]) == l2[9] and check_digit(l2[13:19]) == l2[19]
                and check_digit(l2[21:27]) == l2[27]
                and (l2[28:43].strip("<0") == "" if l2[28:42].strip("<") == "" else check_digit(l2[28:42]) == l2[42])
                and check_digit(l2[0:10] + l2[13:20] + l2[21:43]) == l2[43])
    except MrzError:
        return False


def _swap_fields(line2: str) -> str:
    """Line 2 with the fewest ambiguous-character swaps (0/O, 1/I, 2/Z, 5/S, 8/B) in its
    alphanumeric fields (document number, optional data) that make EVERY check digit match, the
    composite included (a field's own digit alone is matched by chance one time in ten). Only a
    repair that is the ONLY one of its size is taken: in the document number the composite adds
    nothing (same weights), so two fitting repairs are common and neither is trusted; line 2 is
    then returned unchanged and fails its check (the person is asked to lay the page again)."""
    if _checks_pass(line2):
        return line2
    spots = [i for i in (*range(0, 9), *range(28, 42)) if line2[i] in SWAPS]
    for n in range(1, min(MAX_SWAPS, len(spots)) + 1):
        found = set()
        for chosen in itertools.combinations(spots, n):
            trial = list(line2)
            for i in chosen:
                trial[i] = SWAPS[trial[i]]
            candidate = "".join(trial)
            if _checks_pass(candidate):
                found.add(candidate)
        if len(found) == 1:
            return found.pop()
        if found:  # two repairs fit every digit: guessing would open the chip with a wrong key
            return line2
    return line2


def _pairs(rows: list[str]) -> list[tuple[str | None, str]]:
    """(line 1 or None, line 2) candidates, bottom first. Line 2 alone carries everything BAC
    needs and every check digit; line 1 (names) is often cut short by the OCR in its filler run,
    or lost, and is then taken as unknown (the chip's DG1 has the names)."""
    like = [r for r in rows if _mrz_like(r)]
    out: list[tuple[str | None, str]] = []
    for i in range(len(like) - 1, -1, -1):
        row = like[i]
        if row.startswith("P") and not any(c.isdigit() for c in row[5:13]):
            continue  # a line 1
        if abs(len(row) - LINE) > 8:
            continue
        above = like[i - 1] if i > 0 else None
        out.append((above if above is not None and above[:1] in "P" else None, row))
    return out


def mrz_from_lines(lines: list[Any], ms: float = 0.0) -> MrzReading:
    """The MRZ in OCR text lines (`OcrLine`s or strings), repaired and verified (module doc)."""
    rows = _rows(lines)
    candidates = sum(1 for r in rows if _mrz_like(r))
    best: MrzReading | None = None
    for raw1, raw2 in _pairs(rows):
        l2 = _fit(_fillers(raw2), pad_right=False)
        if l2 is None:
            continue
        l2 = _swap_fields(_line2(l2))
        l1 = _fit(_fillers(raw1), pad_right=True) if raw1 is not None else None
        l1 = _line1(l1) if l1 is not None else ("P<" + l2[10:13].translate(TO_LETTER)).ljust(LINE, "<")
        try:
            data = parse_mrz(l1 + l2)
        except MrzError:
            continue
        if data.all_checks_ok:
            return MrzReading(data, ms=ms, candidates=candidates)
        failed = next(f for f in FIELD_ORDER if not data.checks.get(f, True))
        if best is None:
            best = MrzReading(None, "check_digit", failed, ms=ms, candidates=candidates)
    return best or MrzReading(None, "not_found", ms=ms, candidates=candidates)


def read_mrz(image: Any) -> MrzReading:
    """The MRZ of a passport data page image (numpy BGR, upright): the lower `MRZ_STRIP` of the
    image first, the whole image when no MRZ is there. Raises `OcrUnavailable` without the engine."""
    from kiosk.devices.scanner.ocr import read_lines

    t0 = time.perf_counter()
    height = image.shape[0]
    strip = image[int(height * (1 - MRZ_STRIP)):]
    lines, _ms = read_lines(strip)
    reading = mrz_from_lines(lines)
    if reading.failure == "not_found":
        lines, _ms = read_lines(image)
        reading = mrz_from_lines(lines)
    reading.ms = (time.perf_counter() - t0) * 1000.0
    return reading
