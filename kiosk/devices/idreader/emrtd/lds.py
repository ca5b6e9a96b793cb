"""The eMRTD's files (Doc 9303 part 10): EF.COM, DG1 (the MRZ) and DG2 (the face: biometric
information template -> biometric data block -> ISO/IEC 19794-5 facial record -> JPEG or
JPEG 2000). Pure parsing; every malformed file gives `LdsError`."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.devices.idreader.emrtd import tlv
from kiosk.devices.idreader.emrtd.mrz import MrzData, MrzError, parse_mrz

FID_COM, FID_DG1, FID_DG2, FID_SOD = 0x011E, 0x0101, 0x0102, 0x011D
DG_TAGS = {0x61: 1, 0x75: 2, 0x63: 3, 0x76: 4, 0x65: 5, 0x66: 6, 0x67: 7, 0x68: 8, 0x69: 9, 0x6A: 10,
           0x6B: 11, 0x6C: 12, 0x6D: 13, 0x6E: 14, 0x6F: 15, 0x70: 16}
JPEG_MAGIC = b"\xff\xd8\xff"
JP2_MAGIC = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
J2K_MAGIC = b"\xff\x4f\xff\x51"


class LdsError(ValueError):
    pass


@dataclass(frozen=True)
class FaceImage:
    data: bytes
    format: str  # "jpeg" | "jp2"
    width: int
    height: int


def parse_com(data: bytes) -> dict[str, object]:
    """EF.COM -> {"lds_version", "unicode_version", "data_groups": [1, 2, ...]}."""
    try:
        tag, value, _ = tlv.read_tlv(data)
        if tag != 0x60:
            raise LdsError(f"EF.COM starts with tag {tag:X}, expected 60")
        lds = tlv.find(value, 0x5F01) or b""
        uni = tlv.find(value, 0x5F36) or b""
        tags = tlv.find(value, 0x5C) or b""
    except tlv.TlvError as exc:
        raise LdsError(f"EF.COM unreadable: {exc}") from None
    return {"lds_version": lds.decode("ascii", "replace"), "unicode_version": uni.decode("ascii", "replace"),
            "data_groups": sorted(DG_TAGS[t] for t in tags if t in DG_TAGS)}


def parse_dg1(data: bytes) -> MrzData:
    try:
        tag, value, _ = tlv.read_tlv(data)
        if tag != 0x61:
            raise LdsError(f"DG1 starts with tag {tag:X}, expected 61")
        mrz = tlv.find(value, 0x5F1F)
    except tlv.TlvError as exc:
        raise LdsError(f"DG1 unreadable: {exc}") from None
    if mrz is None:
        raise LdsError("DG1 has no MRZ (tag 5F1F)")
    try:
        return parse_mrz(mrz.decode("ascii"))
    except (UnicodeDecodeError, MrzError) as exc:
        raise LdsError(f"DG1 MRZ unreadable: {exc}") from None


def parse_dg2(data: bytes) -> FaceImage:
    """The first face image of DG2."""
    try:
        tag, value, _ = tlv.read_tlv(data)
        if tag != 0x75:
            raise LdsError(f"DG2 starts with tag {tag:X}, expected 75")
        group = tlv.find(value, 0x7F61)
        if group is None:
            raise LdsError("DG2 has no biometric information group template (7F61)")
        bit = tlv.find(group, 0x7F60)
        if bit is None:
            raise LdsError("DG2 has no biometric information template (7F60)")
        bdb = tlv.find(bit, 0x5F2E) or tlv.find(bit, 0x7F2E)
    except tlv.TlvError as exc:
        raise LdsError(f"DG2 unreadable: {exc}") from None
    if bdb is None:
        raise LdsError("DG2 has no biometric data block (5F2E/7F2E)")
    return parse_facial_record(bdb)


def parse_facial_record(bdb: bytes) -> FaceImage:
    """ISO/IEC 19794-5 (2005): general header, facial record header, feature points, image info."""
    if len(bdb) < 14 or bdb[:4] != b"FAC\x00":
        raise LdsError("biometric data block is not an ISO 19794-5 facial record (no 'FAC' header)")
    faces = int.from_bytes(bdb[12:14], "big")
    if faces < 1:
        raise LdsError("facial record holds no face")
    at = 14
    if len(bdb) < at + 20:
        raise LdsError("facial record header truncated")
    block_len = int.from_bytes(bdb[at:at + 4], "big")
    points = int.from_bytes(bdb[at + 4:at + 6], "big")
    image_info = at + 20 + 8 * points
    image_start = image_info + 12
    end = at + block_len
    if block_len < 32 or end > len(bdb) or image_start > end:
        raise LdsError("facial record block length does not fit the data")
    data_type = bdb[image_info + 1]
    width = int.from_bytes(bdb[image_info + 2:image_info + 4], "big")
    height = int.from_bytes(bdb[image_info + 4:image_info + 6], "big")
    image = bdb[image_start:end]
    if image.startswith(JPEG_MAGIC):
        fmt = "jpeg"
    elif image.startswith(JP2_MAGIC) or image.startswith(J2K_MAGIC):
        fmt = "jp2"
    else:
        raise LdsError(f"face image is neither JPEG nor JPEG 2000 (data type {data_type})")
    return FaceImage(image, fmt, width, height)
