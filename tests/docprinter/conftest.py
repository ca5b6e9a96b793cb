"""A private CUPS (own config, spool and port; hw_sim.cups_printer) with the simulated A4 PDF
printer, started once for the module; every test starts from a cleared fault."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(scope="module")
def cups_sim():
    if shutil.which("cupsd") is None or shutil.which("pdftotext") is None:
        pytest.fail("Debian packages missing: apt-get install cups cups-client cups-bsd printer-driver-cups-pdf "
                    "poppler-utils (scripts/bootstrap.sh installs them)")
    if os.geteuid() != 0:
        pytest.skip("a private cupsd with cups-pdf needs root (the cups-pdf backend runs as root)")
    from hw_sim.cups_printer import PrivateCups

    cups = PrivateCups().start()
    cups.add_queue("A4")
    yield cups
    cups.cleanup()


@pytest.fixture
def cups(cups_sim):
    cups_sim.set_fault("A4", "clear")
    return cups_sim


@pytest.fixture
def certificate():
    from kiosk.services.certificate_pdf import CertificateData, mask_name, render_certificate

    data = CertificateData("社会保险个人参保证明", "Social insurance certificate", "SH01-20261122-0001-7",
                           mask_name("奥巴马"), "1101**********0134", "杭州市社会保险管理服务中心", "2026-11-22",
                           "ABC123DEF456", ("兹证明该参保人缴费正常。",) * 25)  # long enough for two pages
    return render_certificate(data)
