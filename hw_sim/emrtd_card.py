"""A virtual eMRTD (passport) on vpcd: the card side of PC/SC without hardware.

vpcd (the `vsmartcard-vpcd` pcscd driver) listens on 127.0.0.1:35963 for the first virtual
reader (`Virtual PCD 00 00`); a card is a TCP client there. Every message is a 2-byte big-endian
length + payload; a 1-byte payload is a control code (0 power off, 1 power on, 2 reset, 4 get
ATR), anything longer is a command APDU answered with a response APDU. Closing the socket is
the card leaving the field.

Control commands: insert(identity=key, photo_format="jpeg"|"jp2"), remove(), tamper(dg=1|2),
fault(kind="bad_mac", count=1), state(), trust_store(directory).
`python -m hw_sim.emrtd_card [--identity KEY] [--port 35963] [--control SOCKET]`.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
from typing import Any

from hw_sim.control import ControlError, ControlHub, SimDevice, serve_until_stopped
from hw_sim.emrtd.chip import Chip
from hw_sim.emrtd.documents import build_files, td3_mrz, sim_pki
from hw_sim.identities import get_identity

VPCD_PORT = 35963
# ISO 14443-4 card as PC/SC part 3 maps it: 3B 88 80 01 + 8 historical bytes + TCK (XOR of T0..)
ATR = bytes.fromhex("3B888001000000000000000009")


def reader_name(index: int = 0) -> str:
    return f"Virtual PCD 00 {index:02d}"


class VirtualPassport(SimDevice):
    sim_name = "passport"

    def __init__(self, port: int = VPCD_PORT, host: str = "127.0.0.1", reader_index: int = 0,
                 reader: str | None = None) -> None:
        self.host, self.port, self.reader_index = host, port, reader_index
        self.reader = reader or reader_name(reader_index)  # the name PC/SC gives vpcd's reader on `port`
        self.chip: Chip | None = None
        self.identity_key: str | None = None
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self.last_error: str | None = None
        self.vanish_at: int | None = None

    def start(self) -> str:
        """The reader name the driver opens (`pcsc://{name}`)."""
        return self.reader

    def close(self) -> None:
        self.cmd_remove()

    # -- control commands ---------------------------------------------------------------------
    def cmd_insert(self, identity: str = "obama", photo_format: str = "jpeg") -> dict[str, Any]:
        """Put the passport of a sample identity on the reader (connects to vpcd)."""
        try:
            ident = get_identity(identity)
        except KeyError as exc:
            raise ControlError(str(exc.args[0])) from None
        if photo_format not in ("jpeg", "jp2"):
            raise ControlError("photo_format must be jpeg or jp2")
        self.cmd_remove()
        self.vanish_at = None
        mrz = td3_mrz(ident)
        info = mrz[44:54] + mrz[57:64] + mrz[65:72]
        chip = Chip(info, build_files(ident, photo_format))
        sock = socket.create_connection((self.host, self.port), timeout=5)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self.chip, self.identity_key, self._sock = chip, identity, sock
        self.connected.set()
        self._thread = threading.Thread(target=self._serve, args=(sock, chip), name="sim-passport", daemon=True)
        self._thread.start()
        return self.cmd_state()

    def cmd_remove(self) -> dict[str, Any]:
        """Take the passport away (closes the vpcd connection)."""
        with self._lock:
            sock, self._sock = self._sock, None
            self.chip, self.identity_key = None, None
        self.connected.clear()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2)
        return self.cmd_state()

    def cmd_tamper(self, dg: int = 1) -> dict[str, Any]:
        """Change one byte of DG1 or DG2 after EF.SOD was signed (passive authentication must fail)."""
        fid = {1: 0x0101, 2: 0x0102}.get(int(dg))
        if self.chip is None or fid is None:
            raise ControlError("insert a passport first; dg must be 1 or 2")
        content = bytearray(self.chip.files[fid])
        content[-3] ^= 0x01 if dg == 2 else 0x00
        if dg == 1:  # change a name character, keep it a valid MRZ character
            at = content.index(b"P<") + 5
            content[at] = ord("Q") if content[at] != ord("Q") else ord("R")
        self.chip.files[fid] = bytes(content)
        return self.cmd_state()

    def cmd_fault(self, kind: str = "bad_mac", count: int = 1) -> dict[str, Any]:
        """Inject a fault: bad_mac (next `count` protected responses carry a wrong MAC), vanish_after (the card leaves the field after `count` more APDUs)."""
        if self.chip is None:
            raise ControlError("insert a passport first")
        if kind == "bad_mac":
            self.chip.fault_bad_mac = int(count)
        elif kind == "vanish_after":
            self.vanish_at = self.chip.apdus + int(count)
        else:
            raise ControlError(f"unknown fault {kind!r} (known: bad_mac, vanish_after)")
        return self.cmd_state()

    def cmd_state(self) -> dict[str, Any]:
        """The passport on the reader and how many APDUs it answered."""
        chip = self.chip
        return {"identity": self.identity_key, "reader": self.reader,
                "apdus": chip.apdus if chip else 0, "vpcd": f"{self.host}:{self.port}"}

    def cmd_trust_store(self, directory: str) -> str:
        """Write the test CSCA certificate into `directory` (a trust store for passive auth)."""
        return str(sim_pki().write_trust_store(directory))

    # -- the vpcd link ------------------------------------------------------------------------
    def _serve(self, sock: socket.socket, chip: Chip) -> None:
        try:
            while True:
                head = _recv_exact(sock, 2)
                if head is None:
                    return
                payload = _recv_exact(sock, int.from_bytes(head, "big"))
                if payload is None:
                    return
                if len(payload) == 1:
                    code = payload[0]
                    if code in (0, 1, 2):
                        chip.reset()
                        continue
                    if code == 4:
                        reply = ATR
                    else:
                        continue
                else:
                    reply = chip.process(payload)
                    if self.vanish_at is not None and chip.apdus >= self.vanish_at:
                        self.vanish_at = None
                        threading.Thread(target=self.cmd_remove, daemon=True).start()
                        return
                sock.sendall(len(reply).to_bytes(2, "big") + reply)
        except OSError as exc:
            self.last_error = str(exc)


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        try:
            # vpcd writes the length and the APDU separately; without quick ACKs the second
            # write waits for our delayed ACK (40 ms per APDU)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            chunk = sock.recv(n - len(buf))
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hw_sim.emrtd_card", description=__doc__.split("\n")[0])
    parser.add_argument("--identity", help="insert this sample identity's passport at start")
    parser.add_argument("--port", type=int, default=VPCD_PORT)
    parser.add_argument("--control", help="serve the control API on this Unix socket")
    args = parser.parse_args(argv)
    card = VirtualPassport(args.port)
    hub = ControlHub()
    hub.add(card)
    if args.control:
        hub.serve(args.control)
    print(card.start(), flush=True)
    if args.identity:
        card.cmd_insert(identity=args.identity)
    return serve_until_stopped(hub)


if __name__ == "__main__":
    sys.exit(main())
