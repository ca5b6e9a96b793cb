"""`kiosk-office`: run the back office, manage operator accounts.

    kiosk-office run --db URL --broker URL --http HOST:PORT [--mqtt-user U --mqtt-password-file F]
                     [--signing-key PEM] [--reference-photos DIR] [--applicant-key PATH]
    kiosk-office user add --db URL --name NAME --role ROLE --password-stdin
    kiosk-office holidays send --file NOTICE.toml --station ID [--station ID ...] --broker URL --signing-key KEY
    kiosk-office migrate --db URL
    kiosk-office ecert import --db URL [--applicant-key PATH] FILE     (e-certificates per person, JSON: office/ecerts.py)

URL is `sqlite:///PATH` or `postgresql://USER@HOST:PORT/DB`. Either command creates or migrates
the schema. Exit codes: 0 ok, 2 bad arguments or input, 3 database unreachable, 4 broker.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from sqlalchemy.exc import OperationalError

from office.db import DatabaseUrlError, create_engine, migrate
from office.schema import ROLES


def _engine(url: str):  # type: ignore[no-untyped-def]
    try:
        engine = create_engine(url)
        migrate(engine)
        return engine
    except DatabaseUrlError as exc:
        print(f"kiosk-office: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except OperationalError as exc:
        print(f"kiosk-office: cannot open the database {url!r}: {str(exc.orig).strip()[:300]}\n"
              "  check that the server runs and the URL (user, host, port, database) is right", file=sys.stderr)
        raise SystemExit(3) from None


def cmd_user_add(args: argparse.Namespace) -> int:
    from office.accounts import AccountError, add_user

    if not args.password_stdin:
        print("kiosk-office: pass --password-stdin and the password on standard input (never on the command line)",
              file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\r\n")
    engine = _engine(args.db)
    try:
        user = add_user(engine, args.name, args.role, password, actor="cli")
    except AccountError as exc:
        print(f"kiosk-office: {exc}", file=sys.stderr)
        return 2
    print(f"user {user.name} ({user.role}) created")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    _engine(args.db)
    print("schema is up to date")
    return 0


def cmd_ecert_import(args: argparse.Namespace) -> int:
    from office.ecerts import EcertError, import_records

    engine = _engine(args.db)
    key = _applicant_key(args.db, args.applicant_key)
    try:
        n = import_records(engine, Path(args.file), key=key)
    except EcertError as exc:
        print(f"kiosk-office: {exc} (nothing was imported)", file=sys.stderr)
        return 2
    print(f"{n} e-certificate record(s) imported")
    return 0


def _applicant_key(db: str, path: str | None):  # type: ignore[no-untyped-def]
    """The office secret of applicant fingerprints (office.applicant_key), made once if missing."""
    from office.applicant_key import KeyFileError, default_path, load_or_create

    where = Path(path) if path else default_path(db)
    if where is None:
        print("kiosk-office: --applicant-key PATH is needed with a database that is not a SQLite file "
              "(the same file for every office process of this database)", file=sys.stderr)
        raise SystemExit(2)
    existed = where.exists()
    try:
        key = load_or_create(where)
    except KeyFileError as exc:
        print(f"kiosk-office: --applicant-key: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    if not existed:
        print(f"created the applicant fingerprint key {where}; back it up with the database")
    return key


def _signing_key(path: str | None):  # type: ignore[no-untyped-def]
    from kiosk.services.fleet import signing

    if path is None:
        return None
    p = Path(path)
    if not p.exists():
        key = signing.generate()
        signing.save_private(key, p)
        print(f"created the command signing key {p}; stations verify with public key {signing.public_hex(key)}")
        return key
    try:
        return signing.load_private(p)
    except ValueError as exc:
        print(f"kiosk-office: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_run(args: argparse.Namespace) -> int:
    import uvicorn

    from office.mqtt_service import OfficeMqtt
    from office.web.app import Console, build_app

    host, _, port = args.http.rpartition(":")
    if not host or not port.isdigit():
        print(f"kiosk-office: --http {args.http!r}: expected HOST:PORT, e.g. 127.0.0.1:8080", file=sys.stderr)
        return 2
    # the MQTT network thread must not wait 5 ms for the GIL behind the ingest thread's batches
    sys.setswitchinterval(0.0005)
    engine = _engine(args.db)
    key = _signing_key(args.signing_key)
    applicant_key = _applicant_key(args.db, args.applicant_key)
    password = os.environ.get("OFFICE_MQTT_PASSWORD", "")
    if args.mqtt_password_file:
        try:
            password = Path(args.mqtt_password_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            print(f"kiosk-office: --mqtt-password-file: {exc}", file=sys.stderr)
            return 2
    from office.reference_photos import PhotoRegister

    from office.payments import Refunder, SimulatedProvider

    # one provider for the whole process: station calls (orders, codes) and console refunds share it
    provider = SimulatedProvider(pay_after_s=args.sim_pay_after_s)
    mqtt_service = None
    if args.broker:
        try:
            photos = PhotoRegister(args.reference_photos) if args.reference_photos else None
            mqtt_service = OfficeMqtt(engine, args.broker, args.mqtt_user, password, group=args.group,
                                      ca_file=args.ca_file, signing_key=key, photos=photos, applicant_key=applicant_key,
                                      pay_after_s=args.sim_pay_after_s, provider=provider).start(wait=args.broker_wait)
        except ValueError as exc:
            print(f"kiosk-office: {exc}", file=sys.stderr)
            return 2
        except RuntimeError as exc:
            print(f"kiosk-office: {exc}", file=sys.stderr)
            return 4
    from office.alarms import Escalator
    from office.pickups import Reminders
    from office.sms import Sender, gateway_for

    try:
        gateway = gateway_for(args.sms)
        sms_token = Path(args.sms_token_file).read_text(encoding="utf-8").strip() if args.sms_token_file else ""
    except (ValueError, OSError) as exc:
        print(f"kiosk-office: {exc}", file=sys.stderr)
        return 2
    sender = Sender(engine, gateway).start()
    escalator = Escalator(engine, args.escalate_after_s).start() if args.escalate_after_s > 0 else None
    refunder = Refunder(engine, provider, args.refund_after_s).start() if args.refund_after_s > 0 else None
    reminders = Reminders(engine, args.pickup_days).start()
    app = build_app(Console(engine, mqtt_service, key, sms_token=sms_token, payments=provider,
                            pickup_days=args.pickup_days))
    print(f"office console on http://{host}:{port}/  (database {engine.url.render_as_string(hide_password=True)}, "
          f"broker {args.broker or 'none'})", flush=True)
    print(f"  first operator account: kiosk-office user add --db {args.db} --name NAME --role admin --password-stdin",
          flush=True)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=int(port), log_level=args.log_level.lower(),
                                           access_log=False, timeout_graceful_shutdown=3))
    try:
        server.run()
    finally:
        sender.stop()
        reminders.stop()
        if escalator is not None:
            escalator.stop()
        if refunder is not None:
            refunder.stop()
        if mqtt_service is not None:
            mqtt_service.stop()
    return 0


def cmd_holidays_send(args: argparse.Namespace) -> int:
    """Sign the holiday notice(s) of a TOML file into each station's desired settings and publish them."""
    from kiosk.services.fleet import signing
    from kiosk.services.holiday_notices import NoticeError, load_notices
    from office.desired import desired_document, publish_desired

    try:
        notices = load_notices(Path(args.file).read_text(encoding="utf-8"), args.file)
        key = signing.load_private(args.signing_key)
    except (OSError, ValueError) as exc:  # NoticeError is a ValueError
        print(f"kiosk-office: {exc}", file=sys.stderr)
        return 2
    if not notices:
        print(f"kiosk-office: {args.file}: no [[notice]] in it", file=sys.stderr)
        return 2
    settings = {"holidays": [n.as_json() for _, n in sorted(notices.items())]}
    try:
        docs = [desired_document(station, settings, key) for station in args.station]
        password = os.environ.get("OFFICE_MQTT_PASSWORD", "")
        if args.mqtt_password_file:
            password = Path(args.mqtt_password_file).read_text(encoding="utf-8").strip()
        publish_desired(args.broker, args.mqtt_user, password, docs, ca_file=args.ca_file)
    except (OSError, ValueError, RuntimeError, NoticeError) as exc:
        print(f"kiosk-office: {exc}", file=sys.stderr)
        return 4 if isinstance(exc, RuntimeError) else 2
    print(f"holiday notices {', '.join(map(str, sorted(notices)))} sent to {len(docs)} station(s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kiosk-office", description="The back office of the self-service stations.")
    p.add_argument("--log-level", default="INFO")
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="ingest station messages, answer stations, serve the console")
    r.add_argument("--db", required=True, help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB")
    r.add_argument("--broker", default="", help="mqtt://HOST:PORT or mqtts://HOST:PORT (empty: console only)")
    r.add_argument("--http", default="127.0.0.1:8080", help="HOST:PORT of the console")
    r.add_argument("--mqtt-user", default="backoffice", help="MQTT user (= client id: one per office process)")
    r.add_argument("--mqtt-password-file", help="file holding the MQTT password (else $OFFICE_MQTT_PASSWORD)")
    r.add_argument("--ca-file", help="CA certificate for mqtts://")
    r.add_argument("--group", default="office", help="shared-subscription group of the office processes")
    r.add_argument("--signing-key", help="Ed25519 private key (PEM) for commands; created if missing")
    r.add_argument("--escalate-after-s", type=float, default=900.0,
                   help="escalate an alarm nobody acknowledged within this time (0: never)")
    r.add_argument("--pickup-days", type=int, default=7, choices=range(1, 91), metavar="1-90",
                   help="days a result may wait in a compartment before it is an overdue pickup (reminder SMS; "
                        "the console's setting overrides it)")
    r.add_argument("--sms", default="log:", help="SMS gateway: log: (default) or http(s)://HOST/PATH")
    r.add_argument("--sms-token-file", help="shared token the SMS provider sends with delivery reports")
    r.add_argument("--sim-pay-after-s", type=float, default=5.0,
                   help="the built-in simulated payment provider pays an order this long after it is opened")
    r.add_argument("--refund-after-s", type=float, default=1800.0,
                   help="refund a paid order whose case was not submitted within this time (0: never)")
    r.add_argument("--broker-wait", type=float, default=15.0, help="seconds to wait for the broker at start")
    r.add_argument("--reference-photos", help="directory of <ID number>.jpg register photos for the stations' "
                                             "face check (none: the stations are told no photo is available)")
    r.add_argument("--applicant-key", help="the office secret of applicant fingerprints (32-byte file, created if "
                                          "missing; default: applicant-fp.key next to a SQLite database)")
    r.set_defaults(func=cmd_run)
    u = sub.add_parser("user", help="operator accounts").add_subparsers(dest="ucmd", required=True)
    ua = u.add_parser("add", help="create an operator account")
    ua.add_argument("--db", required=True)
    ua.add_argument("--name", required=True)
    ua.add_argument("--role", required=True, choices=ROLES)
    ua.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    ua.set_defaults(func=cmd_user_add)
    h = sub.add_parser("holidays", help="the State Council holiday notice, sent to stations").add_subparsers(
        dest="hcmd", required=True)
    hs = h.add_parser("send", help="sign a notice file into the stations' desired settings and publish it")
    hs.add_argument("--file", required=True, help="TOML with one [[notice]] per year (as kiosk/config/holidays.toml)")
    hs.add_argument("--station", action="append", required=True, help="station id (repeat for several)")
    hs.add_argument("--broker", required=True, help="mqtt://HOST:PORT or mqtts://HOST:PORT")
    hs.add_argument("--mqtt-user", default="backoffice")
    hs.add_argument("--mqtt-password-file", help="file holding the MQTT password (else $OFFICE_MQTT_PASSWORD)")
    hs.add_argument("--ca-file", help="CA certificate for mqtts://")
    hs.add_argument("--signing-key", required=True, help="the office's Ed25519 command key (PEM)")
    hs.set_defaults(func=cmd_holidays_send)
    m = sub.add_parser("migrate", help="create or upgrade the schema")
    m.add_argument("--db", required=True)
    m.set_defaults(func=cmd_migrate)
    e = sub.add_parser("ecert", help="e-certificates the authority holds").add_subparsers(dest="ecmd", required=True)
    ei = e.add_parser("import", help="import e-certificate records (JSON list; all or nothing)")
    ei.add_argument("--db", required=True)
    ei.add_argument("file", help="JSON file: [{id_number, type, name_zh, name_en, number_masked, issuer_zh, "
                                 "valid_until?, media_type, content_b64}, ...]")
    ei.add_argument("--applicant-key", help="the office secret of applicant fingerprints, as for `run`")
    ei.set_defaults(func=cmd_ecert_import)
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
