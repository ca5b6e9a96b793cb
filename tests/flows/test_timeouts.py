"""End every flow by idle timeout at EVERY one of its states and show nothing personal remains:
the session is empty, the identity record is wiped and released (weakref dead after gc), no
device command is left running, the camera is stopped, no personal string is reachable from the
flow, and neither the name nor the ID number is anywhere in the database files."""

from __future__ import annotations

import dataclasses
import gc
import weakref
from collections.abc import Callable
from typing import Any

import pytest

from hw_sim.identities import get_identity
from kiosk.flows.apply import receipt_qr
from kiosk.flows.registry import FLOWS
from tests.flows import fakes
from tests.flows.conftest import STAFF_PIN, TECH_CARD, TECH_PIN
from tests.flows.test_collect import deposited

Step = Callable[[Any, Any], Any]


def one(w, f):
    """Wait for one event (a device or service completion) and hand it to the flow."""
    f.handle(w.events.get(timeout=5))


def insert(key):
    def step(w, f):
        rec = fakes.identity(key)
        w.refs.append(weakref.ref(rec))
        w.reader.insert(rec)
        one(w, f)
    return step


def drain(w, f):
    """Let pending service calls finish and hand every queued event to the flow."""
    w.wait_services(f)
    w.pump(f)


def act(action, **kw):
    return lambda w, f: f.act(action, **kw)


def match(w, f):
    w.face.match()
    one(w, f)


def page(w, f):
    w.scanner.page()
    one(w, f)  # the captured page: now it is being read (OCR, kind, cross-check)


def close(comp_key="compartment"):
    def step(w, f):
        comp = f.view().data.get(comp_key)
        comp = comp[0] if isinstance(comp, list) else comp
        w.cabinet.close_door(comp)
        f.tick()
    return step


def pay(w, f):
    w.clock.advance(6)
    f.tick()
    one(w, f)


def paper_out(w):
    w.printer.set_status(w.printer.status, paper="out")


def no_docprinter(w):
    w.devices.docprinter = None


def slow_docprinter(w):
    w.devices.docprinter = fakes.FakeDocPrinter(auto=False)


def paycode(w, f):
    """The citizen holds a fresh payment code under the document camera."""
    w.scanner.code(w.backoffice.cmd_payment_code())
    one(w, f)


def declines_then_fails_submit(w):
    w.backoffice.cmd_set_auto_pay(on=False)
    w.backoffice.cmd_decline_next_code()
    w.backoffice.cmd_fail_next(call="submit_case", code="rejected")


def ready_case(w):
    no = w.services.cases.open("PS-002", get_identity("obama").id_number, promised_days=5).case_no
    for s in ("accepted", "approved", "result_ready"):
        w.services.cases.set_status(no, s)
    return no


def with_passport_reader(w):
    w.devices.passport_reader = fakes.FakePassportReader()


def mrz(key, damage="none"):
    """The data page of `key`'s passport under the document camera: its MRZ is read."""
    def step(w, f):
        w.scanner.mrz(key, damage)
        one(w, f)
    return step


def chip(key):
    """`key`'s passport laid on the passport reader: the chip answers the waiting read."""
    def step(w, f):
        assert w.devices.passport_reader.insert(key)
        one(w, f)
    return step


FORM_PHONE, FORM_HOUSEHOLD = "13800138000", "330106012"


def with_form(w):
    from kiosk.services.form_defs import FormBook, FormDef
    from tests.flows.test_forms import PS002_FORM

    w.services.extra["forms"] = FormBook({"PS-002": FormDef.model_validate(PS002_FORM)})


def household_page(w, f):
    """A page of the household register, OCR'd with its household number (pre-fills the form)."""
    from kiosk.devices.scanner.doc_kinds import DocumentReading

    w.scanner.readings.append(DocumentReading("household_register", 0.8, {"household_no": FORM_HOUSEHOLD}))
    page(w, f)


def scan_code(text_of):
    def step(w, f):
        w.scanner.code(text_of(w))
        one(w, f)
    return step


