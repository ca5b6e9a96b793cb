"""Instant in-memory devices for measuring the station's own overhead (`bench/scenarios.py`,
`kiosk scenario NAME --instant`).

Each class implements its device INTERFACE and answers at once: the card the scenario puts on
the reader, a face verdict from who stands at the camera (the card holder's person = match, a
printed photo or screen = fraud_attempt, someone else = no_match), a good page or the codes of
the page on the document camera, a printer that validates the receipt data (the real receipt
models) and knows its paper, a cabinet whose doors open and close with events. Everything above
them is real: Station, flows, services (SQLite), the cabinet service and the simulated back
office. `InstantControls` takes the same control calls the scenarios make on the simulators.
"""

from __future__ import annotations

import io
import threading
from collections import deque
from functools import lru_cache
from pathlib import Path
from typing import Any

from hw_sim.identities import get_identity
from kiosk.devices.base import Command, Completion, DeviceStatus, ResultCode
from kiosk.devices.cabinet import Cabinet
from kiosk.devices.camera import Camera, Frame
from kiosk.devices.face import Decision, FaceVerdict, FaceVerifier
from kiosk.devices.idreader import IdentityRecord, IdReader
from kiosk.devices.printer import ReceiptPrinter
from kiosk.devices.scanner import Code, DocumentScanner, PageResult
from kiosk.flows.base import Devices
from hw_sim.station.setups import Setups

PRINTED_KEPT = 100  # receipts a long run (bench, soak) keeps for inspection; older ones are forgotten
ATTACKS = ("printed_photo", "phone_screen", "spoof_sample_f1", "spoof_sample_f2")


def _done(cmd_name: str, completion: Completion[Any]) -> Command[Any]:
    cmd: Command[Any] = Command(cmd_name)
    cmd.complete(completion)
    return cmd


@lru_cache(maxsize=1)
def _page_image() -> Any:
    """A corrected page as the real scanner delivers it (numpy BGR, A4 proportions): the apply
    flow packs it into the material's PDF, and the back office refuses anything else."""
    import numpy as np

    img = np.full((297, 210, 3), 245, np.uint8)
    img[30:267:18, 20:190] = 30
    return img


@lru_cache(maxsize=32)
def _photo(person: str) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (102, 126), (100 + len(person) * 7 % 100, 110, 120)).save(buf, "JPEG")
    return buf.getvalue()


def identity_record(key: str) -> IdentityRecord:
    s = get_identity(key)
    from kiosk.devices.idreader.cn_id import id_number_valid  # the reader's own check

    valid = id_number_valid(s.id_number)
    return IdentityRecord(doc_type="cn_resident_id", name=s.name_zh, sex={"1": "M", "2": "F"}.get(s.sex, "X"),
                          birth_date=s.birth_date, _id_number=s.id_number, id_number_valid=valid,
                          address=s.address, issuer=s.issuer, valid_from=s.valid_from, valid_to=s.valid_to,
                          long_term=s.valid_to is None, photo=_photo(s.person), photo_format="jpeg",
                          extra={"person": s.person})


class InstantReader(IdReader):
    def __init__(self) -> None:
        super().__init__("id_reader")
        self.card: str | None = None
        self._waiting: list[Command[Any]] = []
        self.set_status(DeviceStatus.ONLINE, card="absent")

    def read(self, mrz: Any = None, timeout: float = 30.0) -> Command[IdentityRecord]:
        if self.card is not None:
            return _done("read", Completion.success(identity_record(self.card)))
        cmd: Command[IdentityRecord] = Command("read")
        self._waiting.append(cmd)
        return cmd

    def insert(self, key: str) -> None:
        self.card = key
        self.set_status(DeviceStatus.ONLINE, card="present")
        waiting, self._waiting = self._waiting, []
        for cmd in waiting:
            if not cmd.done() and not cmd.cancel_requested.is_set():
                cmd.complete(Completion.success(identity_record(key)))
                self.card = None  # read once: the person takes the card back

    def remove(self) -> None:
        self.card = None
        self.set_status(DeviceStatus.ONLINE, card="absent")


