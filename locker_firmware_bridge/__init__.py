"""`locker_firmware_bridge`: talk to real lock-control boards over a serial bus.

Layers, bottom up (none imports `kiosk`; the station builds on this package, not the reverse):

- `protocols`: the registry, one module per lock-board protocol (`generic_8a80`, `kerong_cu`,
  `modbus_rtu`), each declaring a `LockBoardProtocol` (`protocol`): its codec, baud rates,
  address range, lock limit, status defaults and emulator profile.
- `codec`: the interface every protocol's codec implements: frames as bytes, checksums, request
  encoders and reply decoders. Pure functions; anything malformed raises `ProtocolError`.
- `settings.BoardSettings`: what differs between boards of one protocol (lock count, status byte
  order, which bit value means open, feedback type).
- `transport.SerialLink`: the one owner of a serial port: inter-frame silent gap, reply framing
  by header + checksum (or a quiet period), junk skipping, `unreachable` state with reconnect
  cooldown, errors classified by errno.
- `bus.LockerBus`: board-level operations (status with bounded retries, open never retried, scan).
- `supervision.BusSupervisor`: one thread that owns the bus, polls every board, turns status
  changes into door events and paces multi-opens.
- `probe`: commissioning: find the boards on a bus (`scan_bus`) and each board's status polarity
  (`detect_polarity`).
"""

from locker_firmware_bridge.bus import LockerBus, OpenResult, BoardStatus
from locker_firmware_bridge.codec import get_codec
from locker_firmware_bridge.errors import (
    BadReply,
    BoardRefused,
    LinkError,
    NoReply,
    ProtocolError,
    Refused,
    Unreachable,
)
from locker_firmware_bridge.protocol import LockBoardProtocol
from locker_firmware_bridge.protocols import get_protocol, protocol_names, protocols
from locker_firmware_bridge.settings import BoardSettings
from locker_firmware_bridge.supervision import BusSupervisor, DoorEvent
from locker_firmware_bridge.transport import SerialLink

__all__ = [
    "BadReply", "BoardRefused", "BoardSettings", "BoardStatus", "BusSupervisor", "DoorEvent", "LinkError",
    "LockBoardProtocol", "LockerBus", "NoReply", "OpenResult", "ProtocolError", "Refused", "SerialLink",
    "Unreachable", "get_codec", "get_protocol", "protocol_names", "protocols",
]