# flow -> list of walks; each walk = (setup, steps). The state after each step is a stop point.
WALKS: dict[str, list[tuple[Callable[[Any], Any] | None, list[Step]]]] = {
    "apply": [
        (None, [act("select", code="RE-003"), act("start"), insert("obama"), match, act("consent"), one, page,
                one, one, pay, one, one, one, act("dropoff"), one, close()]),  # pay, pack, submit, print
        (paper_out, [act("select", code="SI-001"), act("start"), insert("obama"), match, act("consent"), one,
                     one, one, one]),  # e-certificates, pack, submit, certificate printed
        # no A4 printer: the certificate is offered electronically, then the receipt
        (no_docprinter, [act("select", code="SI-001"), act("start"), insert("obama"), match, act("consent"),
                         one, one, one, act("continue")]),
        (slow_docprinter, [act("select", code="SI-001"), act("start"), insert("obama"), match, act("consent"),
                           one, one, one]),  # ... and the certificate is printing
        (None, [act("select", code="PS-002"), act("start"), insert("obama"), match, act("decline"),
                act("skip"), act("skip"), act("skip")]),
        # payment by code: refused (pay_refused), retried and charged, the submission fails: refund
        (declines_then_fails_submit, [act("select", code="RE-003"), act("start"), insert("obama"), match,
                                      act("consent"), one, page, one, one, paycode, one, act("retry"), paycode,
                                      one, one, one, one]),
        # 智能填表: pre-filled from card + OCR, two fields set by touch, rendered, submitted, then rated
        (with_form, [act("select", code="PS-002"), act("start"), insert("obama"), match, act("consent"), one,
                     page, one, household_page, one, household_page, one, act("edit", key="phone"),
                     act("set", value=FORM_PHONE), act("edit", key="purpose"), act("set", value="abroad"),
                     act("confirm"), one, one, one, one, act("finish")]),
        # a passport: the chip refuses the key of another passport's page, then the right page opens it
        (with_passport_reader, [act("select", code="SI-001"), act("start"), act("passport"), mrz("biden"),
                                chip("obama"), mrz("obama"), chip("obama"), match]),
    ],
    "query": [
        (lambda w: w.services.cases.open("PS-002", get_identity("obama").id_number, promised_days=5),
         [act("scan_receipt"), scan_code(lambda w: receipt_qr(w.services.cases.by_status("submitted")[0].case_no, w.services.hasher)),
          one, act("finish")]),
        (lambda w: w.services.cases.open("PS-002", get_identity("obama").id_number, promised_days=5),
         [act("identify"), insert("obama"), match]),
        # a passport page with a misread check digit, asked again, then the chip
        (with_passport_reader, [act("identify"), act("passport"), mrz("obama", "check_digit"), act("retry"),
                                mrz("obama"), chip("obama")]),
    ],
    "collect": [
        (lambda w: deposited(w), [act("identify"), insert("obama"), match, one, one, close("compartments"),
                                  act("taken"), act("rate", score=4), one]),
        (None, [act("code")]),
        (with_passport_reader, [act("identify"), act("passport"), mrz("obama"), chip("obama")]),
    ],
    "deposit": [
        (ready_case, [insert("biden"), act("pin", pin=STAFF_PIN),
                      scan_code(lambda w: w.services.cases.by_status("result_ready")[0].case_no), one, close(),
                      one]),
    ],
    "retrieve": [
        (lambda w: deposited(w, "obama", comp="A02") and w.clock.advance(31 * 86400),
         [insert("biden"), act("pin", pin=STAFF_PIN), act("open", compartment="A02"), one]),
    ],
    "commission": [
        (None, [insert(TECH_CARD), act("pin", pin=TECH_PIN), act("next"), act("next"), drain, act("next"), drain,
                act("next"), drain, act("next"), drain, act("next"), act("next")]),
    ],
}


def flow_states(name: str) -> set[str]:
    cls = FLOWS[name]
    states = {n[5:] for n in dir(cls) if n.startswith("view_") and n != "view_ended"}
    if not cls.need_face:
        states -= {"identify_face"}
    if not getattr(cls, "offer_passport", True):  # staff sign in with their resident ID card only
        states -= {"identify_passport", "identify_passport_chip"}
    return states


CASES = [(name, w, n) for name, walks in WALKS.items() for w in range(len(walks))
         for n in range(len(walks[w][1]) + 1)]


def _walk(world, name: str, walk: int, n: int):
    setup, steps = WALKS[name][walk]
    world.refs = []
    if setup:
        setup(world)
    f = FLOWS[name](world.ctx)
    _check_texts(f)
    for step in steps[:n]:
        step(world, f)
        assert not f.ended, (name, f.history, f.outcome)
        _check_texts(f)
    return f


_KNOWN: dict[str, set[str]] = {}


