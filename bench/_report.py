"""Shared output for benchmarks: an aligned table on stdout and the same rows as JSON."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "out" / "bench"


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"
        return str(v)

    cells = [[fmt(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def write(name: str, rows: list[dict[str, Any]], columns: list[str], **summary: Any) -> Path:
    """Print the table and write out/bench/<name>.json with the rows, summary and machine facts."""
    print(table(rows, columns))
    for k, v in summary.items():
        print(f"{k}: {v}")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps({
        "benchmark": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpu_count": __import__("os").cpu_count(),
                    "platform": platform.platform()},
        "rows": rows,
        "summary": summary,
    }, indent=2, ensure_ascii=False, default=str))
    print(f"written: {path}")
    return path
