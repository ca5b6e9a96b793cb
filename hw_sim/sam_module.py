"""A SAM module emulator on a pseudo-terminal: the device side of the resident-ID reader.

`SamModuleSim().start()` returns the pty path the driver opens (`sam://{path}?baud=115200`);
replies are paced at the baud rate. Behaviour follows the reference: "find card" answers 9F for
a card newly put in the field and 80 once it has been read (until it is put back), "select
card" answers 90 while a card is in the field, "read base info" returns 256 bytes of UTF-16LE
text + 1024 bytes of photo (the simulator's own photo encoding, see `hw_sim.sam_photo`).

Control commands (hw_sim.control): insert(identity=key), remove(), fault(kind=..., count=, seconds=),
clear_faults(), state(), identities().
Faults: `checksum` (next `count` replies carry a wrong CHK), `no_card` (find/select say no card
while set), `slow` (every reply delayed `seconds`), `truncate` (next `count` replies cut short),
`noise` (garbage bytes before the next `count` replies), `bad_len` (an impossible LEN), `status` (next `count` read-base-info
replies carry SW3 = `sw3`), `silent` (the module stops answering).

`python -m hw_sim.sam_module [--identity KEY] [--control SOCKET]` prints the pty path and runs.
"""

from __future__ import annotations

import argparse
import os
import select
import sys
import threading
import time
from typing import Any

from hw_sim.control import ControlError, ControlHub, SimDevice, serve_until_stopped
from hw_sim.identities import SAMPLE_IDENTITIES, SampleIdentity, get_identity
from hw_sim.sam_photo import card_photo_block
from hw_sim.wire import PtyPort

PREAMBLE = bytes.fromhex("AAAAAA9669")
FIELD_CHARS = (  # (attribute or literal, characters) in card order; 128 UTF-16 code units
    ("name", 15), ("sex", 1), ("nation", 2), ("birth", 8), ("address", 35), ("id", 18),
    ("issuer", 15), ("from", 8), ("to", 8), ("reserved", 18),
)
FAULTS = ("checksum", "no_card", "slow", "truncate", "noise", "status", "silent", "bad_len")


def _xor(data: bytes) -> int:
    out = 0
    for b in data:
        out ^= b
    return out


def frame(body: bytes) -> bytes:
    head = (len(body) + 1).to_bytes(2, "big") + body
    return PREAMBLE + head + bytes([_xor(head)])


def card_text(identity: SampleIdentity) -> bytes:
    """The 256-byte text block as a card stores it (independent of the driver's parser)."""
    values = {
        "name": identity.name_zh, "sex": identity.sex, "nation": identity.nation_code,
        "birth": identity.birth_date.strftime("%Y%m%d"), "address": identity.address,
        "id": identity.id_number, "issuer": identity.issuer,
        "from": identity.valid_from.strftime("%Y%m%d"),
        "to": "长期" if identity.valid_to is None else identity.valid_to.strftime("%Y%m%d"),
        "reserved": "",
    }
    out = b""
    for key, chars in FIELD_CHARS:
        value = values[key]
        if len(value) > chars:
            raise ValueError(f"{identity.key}: {key} longer than {chars} characters")
        out += value.ljust(chars).encode("utf-16-le")
    assert len(out) == 256
    return out


