"""`kiosk catalog search|show|list`: look into the service catalog from a terminal.

    kiosk catalog search sbjf            # Chinese, pinyin initials, full pinyin, English or a code
    kiosk catalog show SI-001            # the whole service guide of one matter
    kiosk catalog list --category tax    # a category's matters (station items first)
    kiosk catalog check [DIR]            # validate the catalog files

`--dir` reads another catalog directory; `--json` prints one JSON document.
"""

from __future__ import annotations

import argparse

from kiosk.cli._output import emit, fail
from kiosk.services.catalog import Catalog, CatalogError, Matter, load_catalog


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("catalog", help="service catalog: search, show, list, check")
    csub = p.add_subparsers(dest="catalog_command", metavar="ACTION")
    csub.required = True

    s = csub.add_parser("search", help="find matters by Chinese, pinyin (initials), English or code")
    s.add_argument("text")
    s.add_argument("--limit", type=int, default=10)
    s.add_argument("--category")
    s.add_argument("--station-only", action="store_true", help="only items the station completes itself")
    _common(s)
    s.set_defaults(func=_search)

    sh = csub.add_parser("show", help="the service guide of one matter")
    sh.add_argument("code")
    sh.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the guide (default zh)")
    _common(sh)
    sh.set_defaults(func=_show)

    ls = csub.add_parser("list", help="categories, or the matters of one category")
    ls.add_argument("--category")
    ls.add_argument("--station-only", action="store_true")
    _common(ls)
    ls.set_defaults(func=_list)

    ck = csub.add_parser("check", help="validate the catalog files")
    _common(ck)
    ck.set_defaults(func=_check)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", default=None, help="catalog directory (default: the catalog shipped with the software)")
    p.add_argument("--json", action="store_true")


def _load(args: argparse.Namespace) -> Catalog:
    return load_catalog(args.dir)


def _brief(m: Matter) -> dict:
    return {"code": m.code, "category": m.category, "name_zh": m.name_zh, "name_en": m.name_en,
            "station": m.station.action if m.station else None, "type": m.type,
            "promised_days": m.promised_days, "fee_fen": m.fee.amount_fen}


def _line(m: Matter) -> str:
    tag = f"[{m.station.action}]" if m.station else "[guide]"
    return f"{m.code}  {tag:<11} {m.name_zh}  ({m.name_en})"


def _search(args: argparse.Namespace) -> int:
    try:
        cat = _load(args)
        hits = cat.search(args.text, limit=args.limit, category=args.category, station_only=args.station_only)
    except CatalogError as exc:
        return fail(args, str(exc))
    payload = {"query": args.text, "count": len(hits),
               "hits": [{**_brief(h.matter), "rank": h.rank, "match": h.match} for h in hits]}
    text = "\n".join(f"{_line(h.matter)}  <{h.match}>" for h in hits) or f"no matter matches {args.text!r}"
    emit(args, payload, text)
    return 0 if hits else 1


def _show(args: argparse.Namespace) -> int:
    try:
        m = _load(args).get(args.code.strip().upper())
    except CatalogError as exc:
        return fail(args, str(exc), {"code": args.code})
    if args.json:
        emit(args, m.model_dump())
        return 0
    if args.lang == "en":
        emit(args, {}, _guide_en(m))
        return 0
    type_zh = "即办件" if m.type == "instant" else "承诺件"
    lines = [
        f"{m.code}  {m.name_zh}", f"      {m.name_en}",
        f"办理方式   {('本机办理：' + {'print': '自助打印', 'apply': '自助申办', 'drop_off': '材料投递'}[m.station.action]) if m.station else '仅提供办事指南'}",
        f"事项类型   {type_zh}（法定时限 {m.statutory_days} 个工作日，承诺时限 {m.promised_days} 个工作日）",
        f"实施机构   {m.authority_zh}",
        f"办理地点   {m.place_zh}",
        f"办理时间   {m.hours_zh}",
        f"受理条件   {m.conditions_zh or '—'}",
        "设定依据   " + "；".join(b.law_zh + b.article_zh for b in m.legal_basis),
        "申请材料",
    ]
    for i, mt in enumerate(m.materials, 1):
        form = {"original": "原件", "copy": "复印件", "original_and_copy": "原件及复印件", "electronic": "电子件"}[mt.form]
        ecert = f"，可用电子证照（{mt.ecert_type}）代替" if mt.ecert_replaceable else ""
        opt = "" if mt.required else "（非必需）"
        lines.append(f"  {i:>2}. {mt.name_zh}{opt}  {form} {mt.pages} 份{ecert}")
    lines.append(f"收费       {'不收费' if m.fee.free else f'{m.fee.yuan} 元（' + m.fee.basis_zh + '）'}")
    lines.append(f"咨询电话   {m.enquiry_phone}")
    lines.append(f"监督投诉   {m.supervision_zh}  {m.supervision_phone}")
    if m.online_zh:
        lines.append(f"网上办理   {m.online_zh}")
    if m.station:
        s = m.station
        lines.append(f"本机说明   {s.note_zh}")
        lines.append(f"           投递格口: {'有' if s.dropoff_compartment else '无'}；智能柜取件: "
                     f"{('有（' + (s.result_size or '') + '格）') if s.result_via_cabinet else '无'}；"
                     f"取件需身份证: {'是' if s.id_card_at_pickup else '否'}")
    emit(args, {}, "\n".join(lines))
    return 0


