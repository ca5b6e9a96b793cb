"""Fixtures for flow tests: real services on a temporary SQLite file, a small catalog, the
simulated back office in process, fake devices, a FakeClock, and a pump for the event queue."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kiosk.core.clock import FakeClock
from kiosk.core.events import EventQueue
from kiosk.flows.base import Devices, Flow, FlowContext
from kiosk.flows.ports import Services
from kiosk.flows.registry import FLOWS
from kiosk.services.audit import AuditLog
from kiosk.services.cases import CaseStore
from kiosk.services.catalog import Catalog, Category, Fee, LegalBasis, Material, Matter, StationService
from kiosk.services import pin_hash
from kiosk.services.keyed_hash import KeyedHasher
from kiosk.services.pickup_codes import PickupCodes
from kiosk.services.staff import StaffRegistry
from kiosk.services.store import Store
from tests.flows import fakes

STAFF_PIN = "246810"
TECH_PIN = "135790"
STAFF_CARD = "biden"
TECH_CARD = "rose_leslie"


def _matter(code: str, category: str, name_zh: str, name_en: str, station: StationService | None,
            materials: list[Material], fee_fen: int = 0, kind: str = "promised", days: int = 5) -> Matter:
    return Matter(
        code=code, category=category, name_zh=name_zh, name_en=name_en,
        legal_basis=[LegalBasis(law_zh="《测试法》", article_zh="第一条")],
        authority_zh="测试局", authority_en="Test Bureau", type=kind, statutory_days=days * 2 if days else 0,
        promised_days=days if kind == "promised" else 0, place_zh="政务服务中心一楼", place_en="Service centre, 1F",
        materials=materials, fee=Fee(amount_fen=fee_fen, basis_zh="《收费标准》" if fee_fen else ""),
        supervision_zh="12345热线", supervision_phone="12345", enquiry_phone="0571-87654321", station=station)


ID_CARD = Material(name_zh="居民身份证", name_en="Resident ID card", form="original", ecert_replaceable=True,
                   ecert_type="resident_id")


def make_catalog() -> Catalog:
    cats = [Category(code="social_insurance", name_zh="社会保险", name_en="Social insurance", prefix="SI"),
            Category(code="public_security", name_zh="公安", name_en="Public security", prefix="PS"),
            Category(code="real_estate", name_zh="不动产", name_en="Real estate", prefix="RE"),
            Category(code="tax", name_zh="税务", name_en="Tax", prefix="TX")]
    matters = [
        _matter("SI-001", "social_insurance", "社会保险个人参保证明", "Social insurance certificate",
                StationService(action="print"), [ID_CARD], kind="instant", days=0),
        _matter("PS-002", "public_security", "无犯罪记录证明", "No-criminal-record certificate",
                StationService(action="apply", result_via_cabinet=True, result_size="S", id_card_at_pickup=True),
                [ID_CARD, Material(name_zh="申请表", name_en="Application form", form="original", pages=1),
                 Material(name_zh="户口簿", name_en="Household register", form="copy", pages=2)]),
        _matter("RE-003", "real_estate", "不动产登记资料查询", "Real-estate register search",
                StationService(action="apply", result_via_cabinet=True, result_size="M", dropoff_compartment=True),
                [ID_CARD, Material(name_zh="查询申请书", name_en="Search request", form="original")], fee_fen=2000),
        _matter("TX-004", "tax", "个人所得税汇算清缴", "Individual income tax annual settlement", None,
                [ID_CARD], kind="promised", days=10),
    ]
    return Catalog(cats, matters, "test")


@dataclass
class World:
    clock: FakeClock
    events: EventQueue
    devices: Devices
    services: Services
    ctx: FlowContext
    store: Store
    backoffice: Any
    reader: fakes.FakeReader
    camera: fakes.FakeCamera
    face: fakes.FakeFace
    scanner: fakes.FakeScanner
    printer: fakes.FakePrinter
    cabinet: fakes.FakeCabinetPort
    db_path: Path

    def close(self) -> None:
        if self.services.runner is not None:
            self.services.runner.stop()
        self.store.close()

    def start(self, name: str, **kwargs: Any) -> Flow:
        return FLOWS[name](self.ctx, **kwargs)

    def pump(self, flow: Flow) -> int:
        """Hand every queued event to the flow (as the station's drain does)."""
        n = 0
        while not self.events.empty():
            flow.handle(self.events.get(timeout=1))
            n += 1
        return n

    def wait_services(self, flow: Flow, timeout: float = 5.0) -> None:
        """Let back-office calls on the service runner finish, then pump."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump(flow)
            if not any(c.name in _SERVICE_CALLS for c in flow._pending.values()):
                return
            time.sleep(0.001)
        raise AssertionError(f"service calls still pending: {list(flow._pending)}")

    def identify(self, flow: Flow, key: str = "obama", face: bool = True) -> None:
        assert flow.state == "identify_card", flow.state
        self.reader.insert(fakes.identity(key))
        self.pump(flow)
        if face and flow.state == "identify_face":
            self.face.match()
            self.pump(flow)

    def staff_sign_in(self, flow: Flow, key: str = STAFF_CARD, pin: str = STAFF_PIN) -> None:
        self.identify(flow, key, face=False)
        assert flow.state == "staff_pin", (flow.state, flow.outcome)
        assert flow.act("pin", pin=pin)


_SERVICE_CALLS = ("ecerts", "order", "paid", "pack", "submit", "status", "notify", "ping", "report", "rating",
                  "cancel_payment", "charge", "refund", "lookup")


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = build_world(tmp_path)
    yield w
    w.close()


def build_world(tmp_path: Path) -> World:
    from hw_sim.backoffice import SimBackOffice

    clock = FakeClock()
    tmp_path.mkdir(parents=True, exist_ok=True)
    db = tmp_path / "station.db"
    store = Store(db)
    hasher = KeyedHasher(b"k" * 32)
    audit = AuditLog(store, clock)
    catalog = make_catalog()
    cases = CaseStore(store, hasher, clock, station_id="sim-0001")
    codes = PickupCodes(store, hasher, audit, clock)
    staff = StaffRegistry(store, hasher, audit, clock)
    from hw_sim.identities import get_identity

    with pytest.MonkeyPatch.context() as mp:  # one salt for every test station: its scrypt is remembered
        mp.setattr(pin_hash, "new_salt", lambda: b"test-world-salt!")
        staff.add("S001", "窗口 3", "staff", get_identity(STAFF_CARD).id_number, STAFF_PIN)
        staff.add("T001", "技术员", "technician", get_identity(TECH_CARD).id_number, TECH_PIN)
    backoffice = SimBackOffice(clock=clock, approve_after_s=30, pay_after_s=5, catalog=catalog)
    cabinet = fakes.FakeCabinetPort()
    services = Services(catalog=catalog, cases=cases, codes=codes, cabinet=cabinet, backoffice=backoffice,
                        staff=staff, audit=audit, hasher=hasher, diagnostics_dir=str(tmp_path / "diag"))
    reader, camera, face = fakes.FakeReader(), fakes.FakeCamera(), fakes.FakeFace()
    scanner, printer = fakes.FakeScanner(), fakes.FakePrinter()
    devices = Devices(id_reader=reader, camera=camera, face=face, scanner=scanner, printer=printer,
                      cabinet=fakes.FakeCabinetDevice(), docprinter=fakes.FakeDocPrinter())
    events = EventQueue()
    ctx = FlowContext(clock=clock, events=events, devices=devices, services=services, idle_timeout_s=60,
                      warning_s=20, more_time_s=60, station_id="sim-0001")
    w = World(clock, events, devices, services, ctx, store, backoffice, reader, camera, face, scanner, printer,
              cabinet, db)
    return w
