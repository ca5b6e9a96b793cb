"""`kiosk scan IMAGE... [--out FILE.pdf] [--json] [--flatbed]`: find, correct and judge the page
in each image, read its codes and its text (OCR: `document{kind, confidence, fields, text}`, see
`kiosk.devices.scanner.doc_kinds`), and optionally put the corrected pages into one A4 PDF.

Exit status: 0 when every image was read; 2 when an image file is missing, unreadable or
corrupt (the others are still analysed and reported); 1 when the PDF cannot be written.
"""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.cli._output import emit, fail


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", help="analyse document photos/scans: page, quality, codes; build a PDF")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="JPEG/PNG/... photo or scan of a page")
    p.add_argument("--out", metavar="FILE.pdf", help="write the corrected pages into one A4 PDF")
    p.add_argument("--flatbed", action="store_true", help="images are flatbed scans: the whole image is the page "
                   "when no page edge is found, and cut-off/distance are not judged")
    p.add_argument("--gray", action="store_true", help="store PDF pages in grey (smaller, still lossless)")
    p.add_argument("--no-codes", action="store_true", help="do not read barcodes/QR codes")
    p.add_argument("--no-ocr", action="store_true", help="do not read the text (no document kind or fields)")
    p.add_argument("--config", metavar="FILE", help="station TOML whose [devices.scanner] thresholds to use")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.set_defaults(func=_scan)


def _describe(name: str, r: dict[str, Any]) -> str:
    if "error" in r:
        return f"{name}: ERROR {r['error']}"
    if not r["page_found"]:
        head = f"{name}: no page found"
    else:
        q = r["quality"]
        verdict = "OK" if q["ok"] else "problems: " + ", ".join(q["problems"])
        head = f"{name}: page found, {verdict} (blur {q.get('blur', 0):.0f}, paper {q.get('paper', 0):.0f})"
    codes = "".join(f"\n  {c['type']}: {c['text']!r}" for c in r["codes"])
    doc = r.get("document")
    if doc:
        fields = ", ".join(f"{k}={v}" for k, v in doc["fields"].items() if k not in ("id_numbers", "dates"))
        codes += f"\n  document: {doc['kind']} ({doc['confidence']:.2f}; {doc['rule']})" + (f"\n  fields: {fields}" if fields else "")
    return f"{head} [{r['ms']:.0f} ms]{codes}"


def _read_document(page: Any) -> dict[str, Any]:
    """OCR + document kind + key fields of a corrected page (`document` in the JSON)."""
    from kiosk.devices.scanner.doc_kinds import read_document
    from kiosk.devices.scanner.ocr import OcrUnavailable, read_lines

    try:
        lines, ms = read_lines(page)
    except OcrUnavailable as exc:
        return {"kind": "unknown", "confidence": 0.0, "fields": {}, "text": [], "error": str(exc)}
    return read_document(lines, page.shape[1], page.shape[0], ms).to_json()


def _scan(args: argparse.Namespace) -> int:
    from kiosk.devices.scanner.analyse import ImageError, PageAnalyzer, default_config, load_image

    cfg = default_config()
    if args.config:
        from kiosk.config import ConfigError, load_config
        try:
            cfg = load_config(args.config).devices.scanner
        except ConfigError as exc:
            return fail(args, str(exc))
    analyzer = PageAnalyzer(cfg)
    results: list[dict[str, Any]] = []
    pages = []
    bad = 0
    for name in args.images:
        try:
            image = load_image(name)
            res = analyzer.analyse(image, flatbed=args.flatbed, read_codes=not args.no_codes)
        except ImageError as exc:
            bad += 1
            results.append({"file": name, "error": str(exc)})
            continue
        entry = {"file": name, **res.to_json()}
        if res.page is not None:
            pages.append(res.page)
            if not args.no_ocr:
                entry["document"] = _read_document(res.page)
        results.append(entry)
    payload: dict[str, Any] = {"images": results}
    rc = 2 if bad else 0
    if args.out:
        if not pages:
            payload["pdf_error"] = "no page was found in any image: nothing to put into the PDF"
            rc = rc or 1
        else:
            from kiosk.devices.scanner.pdf import PdfError, write_pdf
            try:
                write_pdf(pages, args.out, gray=args.gray)
                payload["pdf"] = {"file": args.out, "pages": len(pages)}
            except (PdfError, OSError) as exc:
                payload["pdf_error"] = f"{args.out}: {exc}"
                rc = rc or 1
    text = "\n".join(_describe(r["file"], r) for r in results)
    if "pdf" in payload:
        text += f"\nPDF: {args.out} ({len(pages)} A4 page(s))"
    if "pdf_error" in payload:
        text += f"\nPDF not written: {payload['pdf_error']}"
    if bad:
        import sys
        for r in results:
            if "error" in r:
                print(f"kiosk: {r['error']}", file=sys.stderr)
    emit(args, payload, text)
    return rc
