"""The board firmware's side of Modbus-RTU lock boards (as Open-Locker's boards speak).

Written independently of the bridge's codec (same facts, other direction): its own CRC, its own
request parser. Slave address = board; coil N-1 = lock N (05 `FF 00` pulses the latch, the board
drops the output itself; `00 00` switches it off), discrete input N-1 = door sensor N (in the
board's polarity: `open_bit`). 01 read coils reads the held outputs; 0F writes several coils.
A read or write past the board's last lock is answered with exception 02 (illegal data
address), an unknown function with exception 01. Address 0 is broadcast: obeyed, never answered.
"""

from __future__ import annotations

from hw_sim.locker.boards import SimBoard

REQUEST_FUNCTIONS = (0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0F)  # 8-byte requests + 0F


def modbus_crc(data: bytes) -> bytes:
    """CRC-16/MODBUS as the two bytes on the wire (low first)."""
    reg = 0xFFFF
    for byte in data:
        reg ^= byte
        for _ in range(8):
            lsb = reg & 1
            reg >>= 1
            if lsb:
                reg ^= 0xA001
    return bytes([reg & 0xFF, (reg >> 8) & 0xFF])


def _frame(*parts: bytes | int) -> bytes:
    body = b"".join(bytes([p]) if isinstance(p, int) else p for p in parts)
    return body + modbus_crc(body)


def _bits(values: list[int]) -> bytes:
    out = bytearray((len(values) + 7) // 8)
    for i, v in enumerate(values):
        out[i // 8] |= (v & 1) << (i % 8)
    return bytes(out)


class FirmwareModbus:
    @staticmethod
    def is_open(req: bytes) -> bool:
        return req[1] == 0x0F or (req[1] == 0x05 and req[4:6] == b"\xFF\x00")

    def take_request(self, buf: bytes) -> tuple[bytes | None, int]:
        i = 0
        while i < len(buf):
            if i + 1 >= len(buf):
                return None, i
            if buf[i] > 247 or buf[i + 1] not in REQUEST_FUNCTIONS:
                i += 1
                continue
            if buf[i + 1] == 0x0F:
                if i + 7 > len(buf):
                    return None, i
                n = 9 + buf[i + 6]
            else:
                n = 8
            if i + n > len(buf):
                return None, i
            frame = bytes(buf[i:i + n])
            if modbus_crc(frame[:-2]) == frame[-2:]:
                return frame, i + n
            i += 1
        return None, i

    def handle(self, req: bytes, boards: dict[int, SimBoard]) -> tuple[int | None, bytes | None]:
        address, func = req[0], req[1]
        if address == 0:  # broadcast: every board obeys, none answers
            for board in boards.values():
                self._apply(board, req)
            return None, None
        board = boards.get(address)
        if board is None:
            return None, None
        return address, self._apply(board, req)

    def _apply(self, board: SimBoard, req: bytes) -> bytes:
        address, func = req[0], req[1]
        start, value = req[2] << 8 | req[3], req[4] << 8 | req[5]

        def refuse(code: int) -> bytes:
            return _frame(address, func | 0x80, code)

        if func == 0x02:  # read discrete inputs: door sensors
            if value < 1 or start + value > board.locks:
                return refuse(0x02)
            open_bit = 1 if board.open_bit is None else board.open_bit
            inputs = [open_bit if board.door(n).reads_open() else 1 - open_bit
                      for n in range(start + 1, start + value + 1)]
            data = _bits(inputs)
            return _frame(address, func, len(data), data)
        if func == 0x01:  # read coils: outputs held on
            if value < 1 or start + value > board.locks:
                return refuse(0x02)
            data = _bits([int(board.door(n).held) for n in range(start + 1, start + value + 1)])
            return _frame(address, func, len(data), data)
        if func == 0x05:  # write single coil
            lock = start + 1
            if lock > board.locks:
                return refuse(0x02)
            if value == 0xFF00:
                board.release(lock)
            elif value == 0x0000:
                board.door(lock).held = False
            else:
                return refuse(0x03)
            return req  # the reply echoes the request
        if func == 0x0F:  # write multiple coils
            if value < 1 or start + value > board.locks:
                return refuse(0x02)
            data = req[7:-2]
            for i in range(value):
                lock = start + i + 1
                if data[i // 8] >> (i % 8) & 1:
                    board.release(lock)
                else:
                    board.door(lock).held = False
            return _frame(address, func, req[2:6])
        return refuse(0x01)
