"""The typed result of provisioning, before it becomes TOML: devices, boards, compartments.

Also the two rules a non-interactive run fills the compartment map with: labels in bus order (one
letter per board, A for the first board that answered, then the lock number: A01, A02, ..., B01)
and sizes from a `--sizes` spec (`M,A01-A06=S,A23-A24=L`: a bare size is the default, M when none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SIZES = ("S", "M", "L")
ROLES = ("id_reader", "camera", "scanner", "printer")


class PlanError(ValueError):
    """Bad provisioning input (a sizes spec, a label); the message says what to fix."""


@dataclass(frozen=True)
class DevicePlan:
    role: str  # id_reader | camera | scanner | printer
    url: str
    source: str  # option | discovered | technician
    camera_url: str | None = None  # scanner only: the document camera behind camera://document


@dataclass(frozen=True)
class BoardPlan:
    address: int
    locks: int
    protocol: str
    baud: int
    status_order: str | None
    open_bit: int
    round_trip_ms: float
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompartmentPlan:
    id: str
    board: int
    lock: int
    size: str


@dataclass
class StationPlan:
    station_id: str
    cabinet_port: str
    boards: list[BoardPlan] = field(default_factory=list)
    compartments: list[CompartmentPlan] = field(default_factory=list)
    devices: dict[str, DevicePlan] = field(default_factory=dict)
    trust_store: str | None = None  # CSCA directory for a pcsc:// (passport) reader

    @property
    def protocol(self) -> str:
        return self.boards[0].protocol

    @property
    def baud(self) -> int:
        return self.boards[0].baud

    @property
    def cabinet_url(self) -> str:
        return f"serial://{self.cabinet_port}?protocol={self.protocol}&baud={self.baud}"


def board_letter(index: int) -> str:
    if not 0 <= index < 26:
        raise PlanError(f"board #{index + 1} in bus order: compartment labels have one letter per board, "
                        "so at most 26 boards can be labelled automatically; label them interactively")
    return chr(ord("A") + index)


def bus_order_labels(boards: list[BoardPlan]) -> list[tuple[str, int, int]]:
    """(label, board, lock) for every lock of every board, boards in the order given."""
    return [(f"{board_letter(i)}{lock:02d}", b.address, lock)
            for i, b in enumerate(boards) for lock in range(1, b.locks + 1)]


def _label_key(label: str) -> tuple[str, int]:
    return label[0], int(label[1:])


def parse_sizes(spec: str | None, labels: list[str]) -> dict[str, str]:
    """Size of every label from a spec like `M,A01-A06=S,A23-A24=L`: a bare size is the default for
    every label no range names (M when none); ranges apply in order, later ones win."""
    default = "M"
    ranges: list[tuple[str, str, str]] = []
    known = set(labels)
    for raw in (spec or "").split(","):
        item = raw.strip().upper()
        if not item:
            continue
        if item in SIZES:
            default = item
            continue
        m = re.fullmatch(r"([A-Z]\d{2})(?:-([A-Z]\d{2}))?=([SML])", item)
        if not m:
            raise PlanError(f"--sizes item {raw.strip()!r}: expected SIZE or LABEL=SIZE or LABEL-LABEL=SIZE "
                            "(sizes S, M, L; labels like A01), e.g. --sizes M,A01-A06=S,A23=L")
        first, last, size = m.group(1), m.group(2) or m.group(1), m.group(3)
        for label in (first, last):
            if label not in known:
                raise PlanError(f"--sizes item {raw.strip()!r}: there is no compartment {label} "
                                f"(the boards found give {_ranges(labels)})")
        if first[0] != last[0] or _label_key(first) > _label_key(last):
            raise PlanError(f"--sizes item {raw.strip()!r}: a range runs within one letter, low to high (A01-A06)")
        ranges.append((first, last, size))
    sizes = dict.fromkeys(labels, default)
    for first, last, size in ranges:
        for label in labels:
            if label[0] == first[0] and _label_key(first) <= _label_key(label) <= _label_key(last):
                sizes[label] = size
    return sizes


def _ranges(labels: list[str]) -> str:
    by_letter: dict[str, list[str]] = {}
    for label in labels:
        by_letter.setdefault(label[0], []).append(label)
    return ", ".join(f"{v[0]}-{v[-1]}" if len(v) > 1 else v[0] for v in by_letter.values())


def compartments_in_bus_order(boards: list[BoardPlan], sizes_spec: str | None) -> list[CompartmentPlan]:
    slots = bus_order_labels(boards)
    sizes = parse_sizes(sizes_spec, [label for label, _, _ in slots])
    return [CompartmentPlan(label, board, lock, sizes[label]) for label, board, lock in slots]
