"""E-certificates (电子证照) a person holds, for the station's `fetch_ecertificates` after consent.

`ECertRegister(dir)`: the e-certificate library as this office reaches it: one `<ID number>.json`
file per person, a list of `{type, name_zh, name_en, number_masked, issuer_zh, valid_until,
media_type, content_b64}` (`kiosk-office run --ecert-register DIR`; `make run` writes the sample
people's). Only the types the person consented to are returned. Without a register the answer is
an empty list (the citizen scans the paper instead).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging

from kiosk.services.backoffice import ECertificate
from office.register_dir import RegisterDir

log = logging.getLogger(__name__)


class ECertRegister(RegisterDir):
    option = "--ecert-register"
    suffix = ".json"
    max_bytes = 8 * 1024 * 1024

    def held(self, id_number: str, types: tuple[str, ...]) -> list[ECertificate]:
        raw = self.read(id_number)
        if raw is None:
            return []
        try:
            return [ECertificate(str(d["type"]), str(d["name_zh"]), str(d["name_en"]), str(d["number_masked"]),
                                 str(d["issuer_zh"]), d.get("valid_until"), str(d["media_type"]),
                                 base64.b64decode(d["content_b64"], validate=True))
                    for d in json.loads(raw) if d["type"] in types]
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            log.error("e-certificate register %s: %s; answering none", self.dir, exc)
            return []
