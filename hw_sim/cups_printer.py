"""A private CUPS with a simulated A4 printer that writes PDFs (cups-pdf), and its faults.

`PrivateCups(root).start()` runs Debian's `cupsd -f` with its own configuration, spool, logs and
state under `root`, listening on a Unix socket (`root/cups.sock`) and on 127.0.0.1:PORT; nothing
of the system's CUPS is used or changed, with one exception below. `add_queue("A4")` creates a
queue whose device is our small backend `kiosk-pdf:/INSTANCE`, which
- reports the printer's state to CUPS the way a real driver does (`STATE: +media-empty-error`,
  `STATE: +media-jam-error`, `ATTR: marker-levels=...` for the toner), from fault files the
  control commands write (`paper_out`, `jam`, `toner_low`, `toner_out`, `clear`);
- with no fault, hands the job to Debian's cups-pdf backend, which writes the PDF into `out/`
  (named `<title>-job_<id>.pdf`).

The one exception: cups-pdf reads its configuration only from `/etc/cups` (the path is compiled
in; `CUPS_SERVERROOT` is ignored). Each instance `NAME` reads `/etc/cups/cups-pdf-NAME.conf`, so
every `PrivateCups` writes its own uniquely named file there (output and spool directories under
`root`) and removes it on `stop()`. The system's `cups-pdf.conf` is never touched.

A fault takes effect at once: the control command sends a zero-output probe job (title
`kiosk-sim-probe`) so CUPS learns the new state, as a printer reports an empty tray by itself.
Needs root (cupsd drops to user `lp` for filters; the cups-pdf backend runs as root).
Debian packages: cups, cups-client, cups-bsd, printer-driver-cups-pdf.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from hw_sim.control import ControlError, SimDevice

CUPS_PDF_CONF_DIR = Path("/etc/cups")
PPD = "lsb/usr/cups-pdf/CUPS-PDF_opt.ppd"
PROBE_TITLE = "kiosk-sim-probe"
FAULTS = ("paper_out", "jam", "toner_low", "toner_out", "clear")

_BACKEND = r"""#!/bin/sh
# kiosk-pdf:/INSTANCE - the simulated A4 printer (hw_sim/cups_printer.py). Faults: FAULT_DIR/INSTANCE
FAULT_DIR='@FAULT_DIR@'
if [ $# -eq 0 ]; then echo 'file kiosk-pdf:/ "Kiosk simulated A4 printer" "Kiosk simulated A4 printer"'; exit 0; fi
inst="${DEVICE_URI#kiosk-pdf:/}"
fault=$(cat "$FAULT_DIR/$inst" 2>/dev/null)
toner=80
case "$fault" in toner_low) toner=5;; toner_out) toner=0;; esac
echo "ATTR: marker-names=Black marker-types=toner marker-colors=#000000 marker-levels=$toner" >&2
case "$fault" in
  paper_out) echo "STATE: +media-empty-error" >&2; reason="out of paper";;
  jam) echo "STATE: +media-jam-error" >&2; reason="paper jam";;
  *) echo "STATE: -media-empty-error,media-jam-error" >&2; reason="";;
esac
case "$fault" in
  toner_low) echo "STATE: +toner-low-report" >&2; echo "STATE: -toner-empty-error" >&2;;
  toner_out) echo "STATE: +toner-empty-error" >&2; reason="${reason:-toner empty}";;
  *) echo "STATE: -toner-low-report,toner-empty-error" >&2;;
