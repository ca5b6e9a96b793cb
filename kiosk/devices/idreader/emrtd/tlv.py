"""BER-TLV as the LDS uses it (ISO 7816-4 / X.690 tags and lengths), strict about truncation:
hostile or damaged files give `TlvError`, never an IndexError or a huge allocation."""

from __future__ import annotations

from collections.abc import Iterator


class TlvError(ValueError):
    pass


def read_tag(data: bytes, at: int) -> tuple[int, int]:
    if at >= len(data):
        raise TlvError("truncated: tag expected")
    tag = data[at]
    at += 1
    if tag & 0x1F == 0x1F:  # multi-byte tag
        while True:
            if at >= len(data):
                raise TlvError("truncated inside a multi-byte tag")
            tag = (tag << 8) | data[at]
            at += 1
            if not data[at - 1] & 0x80:
                break
            if tag > 0xFFFFFF:
                raise TlvError("tag longer than 3 bytes")
    return tag, at


def read_length(data: bytes, at: int) -> tuple[int, int]:
    if at >= len(data):
        raise TlvError("truncated: length expected")
    first = data[at]
    at += 1
    if first < 0x80:
        return first, at
    n = first & 0x7F
    if n == 0 or n > 3:
        raise TlvError(f"unsupported length form 0x{first:02X}")
    if at + n > len(data):
        raise TlvError("truncated inside a length")
    return int.from_bytes(data[at:at + n], "big"), at + n


def read_tlv(data: bytes, at: int = 0) -> tuple[int, bytes, int]:
    """(tag, value, offset after the element)."""
    tag, at = read_tag(data, at)
    length, at = read_length(data, at)
    if at + length > len(data):
        raise TlvError(f"tag {tag:X}: value of {length} bytes, only {len(data) - at} present")
    return tag, data[at:at + length], at + length


def iter_tlv(data: bytes) -> Iterator[tuple[int, bytes]]:
    at = 0
    while at < len(data):
        if data[at] in (0x00, 0xFF):  # padding between elements
            at += 1
            continue
        tag, value, at = read_tlv(data, at)
        yield tag, value


def find(data: bytes, tag: int) -> bytes | None:
    """The value of the first element with `tag` at this level."""
    for t, v in iter_tlv(data):
        if t == tag:
            return v
    return None


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    size = (n.bit_length() + 7) // 8
    return bytes([0x80 | size]) + n.to_bytes(size, "big")


def encode(tag: int, value: bytes) -> bytes:
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    return tag_bytes + encode_length(len(value)) + value


def total_length(header: bytes) -> int:
    """Length of a whole file from its first bytes (tag + length), for READ BINARY planning."""
    _tag, at = read_tag(header, 0)
    length, at = read_length(header, at)
    return at + length