class SamModuleSim(SimDevice):
    sim_name = "id_reader"

    def __init__(self, baud: int = 115200, link: str | None = None, identity: str | None = None,
                 processing_s: float = 0.0) -> None:
        self.baud, self.link = baud, link
        self.processing_s = processing_s  # the module's own time per command (RF exchange etc.)
        self.port: PtyPort | None = None
        self.card: SampleIdentity | None = None
        self.card_read = False
        self.faults: dict[str, Any] = {}
        self.requests: list[bytes] = []  # (CMD, PARA) pairs seen, for tests and benchmarks
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if identity:
            self.cmd_insert(identity=identity)

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> str:
        self.port = PtyPort(self.baud, link=self.link)
        self._thread = threading.Thread(target=self._serve, name="sim-sam", daemon=True)
        self._thread.start()
        return self.port.path

    @property
    def path(self) -> str:
        assert self.port is not None
        return self.port.path

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        if self.port is not None:
            self.port.close()

    # -- control commands ---------------------------------------------------------------------
    def cmd_insert(self, identity: str = "obama") -> dict[str, Any]:
        """Put the card of a sample identity on the reader."""
        try:
            card = get_identity(identity)
        except KeyError as exc:
            raise ControlError(str(exc.args[0])) from None
        with self._lock:
            self.card, self.card_read = card, False
        return self.cmd_state()

    def cmd_remove(self) -> dict[str, Any]:
        """Take the card off the reader."""
        with self._lock:
            self.card, self.card_read = None, False
        return self.cmd_state()

    def cmd_fault(self, kind: str, count: int = 1, seconds: float = 0.0, sw3: int = 0x41) -> dict[str, Any]:
        """Inject a fault: checksum|truncate|noise|bad_len|status (next `count` replies), no_card|silent (until cleared), slow (`seconds` per reply)."""
        if kind not in FAULTS:
            raise ControlError(f"unknown fault {kind!r} (known: {', '.join(FAULTS)})")
        with self._lock:
            if kind == "slow":
                self.faults["slow"] = float(seconds)
            elif kind == "status":
                self.faults["status"] = (int(count), int(sw3))
            elif kind in ("no_card", "silent"):
                self.faults[kind] = True
            else:
                self.faults[kind] = int(count)
        return self.cmd_state()

    def cmd_clear_faults(self) -> dict[str, Any]:
        """Remove every injected fault."""
        with self._lock:
            self.faults.clear()
        return self.cmd_state()

    def cmd_state(self) -> dict[str, Any]:
        """The card on the reader and the active faults."""
        return {"card": self.card.key if self.card else None, "card_read": self.card_read,
                "faults": {k: v for k, v in self.faults.items()}, "path": self.port.path if self.port else None}

    def cmd_identities(self) -> dict[str, str]:
        """The sample identities that can be inserted, with the edge case each covers."""
        return {k: v.note for k, v in SAMPLE_IDENTITIES.items()}

    # -- the module ---------------------------------------------------------------------------
    def _serve(self) -> None:
        assert self.port is not None
        buf = b""
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.port.master], [], [], 0.05)
                if not ready:
                    continue
                chunk = os.read(self.port.master, 4096)
            except OSError:
                if self._stop.is_set() or (self.port and self.port.closed):
                    return
                time.sleep(0.01)  # EIO while no one has the slave open
                continue
            buf += chunk
            while True:
                before = len(buf)
                buf, reply = self._take_request(buf)
                if reply is None:
                    break
                # the request took its wire time to arrive too (the pty delivered it at once)
                self.port.wire_delay(max(0, before - len(buf)))
                self._send(reply)

    def _take_request(self, buf: bytes) -> tuple[bytes, bytes | None]:
        """Consume one request from `buf`; returns (rest, reply) or (buf, None) when incomplete."""
        at = buf.find(PREAMBLE)
        if at < 0:
            return buf[-4:], None
        buf = buf[at:]
        if len(buf) < 7:
            return buf, None
        length = int.from_bytes(buf[5:7], "big")
        if length < 3 or length > 2048:
            return buf[5:], frame(b"\x00\x00\x11")
        if len(buf) < 7 + length:
            return buf, None
        head, chk = buf[5:7 + length - 1], buf[7 + length - 1]
        rest = buf[7 + length:]
        if _xor(head) != chk:
            return rest, frame(b"\x00\x00\x10")
        body = head[2:]
        self.requests.append(bytes(body[:2]))
        return rest, self._answer(body[0], body[1], body[2:])

    def _answer(self, cmd: int, para: int, _data: bytes) -> bytes:
        with self._lock:
            card = None if self.faults.get("no_card") else self.card
            if (cmd, para) == (0x11, 0xFF):
                return frame(b"\x00\x00\x90")
            if (cmd, para) == (0x20, 0x01):
                if card is not None and not self.card_read:
                    return frame(b"\x00\x00\x9f\x00\x00\x00\x00")
                return frame(b"\x00\x00\x80")
            if (cmd, para) == (0x20, 0x02):
                return frame(b"\x00\x00\x90\x00\x00\x00\x00\x00\x00\x00\x00") if card else frame(b"\x00\x00\x81")
            if (cmd, para) == (0x30, 0x01):
                if card is None:
                    return frame(b"\x00\x00\x41")
                status = self.faults.get("status")
                if status:
                    count, sw3 = status
                    self.faults["status"] = (count - 1, sw3) if count > 1 else None
                    if not self.faults["status"]:
                        del self.faults["status"]
                    return frame(bytes([0, 0, sw3]))
                self.card_read = True
                photo = card_photo_block(str(card.face_paths()[0]))
                return frame(b"\x00\x00\x90" + (256).to_bytes(2, "big") + (1024).to_bytes(2, "big")
                             + card_text(card) + photo)
            if (cmd, para) == (0x61, 0xFF):
                return frame(b"\x00\x00\x90")
            return frame(b"\x00\x00\x21")

    def _consume(self, kind: str) -> bool:
        with self._lock:
            n = self.faults.get(kind, 0)
            if n:
                if n > 1:
                    self.faults[kind] = n - 1
                else:
                    del self.faults[kind]
                return True
            return False

    def _send(self, reply: bytes) -> None:
        assert self.port is not None
        if self.faults.get("silent"):
            return
        delay = self.processing_s + float(self.faults.get("slow", 0.0))
        if delay:
            time.sleep(delay)
        if self._consume("noise"):
            reply = b"\x13\x37\xAA\x96\x00garbage" + reply
        if self._consume("checksum"):
            reply = reply[:-1] + bytes([reply[-1] ^ 0x5A])
        if self._consume("truncate"):
            reply = reply[: max(8, len(reply) // 2)]
        if self._consume("bad_len"):  # a LEN no module would send
            reply = reply[:5] + b"\xff\xff" + reply[7:]
        try:
            self.port.write_paced(reply)
        except OSError:
            pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hw_sim.sam_module", description=__doc__.split("\n")[0])
    parser.add_argument("--identity", help="insert this sample identity's card at start")
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--link", help="also make a symlink to the pty here")
    parser.add_argument("--control", help="serve the control API on this Unix socket")
    args = parser.parse_args(argv)
    sim = SamModuleSim(args.baud, link=args.link, identity=args.identity)
    path = sim.start()
    hub = ControlHub()
    hub.add(sim)
    if args.control:
        hub.serve(args.control)
    print(path, flush=True)
    return serve_until_stopped(hub)


if __name__ == "__main__":
    sys.exit(main())
