"""`locker_firmware_bridge`: talk to real lock-control boards over a serial bus.

Layers, bottom up (none imports `kiosk`; the station builds on this package, not the reverse):

- `codec` + `codec_8a80` / `codec_kerong`: frames as bytes, checksums, request encoders and reply
  decoders. Pure functions; anything malformed raises `ProtocolError`.
- `settings.BoardSettings`: what differs between boards of one protocol (lock count, status byte
  order, which bit value means open, feedback type).
- `transport.SerialLink`: the one owner of a serial port: inter-frame silent gap, reply framing
  by header + checksum (or a quiet period), junk skipping, `unreachable` state with reconnect
  cooldown, errors classified by errno.
- `bus.LockerBus`: board-level operations (status with bounded retries, open never retried, scan).
- `supervision.BusSupervisor`: one thread that owns the bus, polls every board, turns status
  changes into door events and paces multi-opens.
"""

from locker_firmware_bridge.bus import LockerBus, OpenResult, BoardStatus
from locker_firmware_bridge.codec import PROTOCOLS, get_codec
from locker_firmware_bridge.errors import (
    BadReply,
    LinkError,
    NoReply,
    ProtocolError,
    Unreachable,
)
from locker_firmware_bridge.settings import BoardSettings
from locker_firmware_bridge.supervision import BusSupervisor, DoorEvent
from locker_firmware_bridge.transport import SerialLink

__all__ = [
    "BadReply", "BoardSettings", "BoardStatus", "BusSupervisor", "DoorEvent", "LinkError", "LockerBus",
    "NoReply", "OpenResult", "PROTOCOLS", "ProtocolError", "SerialLink", "Unreachable", "get_codec",
]
