"""The board firmware's side of the 8A/80 and Kerong protocols: find request frames in the received
bytes and build the replies. Written independently of `locker_firmware_bridge`'s codecs (same
reference, other direction), so a mistake in the bridge's codec is not mirrored here. Which
firmware plays a protocol is named by the protocol's registry entry (`EmulatorProfile.firmware`);
`firmware_for` follows it.

`Firmware.take_request(buf)` -> (request bytes or None, bytes consumed); bytes that cannot start
a valid request are dropped one at a time, like a board's receiver resynchronising.
`Firmware.handle(request, boards)` -> (board address or None, reply bytes or None).
A board's `status_order` / `open_bit` are already resolved (the emulator fills in the protocol's
defaults), so a firmware never guesses them.
"""

from __future__ import annotations

import importlib
from typing import Any

from hw_sim.locker.boards import SimBoard


def xor(data: bytes) -> int:
    v = 0
    for b in data:
        v ^= b
    return v


class Firmware8A80:
    heads = (0x8A, 0x80, 0x90, 0x9A, 0x9B)

    @staticmethod
    def is_open(req: bytes) -> bool:
        return req[0] in (0x8A, 0x90)

    def take_request(self, buf: bytes) -> tuple[bytes | None, int]:
        i = 0
        while i < len(buf):
            if buf[i] not in self.heads:
                i += 1
                continue
            lengths = range(4, 12) if buf[i] == 0x90 else (5,)
            incomplete = False
            for n in lengths:
                if i + n > len(buf):
                    incomplete = True
                    break
                frame = buf[i:i + n]
                if xor(frame[:-1]) == frame[-1]:
                    return bytes(frame), i + n
            if incomplete:
                return None, i
            i += 1
        return None, i

    def handle(self, req: bytes, boards: dict[int, SimBoard]) -> tuple[int | None, bytes | None]:
        head, address = req[0], req[1]
        board = boards.get(address)
        if board is None:
            return None, None
        if head == 0x8A and req[3] == 0x11:
            lock = req[2]
            if lock == 0:
                for n in board.doors:
                    board.release(n)
                return address, _frame8(0x8A, address, 0x00, 0x00)
            if lock not in board.doors:
                return address, None
            released = board.release(lock)
            if board.feedback == "opening":
                released = not released
            return address, _frame8(0x8A, address, lock, 0x00 if released else 0x11)
        if head == 0x80 and req[3] == 0x33:
            lock = req[2]
            if lock == 0:
                order = board.status_order
                nbytes = max(3, (board.locks + 7) // 8)
                return address, _frame8(0x80, address, *board.status_bits(order, nbytes), 0x33)
            if lock not in board.doors:
                return address, None
            return address, _frame8(0x80, address, lock, 0x00 if board.door(lock).reads_open() else 0x11)
        if head == 0x90:
            bitmap = req[2:-1]
            for i, byte in enumerate(reversed(bitmap)):
                for bit in range(8):
                    if byte >> bit & 1 and (8 * i + bit + 1) in board.doors:
                        board.release(8 * i + bit + 1)
            return address, _frame8(0x90, address, *bitmap)
        if head in (0x9A, 0x9B):  # keep the output on (the latch held released) / switch it off
            lock = req[2]
            if lock in board.doors:
                if head == 0x9A:
                    board.release(lock)
                board.door(lock).held = head == 0x9A
            return address, _frame8(head, address, req[2], req[3])
        return address, None


def _frame8(*body: int) -> bytes:
    raw = bytes(body)
    return raw + bytes([xor(raw)])


class FirmwareKerong:

    @staticmethod
    def is_open(req: bytes) -> bool:
        return req[2] in (0x31, 0x33)

    def take_request(self, buf: bytes) -> tuple[bytes | None, int]:
        i = 0
        while i < len(buf):
            if buf[i] != 0x02:
                i += 1
                continue
            if i + 5 > len(buf):
                return None, i
            frame = buf[i:i + 5]
            if frame[3] == 0x03 and sum(frame[:4]) & 0xFF == frame[4]:
                return bytes(frame), i + 5
            i += 1
        return None, i

    def handle(self, req: bytes, boards: dict[int, SimBoard]) -> tuple[int | None, bytes | None]:
        addr, cmd = req[1], req[2]
        address, lock = addr >> 4, (addr & 0x0F) + 1
        board = boards.get(address)
        if board is None:
            return None, None
        if cmd == 0x31:
            if lock not in board.doors:
                return address, None
            board.release(lock)
        elif cmd == 0x33:
            for n in board.doors:
                board.release(n)
        elif cmd != 0x30:
            return address, None
        order = board.status_order
        hooks = board.status_bits(order, 2)
        if cmd == 0x31 and board.feedback == "opening":
            hooks = bytes(b ^ 0xFF for b in hooks)
        body = bytes([0x02, addr, cmd]) + hooks + board.item_bits(order) + b"\x03"
        return address, body + bytes([sum(body) & 0xFF])


def firmware_for(protocol: str) -> Any:
    """The device-side firmware that plays `protocol`, as its registry entry's emulator profile
    names it (`ValueError` naming the registered protocols if there is none)."""
    from locker_firmware_bridge.protocols import get_protocol

    target = get_protocol(protocol).emulator.firmware
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)()
