"""The real cabinet backend: lock-control boards on a serial bus (`locker_firmware_bridge`).

    cabinet = create_device("cabinet", "serial:///dev/ttyUSB1?protocol=8a80&baud=9600", config=cfg.cabinet)
    cabinet.open()                     # never raises for an absent port: status says why
    cmd = cabinet.release(1, 3)        # Command[str]; cmd.result(timeout) -> Completion
    cabinet.door_state(1, 3)           # "open" | "closed" | "unknown"
    cabinet.close()

`open_cabinet(url, config=CabinetConfig | None, boards=[BoardSettings...], **timing)`: URL params
`protocol` (any registered lock-board protocol: 8a80 | kerong-cu | modbus-rtu, default 8a80),
`baud` (default: the protocol's) and `echo=1` for an
RS485 adapter that echoes the host's own bytes (the bus's setting: every frame on it is echoed). Board settings
and timing come from the `[cabinet]` config when given, else from keyword arguments.
One `BusSupervisor` thread owns the port: it polls every board and runs the releases between
polls; its door events become `DeviceEvent`s (see `kiosk.devices.cabinet`).
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from kiosk.devices.base import Command, Completion, DeviceStatus, ResultCode
from kiosk.devices.cabinet import EVENT_KINDS, Cabinet
from kiosk.devices.registry import DeviceUrl, parse_url
from locker_firmware_bridge import BoardSettings, BusSupervisor, DoorEvent, LockerBus, OpenResult
from locker_firmware_bridge.codec import get_codec
from locker_firmware_bridge.errors import ProtocolError
from locker_firmware_bridge.protocols import DEFAULT_PROTOCOL
from locker_firmware_bridge.supervision import ReleaseCancelled


class BoardsCabinet(Cabinet):
    def __init__(self, url: DeviceUrl, boards: list[BoardSettings], *, name: str = "cabinet",
                 poll_interval_s: float = 0.5, left_open_after_s: float = 60.0, not_opened_after_s: float = 10.0,
                 unknown_after_failed_polls: int = 3, open_pacing_s: float = 0.3, reply_timeout_s: float = 0.1,
                 status_retries: int = 2, bus_gap_s: float | None = None, reconnect_cooldown_s: float = 2.0) -> None:
        super().__init__(name)
        protocol = url.param("protocol", DEFAULT_PROTOCOL)
        try:
            codec = get_codec(protocol)
        except ProtocolError as exc:
            raise ValueError(f"{url.raw}: {exc}") from None
        if not url.target:
            raise ValueError(f"{url.raw}: no serial port path (expected serial:///dev/ttyUSB1?protocol=...)")
        baud = url.param("baud", codec.default_baud, int)
        echo_text = url.param("echo", "0").lower()
        if echo_text not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
            raise ValueError(f"{url.raw}: echo={echo_text!r}: allowed 1 (the adapter echoes our bytes) or 0")
        echo = echo_text in ("1", "true", "yes", "on")
        for b in boards:
            codec.check_address(b.address)
        self.url = url
        self.protocol = protocol
        self.bus = LockerBus.create(url.target, protocol, boards, baud, reply_timeout_s=reply_timeout_s,
                                    gap_s=bus_gap_s, reconnect_cooldown_s=reconnect_cooldown_s, echo=echo)
        self.bus.status_retries = status_retries
        self.supervisor = BusSupervisor(
            self.bus, poll_interval_s=poll_interval_s, left_open_after_s=left_open_after_s,
            not_opened_after_s=not_opened_after_s, unknown_after_failed_polls=unknown_after_failed_polls,
            open_pacing_s=open_pacing_s, on_event=self._on_door_event, on_round=self._update_status,
        )
        self.capabilities = frozenset({"release", "door_sensor"} | codec.protocol.capabilities)
        self._opened = False

    # -- lifecycle ----------------------------------------------------------------------------
    def open(self) -> None:
        if self._opened:
            return
        self._opened = True
        self.supervisor.start()
        if self.bus.link.state == "unreachable":
            err = self.bus.link.last_error
            self.set_status(DeviceStatus.NO_DEVICE, str(err), bus="unreachable", doors_open="0")

    def close(self) -> None:
        if self._opened:
            self.supervisor.stop()
            self._opened = False
        self.set_status(DeviceStatus.OFFLINE, "closed")

    # -- commands -----------------------------------------------------------------------------
    def release(self, board: int, lock: int) -> Command[str]:
        cmd: Command[str] = Command(f"release {board}/{lock}")
        if not self._opened:
            cmd.complete(Completion(ResultCode.DEVICE_NOT_READY, "the cabinet is not open (call open() first)",
                                    "unreachable"))
            return cmd
        self.count("releases")
        fut = self.supervisor.release(board, lock, cancelled=cmd.cancel_requested.is_set)
        fut.add_done_callback(lambda f: cmd.complete(self._completion(f)))
        return cmd

    def release_many(self, targets: list[tuple[int, int]]) -> list[Command[str]]:
        return [self.release(b, lk) for b, lk in targets]

    def refresh(self) -> Command[dict]:
        cmd: Command[dict] = Command("refresh")
        if not self._opened:
            cmd.complete(Completion(ResultCode.DEVICE_NOT_READY, "the cabinet is not open (call open() first)"))
            return cmd

        def done(f: Future[Any]) -> None:
            if f.exception() is not None:
                cmd.complete(Completion(ResultCode.HARDWARE_ERROR, str(f.exception())))
            else:
                cmd.complete(Completion.success(self.doors()))

        self.supervisor.poll_now().add_done_callback(done)
        return cmd

    def _completion(self, fut: Future[OpenResult]) -> Completion[str]:
        if fut.cancelled():
            return Completion(ResultCode.CANCELED, "the cabinet was closed before the release ran")
        exc = fut.exception()
        if isinstance(exc, ReleaseCancelled):
            return Completion(ResultCode.CANCELED, str(exc), "not_sent")
        if exc is not None:
            return Completion(ResultCode.HARDWARE_ERROR, f"{type(exc).__name__}: {exc}", "no_reply")
        r = fut.result()
        detail = "; ".join(x for x in (r.detail, r.hint) if x)
        if r.released:
            return Completion(ResultCode.SUCCESS, detail or r.result, r.result)
        self.count(r.result)
        if r.result == "unreachable":
            return Completion(ResultCode.DEVICE_NOT_READY, detail, r.result)
        return Completion(ResultCode.HARDWARE_ERROR, detail, r.result)

    # -- queries ------------------------------------------------------------------------------
    def door_state(self, board: int, lock: int) -> str:
        return self.supervisor.door_state(board, lock)

    def doors(self) -> dict[tuple[int, int], str]:
        return self.supervisor.doors()

    def boards(self) -> list[dict]:
        return [self.supervisor.board_state(b) for b in self.bus.boards]

    # -- events and status --------------------------------------------------------------------
    def _on_door_event(self, event: DoorEvent) -> None:
        kind = EVENT_KINDS.get(event.kind, event.kind)
        if event.kind in ("board_unreachable", "board_reachable"):
            self._update_status()  # before the event, so its listeners see the new status
        self.emit(kind, board=event.board, lock=event.lock, detail=event.detail, **event.data)

    def _update_status(self) -> None:
        link = self.bus.link
        boards = self.boards()
        doors_open = str(sum(1 for s in self.doors().values() if s == "open"))
        if link.state == "unreachable":
            self.set_status(DeviceStatus.NO_DEVICE, str(link.last_error), bus="unreachable", doors_open=doors_open)
            return
        bad = [b for b in boards if b["state"] == "unknown"]
        if bad:
            names = ", ".join(str(b["board"]) for b in bad)
            self.set_status(DeviceStatus.HARDWARE_ERROR, f"board(s) {names} not answering: {bad[0]['last_error']}",
                            bus="degraded", doors_open=doors_open)
        elif all(b["state"] == "ok" for b in boards):
            self.set_status(DeviceStatus.ONLINE, "all boards answer", bus="ok", doors_open=doors_open)


def board_settings_from_config(config: Any) -> list[BoardSettings]:
    return [BoardSettings.from_config(b) for b in config.boards]


def open_cabinet(url: DeviceUrl | str, config: Any = None, boards: list[BoardSettings] | None = None,
                 **kw: Any) -> BoardsCabinet:
    """Registry factory (`serial://` scheme). `config`: a `CabinetConfig` (boards + timing)."""
    parsed = parse_url(url) if isinstance(url, str) else url
    if config is not None:
        boards = board_settings_from_config(config)
        for key in ("poll_interval_s", "left_open_after_s", "not_opened_after_s", "unknown_after_failed_polls",
                    "open_pacing_s", "reply_timeout_s", "status_retries", "bus_gap_s", "reconnect_cooldown_s"):
            kw.setdefault(key, getattr(config, key))
    if not boards:
        raise ValueError(f"{parsed.raw}: no boards configured ([[cabinet.boards]])")
    return BoardsCabinet(parsed, boards, **kw)
