"""The commissioning report: every check with pass / warn / fail and every measured round trip,
as JSON (for the back office and CI) and HTML (for the technician's sign-off), in
`<station root>/var/commissioning/report.json|html`, each written atomically."""

from __future__ import annotations

import html
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from kiosk.provisioning.plan import StationPlan
from kiosk.provisioning.station_toml import write_atomic

Status = Literal["pass", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    check: str  # discover.serial, device.printer, bus.scan, bus.polarity, config, key_file, ...
    target: str
    status: Status
    detail: str = ""
    ms: float | None = None  # a measured round trip, when the check has one

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


REPORT_DIR = Path("var") / "commissioning"


def report_data(plan: StationPlan, checks: list[Check], config_path: str,
                discovered: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    return {
        "station": plan.station_id,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": config_path,
        "summary": {s: sum(1 for c in checks if c.status == s) for s in ("pass", "warn", "fail")},
        "checks": [c.as_json() for c in checks],
        "round_trips_ms": [{"check": c.check, "target": c.target, "ms": c.ms} for c in checks if c.ms is not None],
        "boards": [asdict(b) for b in plan.boards],
        "compartments": [asdict(c) for c in plan.compartments],
        "devices": {role: asdict(d) for role, d in plan.devices.items()},
        "discovered": discovered,
    }


def _ms(v: float | None) -> str:
    return "" if v is None else f"{v:.1f}"


def render_html(data: dict[str, Any]) -> str:
    e = html.escape
    colour = {"pass": "#1b7f3b", "warn": "#a86b00", "fail": "#b00020"}
    rows = "\n".join(
        f"<tr><td>{e(c['check'])}</td><td>{e(c['target'])}</td>"
        f"<td style=\"color:{colour[c['status']]};font-weight:bold\">{e(c['status'])}</td>"
        f"<td>{e(c.get('detail', ''))}</td><td>{_ms(c.get('ms'))}</td></tr>"
        for c in data["checks"])
    boards = "\n".join(
        f"<tr><td>{b['address']}</td><td>{e(b['protocol'])}</td><td>{b['baud']}</td><td>{b['locks']}</td>"
        f"<td>{e(str(b['status_order']))}</td><td>{b['open_bit']}</td><td>{b['round_trip_ms']:.1f}</td></tr>"
        for b in data["boards"])
    comps = "\n".join(f"<tr><td>{e(c['id'])}</td><td>{c['board']}</td><td>{c['lock']}</td><td>{e(c['size'])}</td></tr>"
                      for c in data["compartments"])
    devices = "\n".join(f"<tr><td>{e(role)}</td><td>{e(d['url'])}</td><td>{e(d.get('camera_url') or '')}</td>"
                        f"<td>{e(d['source'])}</td></tr>" for role, d in data["devices"].items())
    s = data["summary"]
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>调试报告 Commissioning report {e(data['station'])}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:1.5em}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}</style></head><body>
<h1>调试报告 / Commissioning report: {e(data['station'])}</h1>
<p>{e(data['when'])} · 配置 config: <code>{e(data['config'])}</code> ·
通过 pass {s['pass']} · 警告 warn {s['warn']} · 失败 fail {s['fail']}</p>
<h2>检查 / Checks</h2>
<table><tr><th>check</th><th>target</th><th>status</th><th>detail</th><th>ms</th></tr>
{rows}</table>
<h2>锁控板 / Lock boards</h2>
<table><tr><th>address</th><th>protocol</th><th>baud</th><th>locks</th><th>status order</th><th>open bit</th>
<th>round trip ms</th></tr>
{boards}</table>
<h2>设备 / Devices</h2>
<table><tr><th>role</th><th>url</th><th>camera_url</th><th>source</th></tr>
{devices}</table>
<h2>格口 / Compartments ({len(data['compartments'])})</h2>
<table><tr><th>id</th><th>board</th><th>lock</th><th>size</th></tr>
{comps}</table>
<p>技术员签字 Technician signature: ____________________</p>
</body></html>
"""


def write_report(root: Path, data: dict[str, Any]) -> tuple[Path, Path]:
    out = root / REPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / "report.json", out / "report.html"
    write_atomic(json_path, json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8"))
    write_atomic(html_path, render_html(data).encode("utf-8"))
    return json_path, html_path
