"""Doc 9303 machinery against PUBLISHED vectors (part 11 appendix D, part 3/4/5 specimens), for
both the station's side (kiosk) and the simulated chip (hw_sim), plus hostile inputs."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from hw_sim.emrtd.chip import Chip
from hw_sim.emrtd.documents import build_files, ef_sod, sim_pki
from hw_sim.identities import get_identity
from kiosk.devices.idreader.emrtd import lds, tlv
from kiosk.devices.idreader.emrtd.bac import BacError, BacKeys, BacTerminal
from kiosk.devices.idreader.emrtd.crypto import adjust_parity
from kiosk.devices.idreader.emrtd.mrz import MrzError, check_digit, mrz_information, parse_mrz
from kiosk.devices.idreader.emrtd.sm import SecureMessaging, SmError
from kiosk.devices.idreader.emrtd.sod import SodError, load_trust_store, parse_sod, passive_authentication

H = bytes.fromhex
# Doc 9303 part 11, appendix D (D.2-D.4)
RND_IC, RND_IFD = H("4608F91988702212"), H("781723860C06C226")
K_IFD, K_IC = H("0B795240CB7049B01C19B33E32804F0B"), H("0B4F80323EB3191CB04970CB4052790B")
EXT_AUTH = H("0082000028" "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2" "5F1448EEA8AD90A7" "28")
EXT_AUTH_RESP = H("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449")
KS_ENC, KS_MAC, SSC = H("979EC13B1CBFE9DCD01AB0FED307EAE5"), H("F1CB1F1FB5ADF208806B89DC579DC1F8"), H("887022120C06C226")
SM_EXCHANGES = [  # (plain command, protected command, protected response, plain data)
    ((0xA4, 2, 0x0C, H("011E"), None), H("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"),
     H("990290008E08FA855A5D4C50A8ED9000"), b""),
    ((0xB0, 0, 0, b"", 4), H("0CB000000D9701048E08ED6705417E96BA5500"),
     H("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"), H("60145F01")),
    ((0xB0, 0, 4, b"", 0x12), H("0CB000040D9701128E082EA28A70F3C7B53500"),
     H("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"),
     H("04303130365F36063034303030305C026175")),
]
EF_COM_EXAMPLE = H("60145F0104303130365F36063034303030305C026175")


def test_key_derivation_reference_vector():
    info = mrz_information("L898902C", "690806", "940623")
    assert info == "L898902C<369080619406236"
    keys = BacKeys.from_mrz_information(info)
    assert keys.k_seed == H("239AB9CB282DAF66231DC5A4DF6BFBAE")
    assert keys.k_enc == H("AB94FDECF2674FDFB9B391F85D7F76F2")
    assert keys.k_mac == H("7962D9ECE03D1ACD4C76089DCE131543")
    assert "AB94" not in repr(keys)


def test_parity_adjustment():
    assert adjust_parity(b"\x00\x01\xfe\xff") == b"\x01\x01\xfe\xfe"


def test_terminal_side_of_bac_and_sm_matches_appendix_d():
    keys = BacKeys.from_mrz("L898902C", "690806", "940623")
    terminal = BacTerminal(keys, rnd_ifd=RND_IFD, k_ifd=K_IFD)
    assert terminal.external_authenticate(RND_IC) == EXT_AUTH
    sm = terminal.finish(EXT_AUTH_RESP)
    assert (sm.ks_enc, sm.ks_mac, sm.ssc.to_bytes(8, "big")) == (KS_ENC, KS_MAC, SSC)
    read = b""
    for (ins, p1, p2, data, le), protected, response, plain in SM_EXCHANGES:
        assert sm.protect(0, ins, p1, p2, data, le) == protected
        out, sw = sm.unprotect(response)
        assert (out, sw) == (plain, 0x9000)
        read += out
    assert read == EF_COM_EXAMPLE


def test_chip_side_matches_appendix_d():
    randoms = iter([RND_IC, K_IC])
    chip = Chip("L898902C<369080619406236", {0x011E: EF_COM_EXAMPLE}, random=lambda n: next(randoms))
    assert chip.process(H("00A4040C07A0000002471001")) == H("9000")
    assert chip.process(H("0084000008")) == RND_IC + H("9000")
    assert chip.process(EXT_AUTH) == EXT_AUTH_RESP + H("9000")
    for _cmd, protected, response, _plain in SM_EXCHANGES:
        assert chip.process(protected) == response


def test_chip_refuses_wrong_keys_and_plain_reads():
    chip = Chip("L898902C<369080619406236", {0x011E: EF_COM_EXAMPLE})
    assert chip.process(H("00B0000004")) == H("6982")
    chip.process(H("00A4040C07A0000002471001"))
    rnd = chip.process(H("0084000008"))[:8]
    wrong = BacTerminal(BacKeys.from_mrz("L898902C", "690806", "940624"))
    assert chip.process(wrong.external_authenticate(rnd)) == H("6300")


def test_tampered_sm_response_is_rejected():
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    sm.protect(0, 0xA4, 2, 0x0C, H("011E"))
    bad = bytearray(H("990290008E08FA855A5D4C50A8ED9000"))
    bad[3] ^= 1
    with pytest.raises(SmError, match="MAC"):
        sm.unprotect(bytes(bad))
    for hostile in (b"", b"\x90", H("6988"), H("99029000"), H("8E"), H("87FF01") + bytes(10) + H("9000")):
        with pytest.raises(SmError):
            SecureMessaging(KS_ENC, KS_MAC, SSC).unprotect(hostile)


def test_bac_answer_with_a_bad_mac_is_refused():
    terminal = BacTerminal(BacKeys.from_mrz("L898902C", "690806", "940623"), rnd_ifd=RND_IFD, k_ifd=K_IFD)
    terminal.external_authenticate(RND_IC)
    with pytest.raises(BacError, match="MAC"):
        terminal.finish(EXT_AUTH_RESP[:-1] + b"\x00")
    with pytest.raises(BacError):
        terminal.finish(b"short")


# -- MRZ ----------------------------------------------------------------------------------------
TD3_SPECIMEN = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
                "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
TD1_SPECIMEN = ("I<UTOD231458907<<<<<<<<<<<<<<<"
                "7408122F1204159UTO<<<<<<<<<<<6"
                "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")


def test_check_digits():
    assert check_digit("L898902C3") == "6"
    assert check_digit("740812") == "2" and check_digit("120415") == "9"
    assert check_digit("D23145890") == "7"
    with pytest.raises(MrzError):
        check_digit("abc")


def test_td3_specimen():
    m = parse_mrz(TD3_SPECIMEN)
    assert (m.format, m.surname, m.given_names, m.document_number) == ("TD3", "ERIKSSON", "ANNA MARIA", "L898902C3")
    assert (m.nationality, m.birth_date, m.sex, m.expiry_date) == ("UTO", "740812", "F", "120415")
    assert m.all_checks_ok, m.checks


def test_td1_specimen():
    m = parse_mrz(TD1_SPECIMEN)
    assert (m.format, m.document_code, m.document_number, m.surname) == ("TD1", "I", "D23145890", "ERIKSSON")
    assert m.all_checks_ok, m.checks


@pytest.mark.parametrize("at, field", [(53, "document_number"), (63, "birth_date"), (71, "expiry_date")])
def test_td3_bad_check_digits_are_named(at, field):
    broken = TD3_SPECIMEN[:at] + ("1" if TD3_SPECIMEN[at] != "1" else "2") + TD3_SPECIMEN[at + 1:]
    m = parse_mrz(broken)
    assert field in m.failed_checks and not m.all_checks_ok


def test_mrz_hostile_inputs():
    with pytest.raises(MrzError, match="neither TD3"):
        parse_mrz("P<UTO")
    with pytest.raises(MrzError, match="not allowed"):
        parse_mrz(TD3_SPECIMEN.replace("<", "a", 1))
    with pytest.raises(MrzError):
        mrz_information("L898902C", "6908", "940623")
    with pytest.raises(MrzError):
        mrz_information("TOOLONGNUMBER1", "690806", "940623")


# -- LDS, TLV, SOD ----------------------------------------------------------------------------
def test_tlv_hostile_inputs():
    for hostile in (b"", b"\x61", b"\x61\x85\x00", b"\x61\x82\x01", b"\x61\x05abc", b"\x5f"):
        with pytest.raises(tlv.TlvError):
            tlv.read_tlv(hostile)
    assert tlv.read_tlv(tlv.encode(0x5F1F, b"x" * 300))[1] == b"x" * 300


def test_ef_com_example():
    assert lds.parse_com(EF_COM_EXAMPLE) == {"lds_version": "0106", "unicode_version": "040000", "data_groups": [1, 2]}


@pytest.mark.parametrize("fmt", ["jpeg", "jp2"])
def test_dg2_face_image_decodes_with_opencv(fmt):
    files = build_files(get_identity("kit_harington"), fmt)
    face = lds.parse_dg2(files[0x0102])
    assert face.format == fmt and (face.width, face.height) == (240, 296)
    image = cv2.imdecode(np.frombuffer(face.data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape == (296, 240, 3)


def test_lds_hostile_files():
    files = build_files(get_identity("obama"))
    for broken, parse in ((files[0x0101][:20], lds.parse_dg1), (files[0x0102][:300], lds.parse_dg2),
                          (b"\x75\x03\x7f\x61\x00", lds.parse_dg2), (EF_COM_EXAMPLE[:5], lds.parse_com),
                          (b"\x62\x00", lds.parse_dg1)):
        with pytest.raises(lds.LdsError):
            parse(broken)
    record = lds.parse_dg2(files[0x0102])
    with pytest.raises(lds.LdsError, match="neither JPEG"):
        lds.parse_facial_record(b"FAC\x00010\x00" + bytes(4) + b"\x00\x01" + (40).to_bytes(4, "big") + bytes(40))
    assert record.data.startswith(b"\xff\xd8")


def test_passive_authentication(tmp_path):
    files = build_files(get_identity("obama"))
    dgs = {1: files[0x0101], 2: files[0x0102]}
    sod = parse_sod(files[0x011D])
    trust = load_trust_store(sim_pki().write_trust_store(tmp_path / "trust"))
    ok = passive_authentication(sod, dgs, trust)
    assert ok.ok and ok.hashes_ok and ok.signature == "valid" and ok.chain == "valid"
    tampered = passive_authentication(sod, {**dgs, 2: dgs[2][:-1] + b"\x00"}, trust)
    assert not tampered.ok and tampered.dg_ok == {1: True, 2: False} and "DG2" in tampered.summary()
    assert passive_authentication(sod, dgs, None).chain == "no_trust_store"


def test_passive_authentication_with_a_foreign_trust_store(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import datetime as dt

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "other CSCA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "other.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "README").write_text("not a certificate")
    files = build_files(get_identity("obama"))
    result = passive_authentication(parse_sod(files[0x011D]), {1: files[0x0101]}, load_trust_store(tmp_path))
    assert result.signature == "valid" and result.chain == "unknown_issuer" and not result.ok


def test_sod_signed_by_a_forged_key_fails(tmp_path):
    import dataclasses

    from cryptography.hazmat.primitives.asymmetric import ec

    pki = sim_pki()
    forged = dataclasses.replace(pki, ds_key=ec.generate_private_key(ec.SECP256R1()))
    files = build_files(get_identity("obama"))
    sod = parse_sod(ef_sod({1: files[0x0101]}, forged))
    result = passive_authentication(sod, {1: files[0x0101]}, load_trust_store(pki.write_trust_store(tmp_path)))
    assert result.hashes_ok and result.signature == "invalid" and not result.ok


def test_sod_hostile_inputs():
    for hostile in (b"", b"\x77\x03abc", b"\x60\x00", b"\x77\x82\x00\x05" + b"\x30\x03\x02\x01\x00"):
        with pytest.raises(SodError):
            parse_sod(hostile)
