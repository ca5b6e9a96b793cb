"""Errors of the bridge: protocol errors (bad bytes) and link errors (the port or a board).

Link errors carry a `kind` classified from errno, never from message text, and a `hint` that
tells a technician what to check.
"""

from __future__ import annotations

import errno as _errno


class ProtocolError(ValueError):
    """Bytes that are not a valid frame of the protocol (wrong header, length, checksum, field)."""


class ChecksumError(ProtocolError):
    """A frame whose checksum byte does not match its contents."""


class BoardRefused(ProtocolError):
    """A valid frame in which the board refuses the request (e.g. a Modbus exception reply)."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


# errno -> (kind, what to check)
_ERRNO_KINDS: dict[int, tuple[str, str]] = {
    _errno.ENOENT: ("absent", "the port does not exist: is the USB-serial adapter plugged in, is the path right?"),
    _errno.ENODEV: ("gone", "the adapter disappeared: check the USB cable and the adapter"),
    _errno.ENXIO: ("gone", "the adapter disappeared: check the USB cable and the adapter"),
    _errno.EIO: ("gone", "I/O error on the port: the adapter was unplugged or has failed; check the cable"),
    _errno.EPIPE: ("gone", "the port closed under us: check the USB cable and the adapter"),
    _errno.EBADF: ("gone", "the port closed under us: check the USB cable and the adapter"),
    _errno.EACCES: ("permission", "no permission to open the port: is the user in the dialout group?"),
    _errno.EPERM: ("permission", "no permission to open the port: is the user in the dialout group?"),
    _errno.EBUSY: ("busy", "the port is owned by another process: stop it (one owner per port)"),
    _errno.ENOTTY: ("not_a_port", "the path is not a serial port: check the configured device path"),
    _errno.EAGAIN: ("busy", "the port is locked by another process: stop it (one owner per port)"),
}


def classify_errno(err: int | None) -> tuple[str, str]:
    """(kind, hint) for an OSError's errno: absent | gone | permission | busy | not_a_port | error."""
    if err is not None and err in _ERRNO_KINDS:
        return _ERRNO_KINDS[err]
    return "error", "unexpected error on the port: check the adapter, the cable and the logs"


class LinkError(Exception):
    """The exchange with a board failed. `kind` says how, `hint` what to check."""

    kind = "error"

    def __init__(self, detail: str, hint: str = "", kind: str | None = None, errno: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.hint = hint
        self.errno = errno
        if kind is not None:
            self.kind = kind

    def __str__(self) -> str:
        return f"{self.detail} ({self.hint})" if self.hint else self.detail


class Unreachable(LinkError):
    """The port cannot be used (adapter absent, unplugged, busy, no permission)."""

    kind = "unreachable"

    @classmethod
    def from_oserror(cls, port: str, exc: OSError) -> "Unreachable":
        reason, hint = classify_errno(exc.errno)
        name = _errno.errorcode.get(exc.errno or 0, "?")
        return cls(f"{port}: {reason} ({name}: {exc.strerror or exc})", hint, errno=exc.errno)

    @property
    def reason(self) -> str:
        return classify_errno(self.errno)[0] if self.errno is not None else "busy"


class NoReply(LinkError):
    """Nothing that looks like a reply arrived within the reply timeout."""

    kind = "no_reply"


class Refused(LinkError):
    """The board answered, but refused the request (e.g. a Modbus exception: no such input)."""

    kind = "refused"


class BadReply(LinkError):
    """Bytes arrived but no valid frame among them (bad checksum, garbled, wrong board)."""

    kind = "bad_reply"
