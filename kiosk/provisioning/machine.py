"""Interactive provisioning as a UI-free state machine: a terminal (`kiosk setup`) or a touch
screen drives it the same way.

    m = SetupMachine(probe, SetupDefaults(...))
    while not m.finished:
        p = m.prompt()           # what to explain, what to ask, the choices, the default
        m.answer(text)           # "" takes the default; a choice's number or a value; "q" quits

Every text is a message key (`setup.*` in kiosk/locale/*/setup.po, Chinese and English) with
parameters; device names, paths and the technical detail of an error are data, shown as they are.

States, in order: welcome (discovery) -> station_id -> out -> device.id_reader -> device.camera ->
device.scanner -> device.printer -> cabinet_port -> bus_scan -> polarity (per board; polarity_confirm when only a person can tell) -> locks (per
board) -> map_mode -> [door -> size, per lock, each door pulsed open first] -> confirm -> done.
A refused answer keeps the state and sets `prompt().error`; a failed bus step can be retried.
Quitting (or `abort()`) ends in `aborted` with nothing written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.flows.viewmodel import Text
from kiosk.provisioning import device_choice
from kiosk.provisioning.cabinet_probe import BusProbe
from kiosk.provisioning.discovery import Discovery, Roots
from kiosk.provisioning.errors import SetupError
from kiosk.provisioning.plan import (
    ROLES,
    SIZES,
    BoardPlan,
    CompartmentPlan,
    PlanError,
    StationPlan,
    bus_order_labels,
    compartments_in_bus_order,
)
from kiosk.provisioning.report import Check
from kiosk.provisioning.runner import (
    SetupResult,
    check_station_id,
    discover,
    finish,
    inverted_if_shut,
    judge_polarity,
    preflight,
    scan_boards,
)


def t(key: str, **params: Any) -> Text:
    return Text(f"setup.{key}", params)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str  # a device name / path, or a message key when `translate`
    translate: bool = False


@dataclass(frozen=True)
class Prompt:
    step: str
    explain: Text
    question: Text
    choices: tuple[Choice, ...] = ()
    default: str | None = None
    info: tuple[Text, ...] = ()  # what the last step found
    error: Text | None = None  # why the last answer was refused / the last bus step failed
    detail: str = ""  # technical detail of the error (paths, bytes), as it is


@dataclass
class SetupDefaults:
    station_id: str | None = None
    out: str | None = None
    cabinet_port: str | None = None
    protocol: str | None = None
    baud: int | None = None
    urls: dict[str, str] = field(default_factory=dict)
    sizes: str | None = None
    locks: dict[int, int] = field(default_factory=dict)
    root: Path = Path(".")
    roots: Roots = field(default_factory=Roots)


QUIT = {"q", "quit", "exit"}


class SetupMachine:
    def __init__(self, probe: BusProbe, defaults: SetupDefaults) -> None:
        self.probe = probe
        self.d = defaults
        self.state = "welcome"
        self.checks: list[Check] = []
        self.found: dict[str, Discovery] = {}
        self.station_id = defaults.station_id or ""
        self.out = Path(defaults.out) if defaults.out else Path("config/station.toml")
        self.devices: dict[str, Any] = {}
        self.port = defaults.cabinet_port or ""
        self.boards_found: list[Any] = []
        self.boards: list[BoardPlan] = []
        self.board_index = 0
        self.slots: list[tuple[int, int]] = []  # (board, lock) to map door by door
        self.slot_index = 0
        self.pulse_info: Text | None = None
        self.pending_polarity: tuple[Any, float] | None = None
        self.pending_label: str | None = None
        self.compartments: list[CompartmentPlan] = []
        self.result: SetupResult | None = None
        self._error: tuple[Text, str] | None = None
        self._info: tuple[Text, ...] = ()

    # -- driving ---------------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.state in ("done", "aborted")

    def abort(self) -> None:
        self.state = "aborted"

    def prompt(self) -> Prompt:
        p = getattr(self, f"_prompt_{self.state.replace('.', '_')}")()
        err, detail = self._error if self._error else (None, "")
        return Prompt(self.state, p[0], p[1], tuple(p[2]) if len(p) > 2 else (), p[3] if len(p) > 3 else None,
                      self._info, err, detail)

    def answer(self, text: str) -> None:
        if self.finished:
            return
        text = text.strip()
        if text.lower() in QUIT:
            self.abort()
            return
        prompt = self.prompt()
        if not text and prompt.default is not None:
            text = prompt.default
        elif text.isdigit() and prompt.choices and 1 <= int(text) <= len(prompt.choices) \
                and self.state not in ("locks",):
            text = prompt.choices[int(text) - 1].value
        self._error = None
        self._info = ()
        try:
            getattr(self, f"_answer_{self.state.replace('.', '_')}")(text)
        except SetupError as exc:
            self._error = (t(f"error.{exc.check.split('.')[0]}"), exc.message)
        except PlanError as exc:
            self._error = (t("error.map"), str(exc))

    def _refuse(self, key: str, detail: str = "", **params: Any) -> None:
        self._error = (t(key, **params), detail)

    # -- welcome: discovery ---------------------------------------------------------------------
    def _prompt_welcome(self) -> tuple:
        return t("welcome.explain"), t("welcome.question"), [], ""

    def _answer_welcome(self, _text: str) -> None:
        self.found, self.checks = discover(self.d.roots)
        self._info = tuple(t("found", kind=kind, count=len(d.devices),
                             names=", ".join(x.name for x in d.devices) or "-") for kind, d in self.found.items())
        self._info += tuple(Text("setup.note", {"note": n}) for d in self.found.values() for n in d.notes)
        self.state = "station_id"

    # -- station id and where the config goes ---------------------------------------------------
    def _prompt_station_id(self) -> tuple:
        return t("station_id.explain"), t("station_id.question"), [], self.station_id or None

    def _answer_station_id(self, text: str) -> None:
        check_station_id(text)
        self.station_id = text
        self.state = "out"

    def _prompt_out(self) -> tuple:
        return t("out.explain"), t("out.question"), [], str(self.out)

    def _answer_out(self, text: str) -> None:
        self.checks += preflight(self.station_id, Path(text))
        self.out = Path(text)
        self.state = f"device.{ROLES[0]}"

    # -- devices ---------------------------------------------------------------------------------
    def _device_prompt(self, role: str) -> tuple:
        options = device_choice.candidates(role, self.found)
        if role == "scanner" and len(options) > 1:
            options = options[1:] + options[:1]  # the face camera is usually the first
        default = self.d.urls.get(role) or (options[0][0] if options else None)
        return (t(f"device.{role}.explain"), t("device.question"),
                [Choice(url, f"{url}  {desc}") for url, desc in options], default)

    def _device_answer(self, role: str, text: str) -> None:
        if not text:
            self._refuse("device.need_url", option=device_choice.OPTION[role])
            return
        self.devices[role] = device_choice.plan_device(role, text, "technician")
        self._info = (t("device.chosen", role=role, url=text),)
        nxt = ROLES.index(role) + 1
        self.state = f"device.{ROLES[nxt]}" if nxt < len(ROLES) else "cabinet_port"

    def _prompt_device_id_reader(self) -> tuple:
        return self._device_prompt("id_reader")

    def _answer_device_id_reader(self, text: str) -> None:
        self._device_answer("id_reader", text)

    def _prompt_device_camera(self) -> tuple:
        return self._device_prompt("camera")

    def _answer_device_camera(self, text: str) -> None:
        self._device_answer("camera", text)

    def _prompt_device_scanner(self) -> tuple:
        return self._device_prompt("scanner")

    def _answer_device_scanner(self, text: str) -> None:
        self._device_answer("scanner", text)

    def _prompt_device_printer(self) -> tuple:
        return self._device_prompt("printer")

    def _answer_device_printer(self, text: str) -> None:
        self._device_answer("printer", text)

    # -- the cabinet bus --------------------------------------------------------------------------
    def _prompt_cabinet_port(self) -> tuple:
        ports = self.found.get("serial")
        choices = [Choice(d.path, f"{d.path}  {d.detail}") for d in ports.devices] if ports else []
        return t("cabinet_port.explain"), t("cabinet_port.question"), choices, self.port or None

    def _answer_cabinet_port(self, text: str) -> None:
        if not text:
            self._refuse("cabinet_port.need")
            return
        self.port = text
        self.state = "bus_scan"

    def _prompt_bus_scan(self) -> tuple:
        return (t("bus_scan.explain", port=self.port, protocol=self.d.protocol or "auto", baud=self.d.baud or "auto"),
                t("bus_scan.question"), [], "")

    def _answer_bus_scan(self, _text: str) -> None:
        self.boards_found, checks = scan_boards(self.probe, self.port, self.d.protocol, self.d.baud)
        self.checks += checks
        self._info = tuple(t("bus_scan.board", board=f.board, protocol=f.protocol, baud=f.baud, locks=f.locks,
                             ms=f"{f.round_trip_ms:.1f}") for f in self.boards_found)
        self.board_index = 0
        self.boards = []
        self.state = "polarity"

    def _prompt_polarity(self) -> tuple:
        f = self.boards_found[self.board_index]
        return t("polarity.explain", board=f.board), t("polarity.question", board=f.board), [], ""

    def _answer_polarity(self, _text: str) -> None:
        f = self.boards_found[self.board_index]
        pol, ms = self.probe.polarity(self.port, f)
        if inverted_if_shut(pol):  # only a person can tell "every door open" from "bits the other way round"
            self.pending_polarity = (pol, ms)
            self._info = tuple(Text("setup.note", {"note": w}) for w in pol.warnings)
            self.state = "polarity_confirm"
            return
        self._accept_polarity(*judge_polarity(f, pol, ms, doors_shut=False))

    def _prompt_polarity_confirm(self) -> tuple:
        f = self.boards_found[self.board_index]
        return (t("polarity_confirm.explain", board=f.board), t("polarity_confirm.question", board=f.board),
                [Choice("y", "setup.polarity_confirm.shut", True), Choice("n", "setup.polarity_confirm.retry", True)],
                None)

    def _answer_polarity_confirm(self, text: str) -> None:
        f = self.boards_found[self.board_index]
        assert self.pending_polarity is not None
        if text.lower() in ("y", "yes"):
            pol, ms = self.pending_polarity
            self.pending_polarity = None
            self._accept_polarity(*judge_polarity(f, pol, ms, doors_shut=True))
        elif text.lower() in ("n", "no"):
            self.pending_polarity = None
            self.state = "polarity"  # close the doors, then test again
        else:
            self._refuse("bad_choice", value=text)

    def _accept_polarity(self, b: BoardPlan, check: Check) -> None:
        self.boards.append(b)
        self.checks.append(check)
        self.state = "polarity"
        self._info = (t("polarity.result", board=b.address, status_order=b.status_order or "default",
                        open_bit=b.open_bit),) + tuple(Text("setup.note", {"note": w}) for w in b.warnings)
        self.board_index += 1
        if self.board_index >= len(self.boards_found):
            self.board_index = 0
            self.state = "locks"

    def _prompt_locks(self) -> tuple:
        b = self.boards[self.board_index]
        default = self.d.locks.get(b.address, b.locks)
        return t("locks.explain"), t("locks.question", board=b.address, locks=b.locks), [], str(default)

    def _answer_locks(self, text: str) -> None:
        b = self.boards[self.board_index]
        if not text.isdigit() or not 1 <= int(text) <= 50:
            self._refuse("locks.bad", value=text)
            return
        self.boards[self.board_index] = BoardPlan(**{**b.__dict__, "locks": int(text)})
        self.board_index += 1
        if self.board_index >= len(self.boards):
            self.state = "map_mode"

    def _prompt_map_mode(self) -> tuple:
        n = sum(b.locks for b in self.boards)
        return (t("map_mode.explain", count=n), t("map_mode.question"),
                [Choice("doors", "setup.map_mode.doors", True), Choice("bus", "setup.map_mode.bus", True)], "doors")

    def _answer_map_mode(self, text: str) -> None:
        if text == "bus":
            self.compartments = compartments_in_bus_order(self.boards, self.d.sizes)
            self.state = "confirm"
        elif text == "doors":
            self.slots = [(b.address, lock) for b in self.boards for lock in range(1, b.locks + 1)]
            self.slot_index = 0
            self.compartments = []
            self._pulse_current()
            self.state = "door"
        else:
            self._refuse("bad_choice", value=text)

    # -- door by door ------------------------------------------------------------------------------
    def _pulse_current(self) -> None:
        board, lock = self.slots[self.slot_index]
        plan = next(b for b in self.boards if b.address == board)
        pulse = self.probe.pulse(self.port, plan, lock)
        self.checks.append(Check("door", f"board {board} lock {lock}",
                                 "pass" if pulse.result in ("opened", "already_open") else "warn",
                                 pulse.result + (f": {pulse.detail}" if pulse.detail else ""), round(pulse.ms, 2)))
        self.pulse_info = t(f"door.pulse.{pulse.result}", board=board, lock=lock, ms=f"{pulse.ms:.1f}")

    def _next_label(self) -> str:
        labels = [label for label, _, _ in bus_order_labels(self.boards)]
        used = {c.id for c in self.compartments}
        board, lock = self.slots[self.slot_index]
        suggested = next(label for label, b, lk in bus_order_labels(self.boards) if (b, lk) == (board, lock))
        return suggested if suggested not in used else next((x for x in labels if x not in used), "")

    def _prompt_door(self) -> tuple:
        board, lock = self.slots[self.slot_index]
        return (self.pulse_info or t("door.explain"),
                t("door.question", board=board, lock=lock, index=self.slot_index + 1, total=len(self.slots)),
                [], self._next_label())

    def _answer_door(self, text: str) -> None:
        label = text.upper()
        if label == "R":  # pulse this lock again
            self._pulse_current()
            return
        if label == "-":
            self._advance_door()
            return
        if not re.fullmatch(r"[A-Z][0-9]{2}", label):
            self._refuse("door.bad_label", value=text)
            return
        if any(c.id == label for c in self.compartments):
            self._refuse("door.label_used", value=label)
            return
        self.pending_label = label
        self.state = "size"

    def _prompt_size(self) -> tuple:
        return (t("size.explain", label=self.pending_label), t("size.question"),
                [Choice(s, f"setup.size.{s}", True) for s in SIZES], "M")

    def _answer_size(self, text: str) -> None:
        size = text.upper()
        if size not in SIZES:
            self._refuse("size.bad", value=text)
            return
        board, lock = self.slots[self.slot_index]
        assert self.pending_label is not None
        self.compartments.append(CompartmentPlan(self.pending_label, board, lock, size))
        self.pending_label = None
        self._advance_door()

    def _advance_door(self) -> None:
        self.slot_index += 1
        if self.slot_index < len(self.slots):
            self._pulse_current()
            self.state = "door"
        elif not self.compartments:
            self._refuse("door.none")
            self.slot_index = 0
            self._pulse_current()
            self.state = "door"
        else:
            self.state = "confirm"

    # -- write -----------------------------------------------------------------------------------
    def _prompt_confirm(self) -> tuple:
        return (t("confirm.explain", station=self.station_id, out=str(self.out), boards=len(self.boards),
                  compartments=len(self.compartments), port=self.port),
                t("confirm.question"), [Choice("y", "setup.yes", True), Choice("n", "setup.no", True)], "y")

    def _answer_confirm(self, text: str) -> None:
        if text.lower() in ("n", "no"):
            self.abort()
            return
        if text.lower() not in ("y", "yes"):
            self._refuse("bad_choice", value=text)
            return
        self.checks.append(Check("map", "technician" if self.slots else "bus order", "pass",
                                 f"{len(self.compartments)} compartments"))
        plan = StationPlan(self.station_id, self.port, self.boards, sorted(self.compartments, key=lambda c: c.id),
                           dict(self.devices))
        self.checks += [device_choice.reach(d, self.found) for d in plan.devices.values()]
        self.result = finish(plan, self.checks, self.found, self.out, self.d.root)
        self.state = "done"

    def _prompt_done(self) -> tuple:
        assert self.result is not None
        return (t("done.explain", out=str(self.result.config_path), report=str(self.result.report_paths[1])),
                t("done.question"), [], "")

    def _prompt_aborted(self) -> tuple:
        return t("aborted.explain"), t("done.question"), [], ""