def _guide_en(m: Matter) -> str:
    how = {"print": "print at this station", "apply": "apply at this station", "drop_off": "drop off papers here"}
    lines = [
        f"{m.code}  {m.name_en}",
        f"How            {how[m.station.action] if m.station else 'guidance only: apply at the place below'}",
        f"Type           {m.type} (statutory limit {m.statutory_days} working days, promised {m.promised_days})",
        f"Authority      {m.authority_en}",
        f"Place          {m.place_en}",
        f"Hours          {m.hours_en}",
        f"Who may apply  {m.conditions_en or '-'}",
        "Legal basis    " + "; ".join(f"{b.law_en} {b.article_en}".strip() for b in m.legal_basis),
        "Materials",
    ]
    for i, mt in enumerate(m.materials, 1):
        ecert = f", an e-certificate ({mt.ecert_type}) can replace it" if mt.ecert_replaceable else ""
        opt = "" if mt.required else " (if applicable)"
        lines.append(f"  {i:>2}. {mt.name_en}{opt}  {mt.form.replace('_', ' ')} x{mt.pages}{ecert}")
    lines.append(f"Fee            {'free' if m.fee.free else f'{m.fee.yuan} yuan ({m.fee.basis_en})'}")
    lines.append(f"Enquiries      {m.enquiry_phone}")
    lines.append(f"Complaints     {m.supervision_en}  {m.supervision_phone}")
    if m.online_en:
        lines.append(f"Online         {m.online_en}")
    if m.station:
        lines.append(f"At the station {m.station.note_en}")
    return "\n".join(lines)


def _list(args: argparse.Namespace) -> int:
    try:
        cat = _load(args)
        if args.category:
            matters = cat.in_category(args.category, station_only=args.station_only)
        else:
            matters = None
    except CatalogError as exc:
        return fail(args, str(exc))
    if matters is None:
        rows = [{"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en,
                 "matters": len(cat.in_category(c.code)), "station_items": len(cat.station_items(c.code))}
                for c in cat.categories]
        text = "\n".join(f"{r['code']:<18} {r['name_zh']:<8} {r['matters']:>4} matters, {r['station_items']} at the station"
                         for r in rows)
        text += f"\ntotal: {len(cat)} matters, {len(cat.station_items())} station items"
        emit(args, {"categories": rows, "total": len(cat), "station_items": len(cat.station_items())}, text)
        return 0
    emit(args, {"category": args.category, "matters": [_brief(m) for m in matters]},
         "\n".join(_line(m) for m in matters))
    return 0


def _check(args: argparse.Namespace) -> int:
    try:
        cat = _load(args)
    except CatalogError as exc:
        return fail(args, str(exc), {"ok": False})
    emit(args, {"ok": True, "dir": cat.source, "categories": len(cat.categories), "matters": len(cat),
                "station_items": len(cat.station_items())},
         f"{cat.source}: OK ({len(cat.categories)} categories, {len(cat)} matters, "
         f"{len(cat.station_items())} station items)")
    return 0
