"""`make run`: the whole system on one machine — a private mosquitto, the back office (`office/`, on
SQLite, its console on http://127.0.0.1:8080) and the simulated station joined to them.

    .venv/bin/python scripts/run_system.py [kiosk run options...]

1. mosquitto on 127.0.0.1:18830 with the fleet ACL and one user per party (hw_sim/broker.py);
2. `kiosk-office run` on var/system/office/office.db (kept between runs, so the operator accounts
   you create stay), signing commands with var/system/office/command.key, holding the sample
   people's e-certificates (`hw_sim.ecert_seed`, imported with `kiosk-office ecert import`);
3. the station: config/sim.toml joined to that broker, verifying the office's commands with its
   public key — `kiosk run` on it (the simulators start as their own process; without a display the
   scripted visits play through the real screens and the run ends).
The office's console address and the command that creates the first operator account are printed
at start. Everything started here is stopped when the station's run ends (Ctrl-C included).
The station talks to the office for everything (`[backoffice] mode = "mqtt"`): citizens' calls
(submit, status, consent, payment, notifications) are RPCs over the broker; events, alarms, health
and commands travel over MQTT. What the scripted visits need from the back office (approving a
case so staff can deposit its result) is done as a person does it: an operator account `visits`
(role approver, random password in var/system/secrets/office-visits.pw) on the office's JSON API.
The office's register of reference photos (the station's face check) is var/system/office/register,
filled with the sample people's faces. Without a display (the scripted visits on a fresh station
store) the office gets a fresh database per run.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BROKER_PORT = int(os.environ.get("KIOSK_BROKER_PORT", "18830"))
CONSOLE = os.environ.get("KIOSK_CONSOLE", "127.0.0.1:8080")
STATION_ID = "sim-0001"
OPERATOR = "visits"  # the scripted visits' operator account (role approver)


def say(text: str) -> None:
    print(f"\033[1m[system]\033[0m {text}", flush=True)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _wait_http(address: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    host, port = address.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the back office exited with {proc.returncode} (see var/system/office/office.log)")
        try:
            with socket.create_connection((host, int(port)), timeout=0.3):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the back office's console did not answer on {address} within {timeout:.0f} s")


def _secret(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def _section(text: str, name: str, body: list[str], base: Path) -> str:
    """`text` with the TOML section [name] (its key lines and comments) replaced by `body`."""
    text, n = re.subn(rf"(?m)^\[{name}\]\n(?:(?:#.*|[a-z_]+ = .*)\n)*", "\n".join([f"[{name}]", *body]) + "\n\n",
                      text)
    if n != 1:
        raise RuntimeError(f"{base}: no [{name}] section to fill in for make run")
    return text


def station_config(base: Path, broker_url: str, password_file: Path, public_key: str, out: Path,
                   console: str | None = None, operator_password_file: Path | None = None) -> Path:
    """`base` joined to the broker; with `console`, talking to the office for everything
    ([backoffice] mode = "mqtt") and its scripted visits acting as the operator OPERATOR."""
    text = base.read_text(encoding="utf-8")
    if console is not None:
        text = _section(text, "backoffice", ['mode = "mqtt"  # every back-office call goes to the office'], base)
        sim = re.search(r"(?m)^\[simulator\]\n((?:(?:#.*|[a-z_]+ = .*)\n)*)", text)
        if sim is None:
            raise RuntimeError(f"{base}: no [simulator] section for the scripted visits' operator")
        keep = [ln for ln in sim.group(1).splitlines() if not ln.startswith("office_")]
        text = _section(text, "simulator", keep + [f'office_console = "http://{console}"', f'office_user = "{OPERATOR}"',
                                                   f'office_password_file = "{operator_password_file}"'], base)
    text = _section(text, "fleet", [
        f'broker = "{broker_url}"',
        f'username = "{STATION_ID}"',
        f'password_file = "{password_file}"',
        f'command_public_key = "{public_key}"',
        "allow_insecure = true  # plain MQTT on 127.0.0.1 for this one-machine demo; a station uses mqtts://",
        "outbox_max_age_s = 31536000  # the scripted staff-retrieve visit moves the clock a month",
        "reconnect_spread_s = 1.0",
        "heartbeat_s = 10",
    ], base)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out


def operator_account(db: str, password_file: Path, env: dict[str, str]) -> None:
    """The scripted visits' operator account (role approver), created once with a random password kept
    in `password_file`; the office database and the file are kept between runs."""
    fresh = not password_file.exists()
    password = _secret(password_file)
    r = subprocess.run([sys.executable, "-m", "office.cli", "user", "add", "--db", db, "--name", OPERATOR,
                        "--role", "approver", "--password-stdin"], input=password + "\n", text=True,
                       capture_output=True, cwd=ROOT, env=env)
    if r.returncode == 0:
        return
    if "exists already" in r.stderr and not fresh:
        return  # made by an earlier run, with this password
    raise RuntimeError(f"the scripted visits' operator account {OPERATOR!r}: {r.stderr.strip()[:300]}"
                       + (f" (its password file {password_file} is new but the account is not: delete the office "
                          "database var/system/office/office.db to start over)" if "exists already" in r.stderr
                          else ""))


def photo_register(out: Path) -> Path:
    """The office's register of reference photos for this demo: the sample people's faces as
    `<ID number>.jpg` (the station's face check compares the live face with these)."""
    import io

    from PIL import Image

    from hw_sim.identities import SAMPLE_IDENTITIES, testdata_faces_dir

    faces = testdata_faces_dir()
    out.mkdir(parents=True, exist_ok=True)
    for ident in SAMPLE_IDENTITIES.values():
        target = out / f"{ident.id_number.strip().upper()}.jpg"
        paths = ident.face_paths(faces)
        if target.exists() or not paths or not paths[0].is_file():
            continue
        with Image.open(paths[0]) as img:
            buf = io.BytesIO()
            img.convert("RGB").save(buf, "JPEG", quality=90)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, target)
    return out


