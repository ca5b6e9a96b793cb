"""Reading a catalog matter (`kiosk.services.catalog.Matter`) the way flows need it.

Materials are numbered by their position in the matter's list (that index travels with a scan
or an e-certificate into the submission); the guide becomes plain view data.
"""

from __future__ import annotations

from typing import Any


def self_service(matter: Any) -> bool:
    return matter.station is not None


def action(matter: Any) -> str | None:
    """"print" | "apply" | "drop_off" for station items, None for guidance-only matters."""
    return matter.station.action if matter.station is not None else None


def fee_fen(matter: Any) -> int:
    return int(matter.fee.amount_fen)


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def materials(matter: Any) -> list[tuple[int, Any]]:
    """(index, material) for every material the matter lists (e-only materials included)."""
    return list(enumerate(matter.materials))


def offers_dropoff(matter: Any) -> bool:
    return matter.station is not None and matter.station.dropoff_compartment


def pickup_needs_id(matter: Any) -> bool:
    return matter.station is not None and matter.station.id_card_at_pickup


def result_size(matter: Any) -> str:
    return (matter.station.result_size if matter.station is not None else None) or "S"


def guide(matter: Any) -> dict[str, Any]:
    """The service guide as view data (no personal data in it)."""
    return {
        "code": matter.code, "name_zh": matter.name_zh, "name_en": matter.name_en,
        "category": matter.category, "self_service": self_service(matter), "action": action(matter),
        "type": matter.type, "statutory_days": matter.statutory_days, "promised_days": matter.promised_days,
        "legal_basis": [f"{b.law_zh}{b.article_zh}" for b in matter.legal_basis],
        "legal_basis_en": [" ".join(p for p in (b.law_en, b.article_en) if p) or b.law_zh
                           for b in matter.legal_basis],
        "authority_zh": matter.authority_zh, "authority_en": matter.authority_en,
        "place_zh": matter.place_zh, "place_en": matter.place_en,
        "hours_zh": matter.hours_zh, "hours_en": matter.hours_en,
        "conditions_zh": matter.conditions_zh, "conditions_en": matter.conditions_en,
        "fee_fen": fee_fen(matter), "fee_basis_zh": matter.fee.basis_zh, "fee_basis_en": matter.fee.basis_en,
        "fee_note_zh": matter.fee.note_zh, "fee_note_en": matter.fee.note_en,
        "supervision_zh": matter.supervision_zh, "supervision_en": matter.supervision_en,
        "supervision_phone": matter.supervision_phone,
        "enquiry_phone": matter.enquiry_phone, "online_zh": matter.online_zh, "online_en": matter.online_en,
        "materials": [{"index": i, "name_zh": m.name_zh, "name_en": m.name_en, "form": m.form,
                       "pages": m.pages, "required": m.required, "ecert": m.ecert_type}
                      for i, m in materials(matter)],
    }