def passport_record(key: str) -> IdentityRecord:
    """What the chip of a sample identity's passport holds (DG1 data, DG2 photo)."""
    s = get_identity(key)
    return IdentityRecord(doc_type="passport", name=f"{s.surname_latin or ''} {s.given_names_latin or ''}".strip(),
                          sex={"1": "M", "2": "F"}.get(s.sex, "X"), birth_date=s.birth_date,
                          _id_number=s.passport_number, nationality=s.nationality, issuer=s.nationality,
                          valid_to=s.passport_expiry, photo=_photo(s.person), photo_format="jpeg",
                          extra={"person": s.person, "mrz_format": "TD3", "document_code": "P"})


class InstantPassportReader(IdReader):
    """A pcsc:// passport reader: the chip opens only for the BAC key of the passport on it
    (the same check the virtual chip makes), else `user_error` as the real driver says it."""

    def __init__(self) -> None:
        super().__init__("passport_reader")
        self.capabilities = frozenset({"photo", "needs_mrz"})
        self.passport: str | None = None
        self._waiting: list[tuple[Command[Any], Any]] = []
        self.set_status(DeviceStatus.ONLINE, card="absent")

    def _answer(self, key: str, mrz: Any) -> Completion[Any]:
        s = get_identity(key)
        if mrz is None:
            return Completion(ResultCode.USER_ERROR, "this document needs its MRZ data for BAC")
        if (mrz.document_number, mrz.birth_date, mrz.expiry_date) != (s.passport_number, s.mrz_birth, s.mrz_expiry):
            return Completion(ResultCode.USER_ERROR, "the document refused Basic Access Control (6300): "
                                                     "the MRZ data does not match this document")
        return Completion.success(passport_record(key))

    def read(self, mrz: Any = None, timeout: float = 30.0) -> Command[IdentityRecord]:
        if self.passport is not None:
            return _done("read", self._answer(self.passport, mrz))
        cmd: Command[IdentityRecord] = Command("read")
        self._waiting.append((cmd, mrz))
        return cmd

    def insert(self, key: str) -> None:
        self.passport = key
        self.set_status(DeviceStatus.ONLINE, card="present")
        waiting, self._waiting = self._waiting, []
        for cmd, mrz in waiting:
            if not cmd.done() and not cmd.cancel_requested.is_set():
                cmd.complete(self._answer(key, mrz))

    def remove(self) -> None:
        self.passport = None
        self.set_status(DeviceStatus.ONLINE, card="absent")


class InstantCamera(Camera):
    def __init__(self) -> None:
        super().__init__("camera")
        self.person = "obama"
        self.source = "holder"
        self.running = False
        self.set_status(DeviceStatus.ONLINE)

    def start(self) -> None:
        self.running = True

    def stop(self) -> None:
        self.running = False

    def latest_frame(self) -> Frame | None:
        return None

    def grab(self, timeout: float = 2.0) -> Command[Frame]:
        import numpy as np

        return _done("grab", Completion.success(Frame(np.zeros((120, 160, 3), np.uint8), 0.0, 1)))


class InstantFace(FaceVerifier):
    def __init__(self, camera: InstantCamera) -> None:
        super().__init__("face")
        self.camera = camera
        self.holder_person: str | None = None
        self.set_status(DeviceStatus.ONLINE)

    def compare(self, reference: Any, live: Any) -> FaceVerdict:
        raise NotImplementedError

    def verify(self, reference: Any, camera: Any, timeout: float = 20.0) -> Command[FaceVerdict]:
        source, person = self.camera.source, get_identity(self.camera.person).person
        if source in ATTACKS:
            return _done("verify", Completion(ResultCode.FRAUD_ATTEMPT, f"{source}: presentation attack",
                                              FaceVerdict(Decision.NO_MATCH, None, 1, "spoof")))
        if source in ("nobody", "two_people", "partial_face"):
            return _done("verify", Completion.success(FaceVerdict(Decision.RETRY, None, 0, source)))
        same = source == "holder" and person == self.holder_person
        return _done("verify", Completion.success(FaceVerdict(Decision.MATCH if same else Decision.NO_MATCH,
                                                              0.8 if same else 0.1, 1)))


