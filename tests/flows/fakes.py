"""Small in-memory fakes of the device INTERFACES (and the cabinet port) for flow tests.

Each fake is a real `Device` subclass of its interface: commands are real `Command`s that the
test completes by hand (`complete_next`, `insert`, ...) or that complete at once when a result
was queued beforehand (`queue`). Nothing here sleeps or starts threads.
"""

from __future__ import annotations

from collections import deque
from datetime import date
from typing import Any

from kiosk.devices.base import Command, Completion, DeviceStatus, ResultCode
from kiosk.devices.cabinet import Cabinet
from kiosk.devices.camera import Camera, Frame
from kiosk.devices.docprinter import DocumentPrinter, PrintedJob, PrintFailure
from kiosk.devices.face import Decision, FaceVerdict, FaceVerifier
from kiosk.devices.idreader import IdentityRecord, IdReader
from kiosk.devices.printer import ReceiptPrinter
from kiosk.devices.scanner import Code, DocumentScanner, PageResult
from kiosk.flows.ports import Compartment


class _Scripted:
    """Commands complete from a queue of completions (at once when queued, or later by hand)."""

    def _init_script(self) -> None:
        self.queued: deque[Completion[Any]] = deque()
        self.running: list[Command[Any]] = []
        self.calls: list[tuple[str, Any]] = []

    def queue(self, *completions: Completion[Any]) -> None:
        self.queued.extend(completions)

    def _command(self, name: str, arg: Any = None) -> Command[Any]:
        self.calls.append((name, arg))
        cmd: Command[Any] = Command(name)
        if self.queued:
            cmd.complete(self.queued.popleft())
        else:
            self.running.append(cmd)
        return cmd

    def complete_next(self, completion: Completion[Any]) -> bool:
        while self.running:
            cmd = self.running.pop(0)
            if not cmd.done():
                return cmd.complete(completion)
        return False

    def live(self) -> list[Command[Any]]:
        return [c for c in self.running if not c.done() and not c.cancel_requested.is_set()]


_PHOTO: dict[str, bytes] = {}


def card_photo(key: str) -> bytes:
    """A small real JPEG (what a decoded card photo is), made once per identity."""
    if key not in _PHOTO:
        import io

        from PIL import Image

        buf = io.BytesIO()
        Image.new("RGB", (102, 126), (120, 100 + len(key), 90)).save(buf, "JPEG")
        _PHOTO[key] = buf.getvalue()
    return _PHOTO[key]


def identity(key: str = "obama", today_valid: bool = True) -> IdentityRecord:
    """An IdentityRecord from a shared sample identity (as the SAM reader would return it)."""
    from hw_sim.identities import get_identity

    s = get_identity(key)
    return IdentityRecord(doc_type="cn_resident_id", name=s.name_zh, sex="M" if s.sex == "1" else "F",
                          birth_date=s.birth_date, _id_number=s.id_number,
                          id_number_valid=key != "bad_check_digit", address=s.address, issuer=s.issuer,
                          valid_from=s.valid_from, valid_to=s.valid_to, long_term=s.valid_to is None,
                          photo=card_photo(key), photo_format="jpeg")


class FakeReader(_Scripted, IdReader):
    def __init__(self) -> None:
        IdReader.__init__(self, "id_reader")
        self._init_script()
        self.set_status(DeviceStatus.ONLINE, card="absent")

    def read(self, mrz: Any = None, timeout: float = 30.0) -> Command[IdentityRecord]:
        return self._command("read", timeout)

    def insert(self, record: IdentityRecord) -> bool:
        return self.complete_next(Completion.success(record))


