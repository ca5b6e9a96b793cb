"""Query tags: the MAC a receipt's QR carries beside the case number (security finding 16).

Case numbers are sequential (station, date, sequence, check character), so a QR holding only the
number lets anyone read the status of the next applicant's case. The receipt's QR therefore also
holds `tag(case_no)`: the first 80 bits of HMAC-SHA256 under the station's hash key (purpose
"receipt-query"); the query flow shows a case only for a QR whose tag verifies.

    t = query_tag(hasher, "SIM0001-20261122-0042-K")      # 20 hex digits
    tag_ok(hasher, case_no, t)                            # constant-time comparison
"""

from __future__ import annotations

import hmac
from typing import Any

PURPOSE = "receipt-query"
TAG_HEX = 20


def query_tag(hasher: Any, case_no: str) -> str:
    return str(hasher.hash(PURPOSE, case_no))[:TAG_HEX].lower()


def tag_ok(hasher: Any, case_no: str, tag: str | None) -> bool:
    return bool(tag) and hmac.compare_digest(query_tag(hasher, case_no), str(tag))