def _check_texts(f) -> None:
    """Every text the current view shows has a translation in both languages."""
    from kiosk import i18n

    if not _KNOWN:
        _KNOWN.update({lang: i18n.message_ids(lang) for lang in ("zh", "en")})
    vm = f.view()
    texts = [vm.title, *vm.body, *(a.label for a in vm.actions), *vm.step_labels] + ([vm.error] if vm.error else [])
    for text in texts:
        for lang, ids in _KNOWN.items():
            assert text.key in ids, f"{f.name}.{f.state}: {text.key!r} has no {lang} translation"


@pytest.mark.parametrize("name,walk,n", CASES, ids=[f"{a}-{b}-{c}" for a, b, c in CASES])
def test_timeout_at_every_state_leaves_nothing_personal(world, name, walk, n):
    f = _walk(world, name, walk, n)
    state = f.state
    world.clock.advance(world.ctx.idle_timeout_s + 1)
    f.tick()
    assert f.outcome == "timeout", (name, state, f.history)
    vm = f.view()
    assert vm.final and vm.state == "ended"
    _assert_nothing_personal(world, f)


def test_every_state_of_every_flow_is_reached_by_a_walk(tmp_path):
    from tests.flows.conftest import build_world

    reached: dict[str, set[str]] = {n: set() for n in WALKS}
    for name, walks in WALKS.items():
        for w in range(len(walks)):
            world = build_world(tmp_path / f"{name}-{w}")
            try:
                f = _walk(world, name, w, len(walks[w][1]))
                reached[name] |= set(f.history)
            finally:
                world.close()
    for name in WALKS:
        missing = flow_states(name) - reached[name]
        assert not missing, f"{name}: no walk stops in {sorted(missing)}"


def _assert_nothing_personal(world, f) -> None:
    assert not f.session.holds_personal_data()
    for dev in (world.reader, world.face, world.scanner, world.devices.passport_reader):
        if dev is None:
            continue
        assert not dev.live(), f"{dev.name} still has a running command"
    assert not world.camera.active, "camera left running"
    assert not f._pending
    # drain late completions the way the station would (they are ignored by an ended flow)
    while not world.events.empty():
        assert not f.handle(world.events.get(timeout=1))
    secrets_ = set()
    for key in ("obama", "biden", TECH_CARD):
        ident = get_identity(key)
        secrets_ |= {ident.id_number, ident.name_zh, ident.address, ident.passport_number,
                     f"{ident.surname_latin} {ident.given_names_latin}"}
    secrets_ |= {FORM_PHONE, FORM_HOUSEHOLD}  # values filled into a form
    found = _find_strings(f, secrets_)
    assert not found, f"personal data still reachable from the flow: {found}"
    refs = list(getattr(world, "refs", []))
    world.refs = []
    if any(_unwiped(ref()) for ref in refs):
        gc.collect()  # a record that is garbage in a reference cycle lives until a collection
    assert not any(_unwiped(ref()) for ref in refs), "identity record not wiped"
    world.store.conn.execute("PRAGMA wal_checkpoint(FULL)")
    blob = b""
    for suffix in ("", "-wal", "-shm"):
        p = world.db_path.with_name(world.db_path.name + suffix)
        if p.exists():
            blob += p.read_bytes()
    for s in secrets_:
        assert s.encode("utf-8") not in blob, f"{s[:2]}… found in the database files"


def _unwiped(rec: Any) -> bool:
    """An identity record still alive with personal data in it (a full collection costs ~0.1 s
    with the whole suite loaded, so it runs only when a record is still there)."""
    return rec is not None and not (rec.id_number == "" and rec.name == "" and rec.photo is None)


def _find_strings(root: Any, needles: set[str], limit: int = 20000) -> list[str]:
    """Walk the object graph under `root` (flow attributes, session, containers) for needles."""
    seen: set[int] = set()
    stack = [root]
    hits: list[str] = []
    skip_types = (type, type(len))
    while stack and len(seen) < limit:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip_types):
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            if any(n and n in obj for n in needles):
                hits.append(obj[:6] + "…")
            continue
        if isinstance(obj, (bytes, int, float, bool)) or obj is None:
            continue
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif hasattr(obj, "__dict__"):
            if obj is not root and obj.__class__.__module__.startswith(("kiosk.services", "kiosk.core", "sqlite3",
                                                                         "hw_sim", "tests.flows.fakes")):
                continue  # shared services and devices are not the flow's memory
            stack.extend(vars(obj).values())
        elif dataclasses.is_dataclass(obj):  # slots=True (kiosk.flows.visit_data): no __dict__
            stack.extend(getattr(obj, f.name) for f in dataclasses.fields(obj))
    return hits