class FakePassportReader(_Scripted, IdReader):
    """A pcsc:// passport reader in memory: `read(mrz=...)` waits for a passport; `insert(key)`
    lays sample identity `key`'s passport on it, and the chip answers each waiting read as the
    real chip does: its record only for the BAC key of THIS passport, else `user_error` saying
    Basic Access Control was refused (the flow then asks for the data page again)."""

    def __init__(self) -> None:
        IdReader.__init__(self, "passport_reader")
        self._init_script()
        self.capabilities = frozenset({"photo", "needs_mrz"})
        self._keys: dict[int, Any] = {}
        self.set_status(DeviceStatus.ONLINE, card="absent")

    def read(self, mrz: Any = None, timeout: float = 30.0) -> Command[IdentityRecord]:
        cmd = self._command("read", timeout)
        self._keys[id(cmd)] = mrz
        return cmd

    def insert(self, key: str) -> bool:
        from hw_sim.identities import get_identity
        from hw_sim.station.instant import passport_record

        s = get_identity(key)
        for cmd in self.live():
            mrz = self._keys.pop(id(cmd), None)
            if mrz is None:
                answer: Completion[Any] = Completion(ResultCode.USER_ERROR, "this document needs its MRZ data for BAC")
            elif (mrz.document_number, mrz.birth_date, mrz.expiry_date) != (s.passport_number, s.mrz_birth,
                                                                            s.mrz_expiry):
                answer = Completion(ResultCode.USER_ERROR, "the document refused Basic Access Control (6300): "
                                                           "the MRZ data does not match this document")
            else:
                answer = Completion.success(passport_record(key))
            self.running.remove(cmd)
            return cmd.complete(answer)
        return False


class FakeCamera(_Scripted, Camera):
    def __init__(self) -> None:
        Camera.__init__(self, "camera")
        self._init_script()
        self.started = 0
        self.stopped = 0
        self.set_status(DeviceStatus.ONLINE)

    def start(self) -> None:
        self.started += 1

    def stop(self) -> None:
        self.stopped += 1

    @property
    def active(self) -> bool:
        return self.started > self.stopped

    def latest_frame(self) -> Frame | None:
        return None

    def grab(self, timeout: float = 2.0) -> Command[Frame]:
        cmd = self._command("grab", timeout)
        if not cmd.done():
            import numpy as np

            cmd.complete(Completion.success(Frame(np.zeros((48, 64, 3), np.uint8), 0.0, 1)))
        return cmd


class FakeFace(_Scripted, FaceVerifier):
    def __init__(self) -> None:
        FaceVerifier.__init__(self, "face")
        self._init_script()
        self.set_status(DeviceStatus.ONLINE)

    def compare(self, reference: Any, live: Any) -> FaceVerdict:
        raise NotImplementedError

    def verify(self, reference: Any, camera: Any, timeout: float = 20.0) -> Command[FaceVerdict]:
        return self._command("verify", reference)

    def match(self) -> bool:
        return self.complete_next(Completion.success(FaceVerdict(Decision.MATCH, 0.9, 1)))

    def no_match(self) -> bool:
        return self.complete_next(Completion.success(FaceVerdict(Decision.NO_MATCH, 0.1, 1)))

    def spoof(self) -> bool:
        return self.complete_next(Completion(ResultCode.FRAUD_ATTEMPT, "screen replay detected",
                                             FaceVerdict(Decision.NO_MATCH, None, 1, "spoof")))


def page_image(width: int = 210, height: int = 297) -> Any:
    """A small upright page as the scanner delivers it: white paper with dark text lines (BGR)."""
    import numpy as np

    img = np.full((height, width, 3), 245, np.uint8)
    for y in range(30, height - 30, 18):
        img[y:y + 6, 20:width - 20 - (y % 50)] = 30
    return img


