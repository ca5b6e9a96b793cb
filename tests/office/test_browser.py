"""The console in a real browser (Debian's Chromium via chromedriver and Selenium), against a real
`kiosk-office run` process, a real mosquitto and a real station link: sign in, see the station,
acknowledge the alarm a forced door raised, approve the station's case and watch the result-ready
message reach the station. Screenshots go to out/office/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kiosk.services.fleet.backoffice_mqtt import MqttBackOffice
from tests.office.conftest import STATIONS
from tests.office.helpers import submission
from tests.office.office_proc import ROOT, OfficeProc
from tests.office.waits import wait_for

PW = "correct-horse-battery"
SHOTS = ROOT / "out" / "office"
CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")

pytestmark = pytest.mark.skipif(not (CHROMIUM.exists() and DRIVER.exists()),
                                reason="Debian chromium + chromium-driver not installed (scripts/bootstrap.sh)")


@pytest.fixture
def browser():
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not try to download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="office-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                 "--window-size=1366,768", "--lang=zh-CN"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _user(db: str, name: str, role: str) -> None:
    r = subprocess.run([sys.executable, "-m", "office.cli", "user", "add", "--db", db, "--name", name, "--role", role,
                        "--password-stdin"], input=PW + "\n", cwd=ROOT, capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr


def _login(driver, base: str, user: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/login")
    driver.find_element(By.ID, "user").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(PW)
    driver.find_element(By.ID, "submit").click()
    wait_for(lambda: driver.current_url.endswith("/stations"), 10, "the stations page after login")


def _text(driver, css: str) -> str:
    """The element's text, or "" while the page is still loading (for wait_for)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    try:
        return driver.find_element("css selector", css).text
    except (NoSuchElementException, StaleElementReferenceException):
        return ""


def _logout(driver) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    wait_for(lambda: driver.current_url.endswith("/login"), 10, "the login page")


