"""The shared sample identities: complete, consistent, photos present and of one person each."""

from __future__ import annotations

from pathlib import Path

import pytest

from hw_sim import identities
from hw_sim.identities import SAMPLE_IDENTITIES, get_identity

REQUIRED_PEOPLE = {"obama", "biden", "kit_harington", "rose_leslie", "alex_lacamoire", "lin_manuel_miranda"}


def test_edge_cases_and_people_are_covered():
    idents = SAMPLE_IDENTITIES.values()
    assert REQUIRED_PEOPLE <= {i.key for i in idents}
    assert any(i.id_number.endswith("X") for i in idents)
    assert any(i.valid_to is None for i in idents)
    assert {"02", "04", "05", "56", "97", "98"} <= {i.nation_code for i in idents}
    longest = get_identity("longest_fields")
    assert (len(longest.name_zh), len(longest.address), len(longest.issuer)) == (15, 35, 15)


@pytest.mark.parametrize("key", sorted(SAMPLE_IDENTITIES))
def test_identity_is_consistent(key):
    ident = get_identity(key)
    assert ident.face_files and all(f.startswith(ident.person + "_") for f in ident.face_files)
    assert all(p.is_file() for p in ident.face_paths())
    assert ident.id_number[6:14] == ident.birth_date.strftime("%Y%m%d")
    assert int(ident.id_number[16]) % 2 == (1 if ident.sex == "1" else 0)  # odd = male
    assert len(ident.passport_number) <= 9 and ident.passport_expiry is not None
    assert ident.id_number not in repr(ident)


def test_unknown_key_names_the_known_ones():
    with pytest.raises(KeyError, match="obama"):
        get_identity("nobody")


def test_missing_samples_are_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_SAMPLES_DIR", str(tmp_path / "nothing"))
    with pytest.raises(FileNotFoundError, match=r"make setup|hw_sim.faces.samples"):
        identities.testdata_faces_dir()


def test_faces_live_in_the_checkout_not_beside_it(samples):
    assert identities.testdata_faces_dir() == Path(identities.__file__).resolve().parent.parent / "var/samples/faces"
    assert (samples / "SOURCES.md").is_file()


def test_each_person_is_one_face_and_persons_differ(samples):
    """The fetched set: every photo has exactly one face, and different persons' photos differ."""
    from hw_sim.faces import synth
    for ident in {i.person: i for i in SAMPLE_IDENTITIES.values()}.values():
        for p in ident.face_paths():
            assert synth.landmarks(synth.read_image(p)) is not None, p