class FakeScanner(_Scripted, DocumentScanner):
    def __init__(self) -> None:
        DocumentScanner.__init__(self, "scanner")
        self._init_script()
        self.readings: deque[Any] = deque()  # DocumentReading or Completion, for read_document
        self.set_status(DeviceStatus.ONLINE)

    def analyse(self, image: Any, flatbed: bool = False, read_codes: bool = False) -> PageResult:
        raise NotImplementedError

    def capture(self, timeout: float = 60.0) -> Command[PageResult]:
        return self._command("capture", timeout)

    def scan_code(self, timeout: float = 60.0) -> Command[PageResult]:
        return self._command("scan_code", timeout)

    def read_codes(self, image: Any) -> list[Code]:
        return []

    def read_document(self, page: Any) -> Command[Any]:
        """Completes at once: the next queued reading (`readings`), else an unread page."""
        from kiosk.devices.scanner.doc_kinds import DocumentReading

        reading = self.readings.popleft() if self.readings else DocumentReading("unknown", 0.0, rule="fake: not read")
        cmd: Command[Any] = Command("read_document")
        cmd.complete(reading if isinstance(reading, Completion) else Completion.success(reading))
        return cmd

    def page(self, ok: bool = True, problems: tuple[str, ...] = ()) -> bool:
        """Complete the capture with a corrected page image, as the real scanner does (numpy BGR)."""
        return self.complete_next(Completion.success(PageResult(True, None, ok, list(problems),
                                                                page=page_image() if ok else None)))

    def code(self, text: str, kind: str = "QRCODE") -> bool:
        return self.complete_next(Completion.success(PageResult(True, None, True, [], page=None,
                                                                codes=[Code(kind, text)])))

    def read_mrz(self, timeout: float = 60.0) -> Command[Any]:
        return self._command("read_mrz", timeout)

    def mrz(self, key: str, damage: str = "none") -> bool:
        """Complete the MRZ reading with the data page of sample identity `key`'s passport: the
        real `mrz_from_lines` (repair + every check digit) on its printed lines, without OCR."""
        from hw_sim.passport_page import passport_mrz
        from kiosk.devices.scanner.mrz_read import mrz_from_lines

        text = passport_mrz(key, damage)
        return self.complete_next(Completion.success(mrz_from_lines([text[:44], text[44:]])))


class FakePrinter(_Scripted, ReceiptPrinter):
    def __init__(self) -> None:
        ReceiptPrinter.__init__(self, "printer")
        self._init_script()
        self.printed: list[tuple[str, dict[str, Any]]] = []
        self.set_status(DeviceStatus.ONLINE, paper="ok")

    def print_document(self, kind: str, data: dict[str, Any], lang: str = "zh") -> Command[None]:
        if self.class_status.get("paper") == "out":
            cmd: Command[None] = Command("print")
            cmd.complete(Completion(ResultCode.DEVICE_NOT_READY, "paper out"))
            return cmd
        if not self.queued:
            self.queued.append(Completion.success(None))
        cmd = self._command("print", kind)
        if cmd.done() and cmd.result(0).ok:
            self.printed.append((kind, data))
        return cmd


class FakeDocPrinter(_Scripted, DocumentPrinter):
    """The A4 printer interface in memory: `print_pdf` checks it was given a PDF, then completes
    from the queue (or stays running until `complete_next`). `auto=True` prints at once, counting
    the PDF's pages as a printer would."""

    def __init__(self, auto: bool = True) -> None:
        DocumentPrinter.__init__(self, "docprinter")
        self._init_script()
        self.auto = auto
        self.printed: list[tuple[str, int]] = []
        self.set_status(DeviceStatus.ONLINE, paper="ok", toner="ok")

    def print_pdf(self, pdf: bytes, title: str, timeout: float = 120.0) -> Command[PrintedJob]:
        from kiosk.services.material_pdf import inspect_pdf

        pages = inspect_pdf(pdf).pages  # raises on anything that is not a PDF: the test fails
        paper = self.class_status.get("paper")
        if paper in ("out", "jammed"):  # as the real backends: state read before sending
            self.calls.append(("refused", title))
            cmd: Command[PrintedJob] = Command("print_pdf")
            cmd.complete(Completion(ResultCode.DEVICE_NOT_READY, f"paper {paper}",
                                    PrintFailure("paper_out" if paper == "out" else "jammed", f"paper {paper}")))
            return cmd
        if self.auto and not self.queued:
            self.queued.append(Completion.success(PrintedJob(str(len(self.printed) + 1), pages, pages)))
        cmd = self._command("print_pdf", title)
        if cmd.done() and cmd.result(0).ok:
            self.printed.append((title, pages))
        return cmd

    def check_status(self) -> Command[dict]:
        cmd: Command[dict] = Command("check_status")
        cmd.complete(Completion.success(self.snapshot()))
        return cmd