class InstantScanner(DocumentScanner):
    def __init__(self) -> None:
        super().__init__("scanner")
        self.sees: PageResult | None = None
        self._waiting: list[Command[Any]] = []
        self.mrz_text: str | None = None  # the MRZ printed on the passport page shown
        self._mrz_waiting: list[Command[Any]] = []
        self.set_status(DeviceStatus.ONLINE)

    def analyse(self, image: Any, flatbed: bool = False, read_codes: bool = False) -> PageResult:
        raise NotImplementedError

    def read_codes(self, image: Any) -> list[Code]:
        return []

    def read_document(self, page: Any) -> Command[Any]:
        from kiosk.devices.scanner.doc_kinds import DocumentReading

        # instant means instant: no OCR here (bench/ocr.py measures it); the page goes unread
        return _done("read_document", Completion.success(DocumentReading("unknown", 0.0, rule="instant: not read")))

    def read_mrz(self, timeout: float = 60.0) -> Command[Any]:
        """The printed MRZ of the passport shown (`show_passport`), repaired and verified by the
        real `mrz_read` code without OCR (instant means instant; tests/documents runs the OCR)."""
        from kiosk.devices.scanner.mrz_read import mrz_from_lines

        if self.mrz_text is not None:
            return _done("read_mrz", Completion.success(mrz_from_lines([self.mrz_text[:44], self.mrz_text[44:]])))
        cmd: Command[Any] = Command("read_mrz")
        self._mrz_waiting.append(cmd)
        return cmd

    def show_mrz(self, text: str | None) -> None:
        self.mrz_text = text
        if text is None:
            return
        waiting, self._mrz_waiting = self._mrz_waiting, []
        for cmd in waiting:
            if not cmd.done() and not cmd.cancel_requested.is_set():
                cmd.complete(Completion.success(self.read_mrz().result(0).data))

    def capture(self, timeout: float = 60.0) -> Command[PageResult]:
        if self.sees is not None:
            return _done("capture", Completion.success(self.sees))
        cmd: Command[PageResult] = Command("capture")
        self._waiting.append(cmd)
        return cmd

    def scan_code(self, timeout: float = 60.0) -> Command[PageResult]:
        if self.sees is not None and self.sees.codes:
            return _done("scan_code", Completion.success(self.sees))
        cmd: Command[PageResult] = Command("scan_code")
        self._waiting.append(cmd)
        return cmd

    def show(self, page: PageResult | None) -> None:
        self.sees = page
        if page is None:
            return
        waiting, self._waiting = self._waiting, []
        for cmd in waiting:
            if not cmd.done() and not cmd.cancel_requested.is_set():
                cmd.complete(Completion.success(page))


class InstantPrinter(ReceiptPrinter):
    def __init__(self) -> None:
        super().__init__("printer")
        self.printed: deque[tuple[str, dict[str, Any]]] = deque(maxlen=PRINTED_KEPT)  # the latest only
        self.set_status(DeviceStatus.ONLINE, paper="ok")

    def print_document(self, kind: str, data: dict[str, Any], lang: str = "zh") -> Command[None]:
        from kiosk.devices.printer.receipts import ReceiptDataError, parse_receipt

        if self.class_status.get("paper") in ("out", "jammed") or self.status is not DeviceStatus.ONLINE:
            return _done("print", Completion(ResultCode.DEVICE_NOT_READY, f"paper {self.class_status.get('paper')}"))
        try:
            parse_receipt(kind, data)
        except (ReceiptDataError, ValueError) as exc:
            return _done("print", Completion(ResultCode.INVALID_DATA, str(exc)))
        self.printed.append((kind, data))
        return _done("print", Completion.success(None))


class InstantCabinet(Cabinet):
    def __init__(self, config: Any) -> None:
        super().__init__("cabinet")
        self.config = config
        self._doors = {(c.board, c.lock): "closed" for c in config.compartments}
        self.jammed: set[tuple[int, int]] = set()
        self.offline: set[int] = set()
        self._lock = threading.Lock()
        self.set_status(DeviceStatus.ONLINE, bus="ok")

    def release(self, board: int, lock: int) -> Command[str]:
        if board in self.offline:
            return _done("release", Completion(ResultCode.HARDWARE_ERROR, "board does not answer", "no_reply"))
        if (board, lock) in self.jammed:
            return _done("release", Completion(ResultCode.HARDWARE_ERROR, "lock did not release", "not_opened"))
        with self._lock:
            was = self._doors.get((board, lock))
            self._doors[(board, lock)] = "open"
        if was != "open":
            self.emit("door_opened", board=board, lock=lock, detail="")
        return _done("release", Completion.success("already_open" if was == "open" else "opened"))

    def door_state(self, board: int, lock: int) -> str:
        return "unknown" if board in self.offline else self._doors.get((board, lock), "unknown")

    def doors(self) -> dict[tuple[int, int], str]:
        return {k: ("unknown" if k[0] in self.offline else v) for k, v in self._doors.items()}

    def boards(self) -> list[dict[str, Any]]:
        return [{"board": b.address, "state": "unknown" if b.address in self.offline else "ok", "failures": 0,
                 "last_error": "no reply" if b.address in self.offline else None} for b in self.config.boards]

    def refresh(self) -> Command[dict]:
        return _done("refresh", Completion.success(self.doors()))

    def close_door(self, board: int, lock: int) -> None:
        with self._lock:
            was = self._doors.get((board, lock))
            self._doors[(board, lock)] = "closed"
        if was != "closed":
            self.emit("door_closed", board=board, lock=lock, detail="")

    def set_board_offline(self, board: int, offline: bool = True) -> None:
        (self.offline.add if offline else self.offline.discard)(board)
        self.set_status(DeviceStatus.HARDWARE_ERROR if self.offline else DeviceStatus.ONLINE,
                        "board(s) not answering" if self.offline else "all boards answer")


