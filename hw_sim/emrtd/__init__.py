"""The card side of a virtual eMRTD: its files built from a sample identity and signed by a test
PKI generated at run time (`documents`), and the chip's APDU logic with BAC and secure
messaging (`chip`). Written independently of `kiosk.devices.idreader.emrtd` (both are tested
against the Doc 9303 part 11 worked example), so the two do not merely agree with each other."""