def headless(argv: list[str]) -> bool:
    return "--headless" in argv or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str]) -> int:
    from hw_sim.broker import LocalBroker
    from kiosk.services.fleet import signing

    state = ROOT / "var" / "system"
    office_dir = state / "office"
    office_dir.mkdir(parents=True, exist_ok=True)
    if not _port_free(BROKER_PORT):
        say(f"port {BROKER_PORT} is taken: is another `make run` running? (KIOSK_BROKER_PORT=... picks another)")
        return 1
    if not _port_free(int(CONSOLE.rsplit(":", 1)[1])):
        say(f"{CONSOLE} is taken: is another `make run` running? (KIOSK_CONSOLE=127.0.0.1:PORT picks another)")
        return 1
    passwords = {"backoffice": _secret(state / "secrets" / "backoffice.pw"),
                 STATION_ID: _secret(state / "secrets" / f"{STATION_ID}.pw")}
    broker = LocalBroker(state / "broker", passwords, port=BROKER_PORT)
    office = None
    try:
        broker.start()
        say(f"broker: mosquitto on {broker.url}")
        key_path = office_dir / "command.key"
        if not key_path.exists():
            signing.save_private(signing.generate(), key_path)
        public = signing.public_hex(signing.load_private(key_path))
        db = f"sqlite:///{office_dir / 'office.db'}"
        if headless(argv):
            # the scripted visits run on a fresh station store each time (case numbers start over):
            # a fresh office database too, kept for a look afterwards
            db = f"sqlite:///{Path(tempfile.mkdtemp(prefix='office-visits-')) / 'office.db'}"
        env = dict(os.environ, OFFICE_MQTT_PASSWORD=passwords["backoffice"],
                   PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        seed = office_dir / "ecerts.json"  # the sample people's e-certificates (hw_sim.ecert_seed)
        for step in (["-m", "hw_sim.ecert_seed", str(seed)], ["-m", "office.cli", "ecert", "import", "--db", db, str(seed)]):
            done = subprocess.run([sys.executable, *step], cwd=ROOT, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"seeding e-certificates failed: {done.stderr.strip()[-300:]}")
        with open(office_dir / "office.log", "a", encoding="utf-8") as log:
            office = subprocess.Popen([sys.executable, "-m", "office.cli", "run", "--db", db, "--broker", broker.url,
                                       "--http", CONSOLE, "--mqtt-user", "backoffice", "--signing-key", str(key_path),
                                       "--reference-photos", str(photo_register(office_dir / "register")),
                                       # a payment code shown at once pays before the provider does by itself
                                       "--sim-pay-after-s", "12"],
                                      cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        _wait_http(CONSOLE, office)
        say(f"back office: console on http://{CONSOLE}  (database {db})")
        say("first operator account:  echo 'a-password-of-10+' | .venv/bin/kiosk-office user add "
            f"--db {db} --name admin --role admin --password-stdin")
        operator_pw = state / "secrets" / f"office-{OPERATOR}.pw"
        operator_account(db, operator_pw, env)
        cfg = station_config(Path(os.environ.get("KIOSK_CONFIG", ROOT / "config" / "sim.toml")), broker.url,
                             state / "secrets" / f"{STATION_ID}.pw", public, state / "station.toml",
                             console=CONSOLE, operator_password_file=operator_pw)
        say(f"station: {STATION_ID} joined to the broker, back office = the office ({cfg}); the scripted "
            f"visits' operator: {OPERATOR}")
        looks = ["--also-shoot", "en,elder"] if headless(argv) and "--also-shoot" not in argv else []
        run = subprocess.run([sys.executable, "-m", "kiosk", "run", "--config", str(cfg), *looks, *argv], cwd=ROOT)
        return run.returncode
    except KeyboardInterrupt:
        return 130
    except RuntimeError as exc:
        say(str(exc))
        return 1
    finally:
        if office is not None and office.poll() is None:
            office.send_signal(signal.SIGTERM)
            try:
                office.wait(10)
            except subprocess.TimeoutExpired:
                office.kill()
        broker.terminate()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