class InstantControls(Setups):
    """The simulators' control calls, answered by the instant devices (same names and args)."""

    def __init__(self, devices: Devices, backoffice: Any) -> None:
        self.d = devices
        self.backoffice = backoffice

    def call(self, device: str, cmd: str, **args: Any) -> Any:
        d = self.d
        if device == "backoffice":
            return self.backoffice.handle(cmd, args)
        if device == "id_reader" and cmd == "insert":
            d.face.holder_person = get_identity(args.get("identity", "obama")).person
            return d.id_reader.insert(args.get("identity", "obama"))
        if device == "id_reader" and cmd == "remove":
            return d.id_reader.remove()
        if device == "passport_reader" and cmd == "insert":
            d.face.holder_person = get_identity(args.get("identity", "obama")).person
            return d.passport_reader.insert(args.get("identity", "obama"))
        if device == "passport_reader" and cmd == "remove":
            return d.passport_reader.remove()
        if device == "document_camera" and cmd == "show_passport":
            from hw_sim.passport_page import passport_mrz

            damage = _damage(args)
            printed = passport_mrz(args.get("identity", "obama"), damage)
            d.scanner.show_mrz(printed[:44] + "~" * 44 if damage == "smudge" else printed)
            return None
        if device == "camera" and cmd == "set_person":
            d.camera.person = args["identity"]
            return None
        if device == "camera" and cmd == "show":
            d.camera.source = args["source"]
            return None
        if device == "document_camera" and cmd == "show":
            d.scanner.show_mrz(None)
            return self.good_page() if args["source"] == "page_good" else self.no_page()
        if device == "document_camera" and cmd == "show_payment_code":
            from hw_sim.documents import random_payment_code

            code = args.get("code") or random_payment_code()
            self.d.scanner.show(PageResult(False, None, False, [], codes=[Code("QRCODE", code, "instant")]))
            return {"code": code}
        if device == "printer" and cmd == "set_paper":
            d.printer.set_status(d.printer.status, paper=args["state"])
            return None
        if device == "printer" and cmd in ("jam", "offline"):
            on = args.get("on", True)
            if cmd == "jam":
                d.printer.set_status(d.printer.status, paper="jammed" if on else "ok")
            else:
                d.printer.set_status(DeviceStatus.OFFLINE if on else DeviceStatus.ONLINE)
            return None
        if device == "docprinter" and cmd == "fault":  # same command as hw_sim.cups_printer.PrivateCups
            kind = args["kind"]
            if kind not in ("paper_out", "jam", "toner_out", "toner_low", "clear"):
                raise ValueError(f"instant docprinter: no fault {kind!r}")
            (d.docprinter.dir / ".status").write_text("ok" if kind in ("clear", "toner_low") else kind)
            d.docprinter.check_status().result(5)
            return kind
        if device == "cabinet":
            cab = d.cabinet
            if cmd == "jam_lock":
                (cab.jammed.add if args.get("on", True) else cab.jammed.discard)((args["board"], args["lock"]))
            elif cmd == "set_board_offline":
                cab.set_board_offline(args["board"], args.get("offline", True))
            elif cmd == "close_door":
                cab.close_door(args["board"], args["lock"])
            elif cmd == "close_all":
                for board, lock in list(cab.doors()):
                    cab.close_door(board, lock)
            elif cmd == "reset_faults":
                cab.jammed.clear()
                for b in list(cab.offline):
                    cab.set_board_offline(b, False)
            else:
                raise ValueError(f"instant cabinet: no command {cmd!r}")
            return None
        raise ValueError(f"instant devices: no command {device}.{cmd}")

    def close_doors(self, locks: list[tuple[int, int]]) -> None:
        for board, lock in locks:
            self.d.cabinet.close_door(board, lock)

    def show_page(self, qr: str | None = None, barcode: str | None = None) -> None:
        from kiosk.flows.apply import case_from_qr, receipt_qr

        barcode = barcode or (case_from_qr(qr) if qr else None)
        qr = qr or (receipt_qr(barcode) if barcode else None)
        codes = [Code("QRCODE", qr, "instant"), Code("CODE128", barcode, "instant")]
        self.d.scanner.show(PageResult(True, None, True, [], page=_page_image(), codes=codes))

    def good_page(self) -> None:
        self.d.scanner.show(PageResult(True, None, True, [], page=_page_image()))

    def no_page(self) -> None:
        self.d.scanner.show(None)

    def reset(self) -> None:
        for device, cmd, args in (("camera", "set_person", {"identity": "obama"}), ("camera", "show", {"source": "holder"}),
                                  ("printer", "set_paper", {"state": "ok"}), ("printer", "offline", {"on": False}),
                                  ("docprinter", "fault", {"kind": "clear"}),
                                  ("cabinet", "reset_faults", {}), ("cabinet", "close_all", {}),
                                  ("backoffice", "online", {})):
            self.call(device, cmd, **args)
        self.no_page()
        self.d.scanner.show_mrz(None)
        self.d.id_reader.remove()
        if self.d.passport_reader is not None:
            self.d.passport_reader.remove()