def test_operator_and_approver_in_a_browser(tmp_path, broker, make_station, browser, command_key):
    from selenium.webdriver.common.by import By

    from kiosk.services.fleet import signing

    SHOTS.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{tmp_path}/office.db"
    _user(db, "wang", "operator")
    _user(db, "li", "approver")
    signing.save_private(command_key, tmp_path / "cmd.key")  # the key the test station trusts
    office = OfficeProc(tmp_path / "office", db, broker.url, key=tmp_path / "cmd.key").wait_ready()
    try:
        st = make_station(broker, STATIONS[0])
        assert st.link.wait_connected(10)
        # the station reports a forced door the way the cabinet service does (outbox -> evt/cabinet.door)
        st.outbox.add_now("compartment.reserved", {"compartment": "A01", "size": "S", "case": "SH001-X-1"})
        st.outbox.add_now("compartment.loaded", {"compartment": "A02", "case": "SH001-X-2"})
        st.outbox.add_now("compartment.attention", {"compartment": "A03", "why": "door opened without a release"})
        st.outbox.add_now("cabinet.door", {"compartment": "A03", "event": "uncommanded_open", "board": 1, "lock": 3})
        bo = MqttBackOffice(st.link, st.outbox, timeout_s=10)
        receipt = bo.submit_case(submission(station=STATIONS[0]))
        wait_for(lambda: st.outbox.stats().pending == 0, 15, "the door event stored")

        _login(browser, office.url, "wang")
        row = browser.find_element(By.CSS_SELECTOR, f"tr[data-station='{STATIONS[0]}']")
        assert "在线" in row.text and "1" in row.text
        browser.save_screenshot(str(SHOTS / "1-stations.png"))
        row.find_element(By.LINK_TEXT, STATIONS[0]).click()
        wait_for(lambda: "A03" in _text(browser, "#grid"), 10, "the cabinet grid with the forced compartment")
        browser.save_screenshot(str(SHOTS / "1b-station.png"))

        browser.get(office.url + "/alarms")
        alarm = browser.find_element(By.CSS_SELECTOR, "#alarms tbody tr")
        assert "柜门被强行打开" in alarm.text and "A03" in alarm.text
        browser.save_screenshot(str(SHOTS / "2-alarm-open.png"))
        alarm.find_element(By.CSS_SELECTOR, "button.ack").click()
        wait_for(lambda: browser.find_elements(By.ID, "no-alarms"), 10, "no open alarms after acknowledging")
        browser.get(office.url + "/alarms?state=acked")
        assert "wang" in browser.find_element(By.CSS_SELECTOR, "#alarms tbody tr").text
        browser.save_screenshot(str(SHOTS / "3-alarm-acked.png"))
        # live: a new alarm raised by a station event appears on the open page without a reload
        browser.get(office.url + "/alarms")
        wait_for(lambda: browser.find_elements(By.ID, "no-alarms"), 10, "the empty alarm list")
        browser.execute_script("window.__sameDocument = 1")
        st.outbox.add_now("cabinet.door", {"compartment": "A02", "event": "door_left_open", "board": 1, "lock": 2})
        wait_for(lambda: "柜门未关（锁控板 1，锁 2）" in _text(browser, "#alarms tbody"), 20,
                 "the door-left-open alarm on the page without a reload")
        assert browser.execute_script("return window.__sameDocument") == 1
        browser.save_screenshot(str(SHOTS / "3a-alarm-live.png"))
        for w, h in ((1024, 768), (768, 1024)):  # tablet landscape and portrait
            browser.set_window_size(w, h)
            browser.save_screenshot(str(SHOTS / f"3a-alarm-live-{w}x{h}.png"))
            browser.get(office.url + f"/stations/{STATIONS[0]}")
            browser.save_screenshot(str(SHOTS / f"1b-station-{w}x{h}.png"))
            browser.get(office.url + "/alarms")
        browser.set_window_size(1366, 768)
        # a remote open of the forced compartment: requested by wang, approved by li
        browser.get(office.url + "/commands")
        form = browser.find_element(By.ID, "new-open_compartment")
        form.find_element(By.NAME, "station").send_keys(STATIONS[0])
        form.find_element(By.NAME, "compartment").send_keys("A03")
        form.find_element(By.NAME, "reason").send_keys("检查被撬格口")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for(lambda: "待复核" in _text(browser, "#commands tbody tr .cstate"), 10,
                 "the command waiting for a second person")
        assert not browser.find_elements(By.CSS_SELECTOR, "button.approve-cmd")  # not for its own requester
        browser.save_screenshot(str(SHOTS / "3b-command-pending.png"))
        _logout(browser)

        _login(browser, office.url, "li")
        browser.get(office.url + "/commands")
        browser.find_element(By.CSS_SELECTOR, "button.approve-cmd").click()
        wait_for(lambda: st.target.calls == [("open_compartment", ("A03", "检查被撬格口"))], 15,
                 "the signed open to reach the station")

        def command_state() -> str:
            browser.get(office.url + "/commands")
            return _text(browser, "#commands tbody tr .cstate")

        wait_for(lambda: command_state() == "已完成", 15, "the station's result in the console")
        browser.save_screenshot(str(SHOTS / "3c-command-done.png"))
        browser.get(office.url + "/cases")
        browser.find_element(By.LINK_TEXT, receipt.case_no).click()
        browser.save_screenshot(str(SHOTS / "4-case.png"))
        browser.find_element(By.ID, "approve").click()
        wait_for(lambda: browser.current_url.endswith("/cases"), 10, "back on the case list")
        # the station learns of the result through its own back-office link, and gets the signed
        # deposit task (a compartment of the result's size reserved for the case)
        events = wait_for(lambda: bo.poll_events(), 10, "result_ready at the station")
        assert [e.kind for e in events][-1] == "result_ready" and events[-1].case_no == receipt.case_no
        wait_for(lambda: ("assign_deposit", (receipt.case_no, "S")) in st.target.calls, 15,
                 "the deposit task at the station")
        browser.get(office.url + f"/cases/{receipt.case_no}")
        assert "待投柜" in browser.find_element(By.ID, "case-status").text
        browser.find_element(By.ID, "lang").click()
        wait_for(lambda: "Result ready" in _text(browser, "#case-status"), 10, "English")
        browser.save_screenshot(str(SHOTS / "5-case-approved-en.png"))
        for name, path in (("6-alarms-en", "/alarms?state="), ("7-station-en", f"/stations/{STATIONS[0]}"),
                           ("8-pickups-en", "/pickups")):
            browser.get(office.url + path)
            browser.save_screenshot(str(SHOTS / f"{name}.png"))
        browser.get(office.url + "/alarms?state=")
        assert "Door left open (board 1, lock 2)" in _text(browser, "#alarms")  # an approver: no buttons
        assert not browser.find_elements(By.CSS_SELECTOR, "form.assign")
    finally:
        office.stop()
