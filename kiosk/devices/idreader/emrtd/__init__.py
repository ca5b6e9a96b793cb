"""ICAO Doc 9303 machinery for eMRTDs (passports, chip ID cards), free of any device library:
MRZ check digits and parsing (`mrz`), BAC key derivation and mutual authentication (`bac`),
3DES secure messaging (`sm`, `crypto`), BER-TLV (`tlv`), the data groups (`lds`) and passive
authentication of EF.SOD (`sod`). `kiosk.devices.idreader.pcsc` drives it over PC/SC."""