class FakeCabinetDevice(Cabinet):
    def __init__(self) -> None:
        Cabinet.__init__(self, "cabinet")
        self.set_status(DeviceStatus.ONLINE)


class FakeCabinetPort:
    """The cabinet port in memory: compartments, reservations, doors; opens complete at once
    (success unless the compartment is listed in `jammed`)."""

    def __init__(self, layout: dict[str, str] | None = None) -> None:
        layout = layout or {"A01": "S", "A02": "S", "A03": "M", "A04": "M", "A05": "L"}
        self.comps: dict[str, dict[str, Any]] = {}
        for n, (cid, size) in enumerate(layout.items(), start=1):
            self.comps[cid] = {"board": 1, "lock": n, "size": size, "state": "empty", "content": None,
                               "door": "closed"}
        self.jammed: set[str] = set()
        self.opens: list[tuple[str, str, str]] = []
        self.auths: set[str] = set()
        self.offline = False
        self.flags: dict[str, str] = {}

    def flag(self, cid: str, why: str) -> None:
        self.flags[cid] = why

    def _c(self, cid: str) -> Compartment:
        c = self.comps[cid]
        return Compartment(cid, c["board"], c["lock"], c["size"], c["state"], c["content"])

    def compartments(self) -> list[Compartment]:
        return [self._c(cid) for cid in self.comps]

    def get(self, cid: str) -> Compartment | None:
        return self._c(cid) if cid in self.comps else None

    def reserve(self, size: str, case_no: str, purpose: str) -> Compartment | None:
        for cid, c in self.comps.items():
            if c["size"] == size and c["state"] == "empty":
                c["state"], c["content"] = "reserved", case_no
                return self._c(cid)
        return None

    def open(self, cid: str, reason: str, actor: str, auth_id: str | None = None) -> Command[str]:
        self.opens.append((cid, reason, actor))
        if reason in ("pickup", "retrieve"):
            assert auth_id and auth_id not in self.auths, "a pickup authorisation opens at most once"
            self.auths.add(auth_id)
        cmd: Command[str] = Command("release")
        if self.offline:
            cmd.complete(Completion(ResultCode.HARDWARE_ERROR, "no_reply"))
        elif cid in self.jammed:
            cmd.complete(Completion(ResultCode.HARDWARE_ERROR, "not_opened"))
        else:
            self.comps[cid]["door"] = "open"
            cmd.complete(Completion.success("opened"))
        return cmd

    def door(self, cid: str) -> str:
        return self.comps[cid]["door"]

    def close_door(self, cid: str) -> None:
        self.comps[cid]["door"] = "closed"

    def loaded(self, cid: str, case_no: str) -> None:
        self.comps[cid]["state"], self.comps[cid]["content"] = "loaded", case_no

    def emptied(self, cid: str) -> None:
        self.comps[cid]["state"], self.comps[cid]["content"] = "empty", None

    def release_reservation(self, cid: str) -> None:
        if self.comps[cid]["state"] == "reserved":
            self.comps[cid]["state"], self.comps[cid]["content"] = "empty", None

    def holding(self, case_no: str) -> Compartment | None:
        for cid, c in self.comps.items():
            if c["content"] == case_no:
                return self._c(cid)
        return None

    def by_lock(self, board: int, lock: int) -> Compartment | None:
        for cid, c in self.comps.items():
            if (c["board"], c["lock"]) == (board, lock):
                return self._c(cid)
        return None

    def bus_scan(self) -> dict[str, Any]:
        return {"boards": [{"address": 1, "found": not self.offline, "detail": ""}],
                "map_problems": [] if not self.offline else ["board 1 does not answer"],
                "compartments": len(self.comps)}


TODAY = date(2026, 11, 22)
