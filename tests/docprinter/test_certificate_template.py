"""The certificate template: A4, Chinese text that can be read back, the masked holder only, a
verification QR that decodes to the verify URL, clear errors for missing fields."""

from __future__ import annotations

import subprocess

import pytest

from kiosk.services.certificate_pdf import CertificateData, CertificateError, mask_name, render_certificate
from kiosk.services.material_pdf import inspect_pdf


def test_text_size_and_qr(tmp_path, certificate):
    info = inspect_pdf(certificate)
    assert info.pages == 2 and info.all_a4
    path = tmp_path / "c.pdf"
    path.write_bytes(certificate)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for expected in ("社会保险个人参保证明", "Social insurance certificate", "姓名：奥*马", "1101**********0134",
                     "SH01-20261122-0001-7", "出具日期：2026-11-22", "验证码：ABC123DEF456"):
        assert expected in text, expected
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "2", "-l", "2", str(path), str(tmp_path / "p")], check=True)
    import cv2
    import zxingcpp

    image = cv2.imread(str(next(tmp_path.glob("p*.png"))))
    codes = [r.text for r in zxingcpp.read_barcodes(image)]
    assert codes == ["https://zwfw.example.gov.cn/verify/ABC123DEF456"]


@pytest.mark.parametrize("name, masked", [("奥巴马", "奥*马"), ("李四", "李*"), ("欧阳娜娜", "欧**娜"), ("X", "*"), ("", "")])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_missing_field_is_named():
    with pytest.raises(CertificateError, match="verify_code"):
        render_certificate(CertificateData("证明", "Cert", "SH01-20261122-0001-7", "奥*马", "1101****0134", "中心",
                                           "2026-11-22", ""))