esac
if [ "$3" = "@PROBE@" ]; then exit 0; fi
if [ -n "$reason" ]; then echo "ERROR: $reason" >&2; exit 4; fi
DEVICE_URI="cups-pdf:/$inst" exec /usr/lib/cups/backend/cups-pdf "$@"
"""


class CupsError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateCups(SimDevice):
    """One private cupsd. Control commands: fault(queue, kind), state(queue), outputs()."""

    sim_name = "docprinter"

    def __init__(self, root: str | Path | None = None, port: int | None = None,
                 out_dir: str | Path | None = None) -> None:
        # cupsd runs filters as `lp`: every directory on the way must be traversable by it, which
        # a pytest tmp_path (mode 700) is not. So the daemon's tree is always a fresh 755 dir.
        if root:
            for parent in [Path(root).resolve(), *Path(root).resolve().parents]:
                if not parent.stat().st_mode & 0o001:
                    raise CupsError(f"{parent} is not traversable by user lp (mode 700?): put the private CUPS "
                                    "under /tmp or leave root unset")
        base = Path(tempfile.mkdtemp(prefix="kiosk-cups-", dir=str(root) if root else None))
        base.chmod(0o755)
        self.root = base
        self.port = port or _free_port()
        self.instance = "kiosk" + secrets.token_hex(4)
        self.socket_path = base / "cups.sock"
        self.out_dir = Path(out_dir).resolve() if out_dir else base / "out"  # cups-pdf writes as root: any dir
        self.fault_dir = base / "faults"
        self.proc: subprocess.Popen[bytes] | None = None
        self.queues: list[str] = []
        self._conf = CUPS_PDF_CONF_DIR / f"cups-pdf-{self.instance}.conf"

    # ------------------------------------------------------------------ lifecycle
    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "CUPS_SERVER": str(self.socket_path)}

    @property
    def server(self) -> str:
        return str(self.socket_path)

    def start(self, timeout: float = 10.0) -> "PrivateCups":
        if shutil.which("cupsd") is None or not Path("/usr/lib/cups/backend/cups-pdf").exists():
            raise CupsError("cupsd or cups-pdf missing: apt-get install cups cups-client cups-bsd printer-driver-cups-pdf")
        if os.geteuid() != 0:
            raise CupsError("a private cupsd with cups-pdf needs root (the cups-pdf backend runs as root)")
        b = self.root
        for d in ("spool", "cache", "state", "log", "tmp", "cpspool", "faults", "ppd", "sbin/backend"):
            (b / d).mkdir(parents=True, exist_ok=True)
        for d in ("spool", "cache", "state", "log", "tmp"):
            shutil.chown(b / d, "lp", "lp")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        # ServerBin: the system's filters and backends, plus ours
        for d in ("filter", "daemon", "cgi-bin", "notifier", "monitor", "driver"):
            if Path("/usr/lib/cups", d).exists():
                (b / "sbin" / d).symlink_to(Path("/usr/lib/cups", d))
        for backend in Path("/usr/lib/cups/backend").iterdir():
            (b / "sbin/backend" / backend.name).symlink_to(backend)
        script = b / "sbin/backend/kiosk-pdf"
        script.write_text(_BACKEND.replace("@FAULT_DIR@", str(self.fault_dir)).replace("@PROBE@", PROBE_TITLE))
        script.chmod(0o700)  # 0700 + owned by root: cupsd runs it as root, as cups-pdf needs
        (b / "cups-files.conf").write_text("\n".join([
            f"ServerRoot {b}", f"RequestRoot {b}/spool", f"TempDir {b}/tmp", f"CacheDir {b}/cache",
            f"StateDir {b}/state", f"AccessLog {b}/log/access_log", f"ErrorLog {b}/log/error_log",
            f"PageLog {b}/log/page_log", f"ServerBin {b}/sbin", "DataDir /usr/share/cups", f"Printcap {b}/printcap",
            "User lp", "Group lp", "SystemGroup root", "FileDevice No", ""]))
        (b / "cupsd.conf").write_text("\n".join([
            f"Listen {self.socket_path}", f"Listen 127.0.0.1:{self.port}", "LogLevel info", "WebInterface No",
            "Browsing No", "DefaultAuthType None", "JobRetryLimit 0", "PreserveJobFiles No",
            "<Location />", "  Order allow,deny", "  Allow localhost", "</Location>",
            "<Policy default>", "  <Limit All>", "    Order deny,allow", "  </Limit>", "</Policy>", ""]))
        self._conf.write_text("\n".join([
            f"Out {self.out_dir}", f"AnonDirName {self.out_dir}", f"Spool {b}/cpspool", f"Log {b}/log",
            "LogType 3", "Label 1", "UserUMask 0022", "TitlePref 1", ""]))
        log = open(b / "log/cupsd.out", "wb")
        self.proc = subprocess.Popen(["cupsd", "-f", "-c", str(b / "cupsd.conf"), "-s", str(b / "cups-files.conf")],
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CupsError(f"cupsd exited with {self.proc.returncode}: {self._log_tail()}")
            if self.socket_path.exists() and self._lpstat_ok():
                return self
            time.sleep(0.05)
        self.stop()
        raise CupsError(f"cupsd did not answer within {timeout} s: {self._log_tail()}")

    def _lpstat_ok(self) -> bool:
        return subprocess.run(["lpstat", "-r"], env=self.env, capture_output=True, text=True).stdout.startswith(
            "scheduler is running")

    def _log_tail(self) -> str:
        texts = []
        for name in ("cupsd.out", "error_log"):
            p = self.root / "log" / name
            if p.exists():
                texts.append(p.read_text(errors="replace")[-800:])
        return " | ".join(texts)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        self._conf.unlink(missing_ok=True)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def close(self) -> None:
        """Stop the daemon and remove its tree (the control hub's shutdown)."""
        self.cleanup()

    def __enter__(self) -> "PrivateCups":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.cleanup()

    # ------------------------------------------------------------------ queues
    def lp(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        res = subprocess.run(list(args), env=self.env, capture_output=True, text=True, timeout=30)
        if check and res.returncode != 0:
            raise CupsError(f"{' '.join(args)}: {res.stderr.strip() or res.stdout.strip()}")
        return res

    def add_queue(self, name: str = "A4") -> str:
        # pdftocairo turns the PDF into PostScript keeping the text's Unicode (poppler's pdftops
        # and Ghostscript's ps2write lose CJK text), so the PDF cups-pdf makes can be read back
        self.lp("lpadmin", "-p", name, "-E", "-v", f"kiosk-pdf:/{self.instance}", "-m", PPD,
                "-o", "media=iso_a4_210x297mm", "-o", "printer-error-policy=stop-printer",
                "-o", "pdftops-renderer-default=pdftocairo")
        self.queues.append(name)
        return name

    def url(self, queue: str = "A4") -> str:
        """The station's device URL for this queue (`cups://QUEUE?server=SOCKET`)."""
        return f"cups://{queue}?server={self.socket_path}"

    def ipp_url(self, queue: str = "A4") -> str:
        return f"ipp://127.0.0.1:{self.port}/printers/{queue}"

    def output_for(self, job_id: int, timeout: float = 10.0) -> Path:
        """The PDF cups-pdf wrote for this job (waits for it to appear complete)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hits = [p for p in self.out_dir.glob(f"*job_{job_id}.pdf")]
            if hits and hits[0].stat().st_size > 0 and hits[0].read_bytes().rstrip().endswith(b"%%EOF"):
                return hits[0]
            time.sleep(0.05)
        raise CupsError(f"no output PDF for job {job_id} in {self.out_dir} (have: "
                        f"{sorted(p.name for p in self.out_dir.iterdir())})")

    def outputs(self) -> list[Path]:
        return sorted(self.out_dir.glob("*.pdf"))

    # ------------------------------------------------------------------ faults
    def set_fault(self, queue: str, kind: str) -> None:
        if kind not in FAULTS:
            raise ControlError(f"docprinter: fault must be one of {', '.join(FAULTS)}, not {kind!r}")
        if queue not in self.queues:
            raise ControlError(f"docprinter: no queue {queue!r} (have: {', '.join(self.queues) or 'none'})")
        path = self.fault_dir / self.instance
        if kind == "clear":
            path.unlink(missing_ok=True)
        else:
            path.write_text(kind)
        # cancel what is stuck, resume the queue, and let the printer report its state now
        self.lp("cancel", "-a", queue, check=False)
        self.lp("cupsenable", queue)
        probe = self.root / "tmp" / "probe.txt"
        probe.write_text("probe\n")
        res = self.lp("lp", "-d", queue, "-t", PROBE_TITLE, str(probe))
        job = res.stdout.split("request id is ")[-1].split()[0] if "request id is" in res.stdout else ""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done = self.lp("lpstat", "-W", "completed", "-o", queue, check=False).stdout
            if job and job in done:
                return
            time.sleep(0.05)
        raise CupsError(f"probe job {job} did not complete: {self._log_tail()}")

    def cmd_fault(self, kind: str, queue: str = "A4") -> str:
        """Make the printer report a fault now: paper_out, jam, toner_low, toner_out, or clear."""
        self.set_fault(queue, kind)
        return kind

    def cmd_output(self, job_id: int | str, timeout: float = 10.0) -> str:
        """The PDF the printer produced for one job (waits for it)."""
        try:
            return str(self.output_for(int(job_id), timeout))
        except (CupsError, ValueError) as exc:
            raise ControlError(f"docprinter: {exc}") from None

    def cmd_outputs(self) -> list[str]:
        """PDFs the printer produced so far."""
        return [str(p) for p in self.outputs()]

    def cmd_state(self) -> dict[str, Any]:
        """Daemon and queue summary."""
        fault = self.fault_dir / self.instance
        return {"running": self.proc is not None and self.proc.poll() is None, "socket": str(self.socket_path),
                "port": self.port, "queues": list(self.queues),
                "fault": fault.read_text() if fault.exists() else "none", "outputs": len(self.outputs())}