def _damage(args: dict[str, Any]) -> str:
    """`show_passport damaged=1` (a wrong check digit) or `damage=check_digit|smudge|none`."""
    if str(args.get("damaged", "0")).lower() in ("1", "true", "yes"):
        return "check_digit"
    return str(args.get("damage", "none"))


def _certificate_sink(root: Path) -> Any:
    """The A4 printer here is the real `file://` PDF sink backend (no CUPS: instant means instant)."""
    from kiosk.devices.registry import create_device

    out = root / "out" / "certificates"
    out.mkdir(parents=True, exist_ok=True)
    printer = create_device("docprinter", f"file://{out}", name="docprinter")
    printer.open()
    return printer


def _speaker(config: Any, root: Path) -> Any:
    """The configured speaker (a real espeak-ng backend: `wav://` files need no simulator)."""
    from kiosk.devices.registry import create_device

    sc = config.devices.speech
    if sc is None:
        return None
    speaker = create_device("speech", sc.url.replace("{root}", str(root)), name="speech", muted=sc.muted,
                            volume=sc.volume)
    speaker.open()
    return speaker


def start_instant_station(config: Any, root: str | Path, catalog: Any = None,
                          speech: bool = False) -> tuple[Any, InstantControls, Any]:
    """A Station on instant devices, the simulated back office and a movable clock; with `speech`,
    the configured speaker too (real audio: espeak-ng into WAV files under the root)."""
    from hw_sim.backoffice import SimBackOffice
    from kiosk.scenarios.clock import OffsetClock
    from hw_sim.station.simulated import STAFF, prepare_sim_root
    from kiosk.assembly import build_station

    if catalog is None:
        from kiosk.services.catalog import catalog_dir, load_catalog

        catalog = load_catalog(catalog_dir(config.catalog.dir, Path(root)))
    clock = OffsetClock()
    camera = InstantCamera()
    devices = Devices(id_reader=InstantReader(), camera=camera, face=InstantFace(camera), scanner=InstantScanner(),
                      printer=InstantPrinter(), cabinet=InstantCabinet(config.cabinet),
                      docprinter=_certificate_sink(Path(root)), passport_reader=InstantPassportReader(),
                      speech=_speaker(config, Path(root)) if speech else None)
    bo = SimBackOffice(clock=clock, catalog=catalog, approve_after_s=config.backoffice.approve_after_s)
    prepare_sim_root(config, root)
    station = build_station(config, backoffice=bo, clock=clock, devices=devices, catalog=catalog, root=root)
    for staff_no, name, role, key, pin in STAFF:
        station.services.staff.add(staff_no, name, role, get_identity(key).id_number, pin)
    return station, InstantControls(devices, bo), clock
