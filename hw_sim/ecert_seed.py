"""E-certificate records for the shared sample people, in the office's import format
(`kiosk-office ecert import`): the same holdings the in-process back-office double answers
(`hw_sim.backoffice.HOLDINGS`), so a station joined to the real office finds the same e-certificates.

    python -m hw_sim.ecert_seed OUT.json
"""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path
from typing import Any

from hw_sim.backoffice import ECERT_NAMES, HOLDINGS, SimBackOffice, _render_png
from hw_sim.identities import SAMPLE_IDENTITIES
from kiosk.services.keyed_hash import mask_id_number


def records() -> list[dict[str, Any]]:
    out = []
    for ident in SAMPLE_IDENTITIES.values():
        for t in (*HOLDINGS["*"], *HOLDINGS.get(ident.person, ())):
            zh, en, issuer = ECERT_NAMES[t]
            masked = mask_id_number(ident.id_number)
            out.append({"id_number": ident.id_number, "type": t, "name_zh": zh, "name_en": en,
                        "number_masked": SimBackOffice._cert_number(t, ident.id_number), "issuer_zh": issuer,
                        "media_type": "image/png",
                        "content_b64": base64.b64encode(_render_png([f"E-CERT {t}", f"holder {masked}",
                                                                     f"issuer {en}"])).decode("ascii")})
    return out


def write(path: Path) -> int:
    recs = records()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(recs, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return len(recs)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m hw_sim.ecert_seed OUT.json", file=sys.stderr)
        raise SystemExit(2)
    print(f"{write(Path(sys.argv[1]))} records written to {sys.argv[1]}")
