"""What a device snapshot may carry into the retained health message: scalars, short strings,
small containers, and no key that looks personal."""

from __future__ import annotations

import re
from typing import Any

PERSONAL = re.compile(r"name|id_?number|holder|birth|photo|face_?id|document_?no|mrz|address|phone|pin|code",
                      re.IGNORECASE)


def clean(value: Any, depth: int = 0) -> Any:
    """A snapshot value safe for a retained health message."""
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if isinstance(value, str):
        return value[:200]
    if depth < 2 and isinstance(value, dict):
        return {str(k): clean(v, depth + 1) for k, v in list(value.items())[:50] if not PERSONAL.search(str(k))}
    if depth < 2 and isinstance(value, (list, tuple)):
        return [clean(v, depth + 1) for v in list(value)[:50]]
    return str(value)[:200]
