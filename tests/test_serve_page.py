"""The page for officials at `/` of `kotodoc serve`, in a real browser.

The service runs as it would at a desk (`kotodoc serve` on a loopback port, one LibreOffice lane
warming while the browser starts); Debian's chromium, headless, is driven by Selenium through
chromedriver. One browser and one service for the module, so that the whole file stays within a
minute.

Set `KOTODOC_SCREENSHOT_DIR` to keep screenshots of the page (1280×900): the documentation's
pictures are taken this way; without it nothing is written outside pytest's temporary folders.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pypdf import PdfReader
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select

from tests.conftest import ROOT, docx_text, norm, pdf_text

pytestmark = pytest.mark.soffice  # the service renders PDFs with LibreOffice

SAMPLE = ROOT / "samples" / "tampere-2024-fi.yaml"
NOTICES = ROOT / "samples" / "espoo-municipality-fi.yaml"  # a plan and its no-show fee notices
GOOD = "date_of_birth: 1990-01-01"
BAD = "date_of_birth: 1990-13-01"  # no 13th month: a format error at this line
WIDTH, HEIGHT = 1280, 900
T = TypeVar("T")
WebDriver = webdriver.Chrome


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`kotodoc serve` on a free loopback port, as an official's machine would run it."""
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "kotodoc", "serve", "--port", str(port), "--lanes", "1"],
                                   stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                # Answering is enough: checks need no LibreOffice, and the first render waits for
                # its lane, so the browser's first steps overlap LibreOffice's start.
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the service did not answer within 60 s"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads: Path) -> Iterator[WebDriver]:
    """Debian's chromium, headless, whose user prefers Swedish (then Finnish), 1280×900."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={WIDTH},{HEIGHT}"):
        options.add_argument(argument)  # --no-sandbox: chromium's sandbox refuses to run as root
    options.add_experimental_option("prefs", {
        "intl.accept_languages": "sv-FI,sv,fi",
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
    })
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
        driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                               {"behavior": "allow", "downloadPath": str(downloads)})
        yield driver
    finally:
        driver.quit()


def wait(condition: Callable[[], T | None], seconds: float = 30, what: str = "") -> T:
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = condition()
        except WebDriverException:
            value = None
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what or condition}"
        time.sleep(0.05)


def by_id(driver: WebDriver, name: str) -> WebElement:
    return driver.find_element(By.ID, name)


def status(driver: WebDriver) -> str:
    return by_id(driver, "status").text


def busy(driver: WebDriver) -> bool:
    """Whether the findings are being asked for (the list says so to assistive technology)."""
    return by_id(driver, "finding-list").get_attribute("aria-busy") == "true"


def findings(driver: WebDriver) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "#finding-list > li")


def paste(driver: WebDriver, text: str) -> None:
    """Put `text` in the editor as a paste does (one input event), without typing it key by key."""
    editor = by_id(driver, "editor")
    driver.execute_script("arguments[0].focus(); arguments[0].value = arguments[1];"
                          "arguments[0].dispatchEvent(new InputEvent('input', {inputType: 'insertFromPaste'}))",
                          editor, text)


def screenshot(driver: WebDriver, name: str, settle: float = 0) -> None:
    folder = os.environ.get("KOTODOC_SCREENSHOT_DIR")
    if folder:
        time.sleep(settle)
        driver.execute_script("document.activeElement.blur()")  # no caret or focus ring in the picture
        ActionChains(driver).move_to_element(driver.find_element(By.TAG_NAME, "footer")).perform()  # no hover
        driver.save_screenshot(str(Path(folder) / name))


def console_errors(driver: WebDriver) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return [e for e in entries if e["level"] in ("SEVERE", "ERROR")]


def press(driver: WebDriver, *keys: str, holding: str | None = None) -> None:
    """Keys pressed as a person presses them, into whatever has the focus (`holding`: a modifier)."""
    actions = ActionChains(driver)
    if holding:
        actions.key_down(holding)
    actions.send_keys(*keys)
    if holding:
        actions.key_up(holding)
    actions.perform()


def active_id(driver: WebDriver) -> str:
    return str(driver.execute_script(
        "const a = document.activeElement; return a.id || a.dataset.uiLang || a.className || a.tagName"))


def test_check_fix_preview_download(service: str, browser: WebDriver, downloads: Path) -> None:
    """This test ensures that an official can paste a case with a mistake, see the finding at its
    line in their language, fix it, see the plan's PDF and download it; the PDF is the plan of
    the case, its file name carries no personal data, and the page neither errs nor keeps data."""
    driver = browser
    driver.get(f"{service}/")
    # The browser prefers Swedish: the page speaks Swedish and says so to screen readers.
    assert driver.execute_script("return document.documentElement.lang") == "sv"
    assert by_id(driver, "check").text == "Granska"
    assert driver.find_element(By.CSS_SELECTOR, "[data-ui-lang=sv]").get_attribute("aria-pressed") == "true"

    text = SAMPLE.read_text(encoding="utf-8")
    assert GOOD in text
    line = text[: text.index(GOOD)].count("\n") + 1
    column = len(text.splitlines()[line - 1]) - len("1990-01-01") + 1  # where the value starts
    paste(driver, text.replace(GOOD, BAD))
    by_id(driver, "check").click()
    wait(lambda: findings(driver), what="the finding")

    # The finding, at its line: in the list (with its place, path and the line itself), in the
    # line numbers beside the text, and on the editor for screen readers.
    errors = driver.find_elements(By.CSS_SELECTOR, "#finding-list > li.error")
    assert len(errors) == 1
    error = errors[0]
    goto = error.find_element(By.CSS_SELECTOR, "button.goto")
    assert goto.text == f"Rad {line}, kolumn {column}"
    assert error.find_element(By.CSS_SELECTOR, ".path").text == "person.date_of_birth"
    # The message in the page's language (the service's ui_lang), without the value: a date of
    # birth is personal data and is never echoed.
    assert "inte ett giltigt datum" in error.find_element(By.CSS_SELECTOR, ".message").text
    assert "1990-13-01" not in error.find_element(By.CSS_SELECTOR, ".message").text
    assert error.find_element(By.CSS_SELECTOR, ".message").get_attribute("lang") == "sv"  # Content-Language
    assert BAD in error.find_element(By.CSS_SELECTOR, ".excerpt").text
    assert status(driver).startswith("1 fel")
    gutter = driver.execute_script(  # one call, not one per line
        "return [...document.querySelectorAll('#gutter > div')].map(d => [d.textContent, d.className, d.title])")
    assert len(gutter) == text.count("\n") + 1
    message = error.find_element(By.CSS_SELECTOR, ".message").text
    assert [(n, level, title) for n, level, title in gutter if level] == [(str(line), "error", f"Fel: {message}")]
    assert by_id(driver, "editor").get_attribute("aria-invalid") == "true"
    described = str(by_id(driver, "editor").get_attribute("aria-describedby")).split()
    assert "1 fel" in str(by_id(driver, described[-1]).get_attribute("textContent"))
    screenshot(driver, "service-page-finding-sv.png")

    # The switch to Finnish: the page's words change, the findings are asked again in Finnish.
    driver.find_element(By.CSS_SELECTOR, "[data-ui-lang=fi]").click()
    wait(lambda: status(driver).startswith("1 virhe") and not busy(driver), what="the findings asked again")
    assert driver.execute_script("return document.documentElement.lang") == "fi"
    goto = driver.find_element(By.CSS_SELECTOR, "#finding-list > li.error button.goto")
    assert goto.text == f"Rivi {line}, sarake {column}"
    assert "ei ole oikea päivämäärä" in driver.find_element(By.CSS_SELECTOR, "#finding-list > li.error .message").text
    # Every word of the page exists in the three languages.
    keys = driver.execute_script("return ['fi', 'sv', 'en'].map(l => Object.keys(window.KOTODOC_STRINGS[l]).sort())")
    assert keys[0] == keys[1] == keys[2]
    used = driver.execute_script("return [...document.querySelectorAll('[data-t]')].map(e => e.dataset.t)")
    assert set(used) <= set(keys[0])

    # To the line, and the mistake is selected: typing the right date fixes it.
    goto.click()
    assert active_id(driver) == "editor"
    start, end = driver.execute_script("const e = arguments[0]; return [e.selectionStart, e.selectionEnd]",
                                       by_id(driver, "editor"))
    mistake = text.index(GOOD) + len("date_of_birth: ")
    assert (start, end) == (mistake, mistake + len("1990-13-01"))
    by_id(driver, "editor").send_keys("1990-01-01")
    assert "muutettu" in by_id(driver, "summary").find_element(By.CSS_SELECTOR, ".stale-note").text
    by_id(driver, "check").click()
    wait(lambda: not driver.find_elements(By.CSS_SELECTOR, "#finding-list > li.error"), what="no error")
    assert by_id(driver, "editor").get_attribute("aria-invalid") is None
    assert not driver.find_elements(By.CSS_SELECTOR, "#summary .stale-note")
    assert by_id(driver, "editor").get_attribute("value") == text

    # The preview: the PDF in a frame, from a blob: URL made by the page.
    by_id(driver, "preview").click()
    frame = wait(lambda: by_id(driver, "pdf") if by_id(driver, "pdf").is_displayed() else None, 60, "the preview")
    assert (frame.get_attribute("src") or "").startswith(f"blob:{service}/")
    assert status(driver) == "PDF näkyy esikatselussa."
    screenshot(driver, "service-page.png", settle=1.5)  # the PDF viewer draws the first page

    # No keyboard trap in the preview: Tab goes through the PDF viewer's controls, out of the page
    # and round to its first control again.
    # (The viewer takes Tab only once it has started: until then the round passes it by.)
    driver.execute_script("document.getElementById('print').focus()")
    places: list[str] = []
    while "pdf" not in places or places[-1] != "skip":
        assert len(places) < 150, places
        press(driver, Keys.TAB)
        places.append(active_id(driver))

    # Print: the viewer in the frame is asked to print the plan (its dialog is the browser's own).
    driver.execute_script("window.printed = 0; arguments[0].contentWindow.print = () => { window.printed += 1; };",
                          frame)
    by_id(driver, "print").click()
    wait(lambda: driver.execute_script("return window.printed") == 1, what="the print")

    # The download: the plan of this case, under a name that says nothing of the person.
    by_id(driver, "download-pdf").click()
    pdf = wait(lambda: next(iter(downloads.glob("*.pdf")), None), 30, "the downloaded PDF")
    wait(lambda: not list(downloads.glob("*.crdownload")), 30, "the download to finish")
    assert re.fullmatch(r"[A-Za-z0-9._-]+\.pdf", pdf.name)
    assert not {"haidari", "zahra", "1990"} & set(re.split(r"[._-]", pdf.name.lower()))
    content = pdf_text(pdf)
    assert "Kotoutumissuunnitelma" in content
    for value in ("Haidari", "Zahra", "TRE-2024-0064", "Tampereen kaupunki", "1.1.1990"):
        assert value in content
    reader = PdfReader(pdf)
    assert reader.metadata is not None and "kotoutumissuunnitelma" in norm(str(reader.metadata.title)).lower()

    # The DOCX, to edit further: the same plan.
    by_id(driver, "download-docx").click()
    docx = wait(lambda: next(iter(downloads.glob("*.docx")), None), 30, "the downloaded DOCX")
    wait(lambda: not list(downloads.glob("*.crdownload")), 30, "the download to finish")
    assert docx.stem == pdf.stem
    assert "Haidari" in docx_text(docx) and "Kotoutumissuunnitelma" in docx_text(docx)

    # In both languages at once: one bilingual document, named as such.
    Select(by_id(driver, "doc-lang")).select_by_value("fi+sv")
    by_id(driver, "download-pdf").click()
    both = wait(lambda: next(iter(downloads.glob("*fi+sv.pdf")), None), 30, "the bilingual PDF")
    wait(lambda: not list(downloads.glob("*.crdownload")), 30, "the download to finish")
    assert "Kotoutumissuunnitelma" in pdf_text(both) and "Integrationsplan" in pdf_text(both)

    # Nothing went elsewhere than the service, nothing is kept in the browser, nothing erred.
    origins = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)")
    assert set(origins) <= {service}
    assert driver.execute_script("return localStorage.length + sessionStorage.length") == 0
    assert console_errors(driver) == []


def test_keyboard_only(service: str, browser: WebDriver) -> None:
    """This test ensures that the main controls are reached in a sensible order with Tab alone,
    show where the focus is, and work with Enter: a skeleton is started, checked, and a
    finding's line reached; Tab leaves the editor (no trap)."""
    driver = browser
    driver.get(f"{service}/?lang=en")
    order = []
    for _ in range(14):
        press(driver, Keys.TAB)
        order.append(active_id(driver))
    assert order == ["skip", "fi", "sv", "en", "file", "kind", "skeleton-lang", "skeleton", "editor",
                     "check", "doc-lang", "preview", "download-pdf", "download-docx"]

    # The focus is visible: on the file button (its input is hidden, its label shows the ring) and
    # on a button (the style sheet gives every control the same ring).
    for _ in range(9):
        press(driver, Keys.TAB, holding=Keys.SHIFT)
    assert active_id(driver) == "file"
    ring = "return getComputedStyle(document.querySelector('label[for=file]')).outlineStyle"
    assert driver.execute_script(ring) == "solid"
    for _ in range(9):
        press(driver, Keys.TAB)
    press(driver, Keys.TAB, holding=Keys.SHIFT)
    assert active_id(driver) == "download-pdf"
    assert driver.execute_script("return getComputedStyle(document.activeElement).outlineStyle") == "solid"

    # Back to the kind, choose the family plan with the arrow keys, start its skeleton with Enter.
    for _ in range(7):
        press(driver, Keys.TAB, holding=Keys.SHIFT)
    assert active_id(driver) == "kind"
    press(driver, Keys.ARROW_DOWN, Keys.ARROW_DOWN)
    assert by_id(driver, "kind").get_attribute("value") == "family-plan"
    press(driver, Keys.TAB, Keys.TAB, Keys.ENTER)
    wait(lambda: "kind: family-plan" in (by_id(driver, "editor").get_attribute("value") or ""), what="the skeleton")
    assert active_id(driver) == "editor"
    assert "integration plan for a family, in English" in status(driver)

    # Ctrl+Enter checks it: the skeleton's placeholders are errors, each at its line.
    press(driver, Keys.ENTER, holding=Keys.CONTROL)
    wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#finding-list > li.error"), what="the findings")
    first = driver.find_element(By.CSS_SELECTOR, "#finding-list button.goto")
    line = int(re.search(r"\d+", first.text).group())  # type: ignore[union-attr]

    # Tab leaves the editor for the next control, and reaches the first finding's button.
    press(driver, Keys.TAB)
    assert active_id(driver) == "check"
    for _ in range(3):
        press(driver, Keys.TAB)
    assert active_id(driver) == "goto"
    press(driver, Keys.ENTER)
    assert active_id(driver) == "editor"
    selected = driver.execute_script("const e = arguments[0]; return e.value.slice(0, e.selectionStart)",
                                     by_id(driver, "editor"))
    assert selected.count("\n") + 1 == line
    assert console_errors(driver) == []


def test_page_headers(service: str) -> None:
    """This test ensures that the page is served with a strict Content-Security-Policy it can live
    with (no inline script or style, no other origin, not framed) and no script of its own inline."""
    with urllib.request.urlopen(f"{service}/") as response:
        policy = response.headers["Content-Security-Policy"]
        html = response.read().decode("utf-8")
    rules = dict(rule.strip().split(" ", 1) for rule in policy.split(";"))
    assert rules["default-src"] == "'none'"
    assert rules["script-src"] == "'self'" and rules["style-src"] == "'self'"
    assert rules["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy and "http" not in policy
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "an inline script"
    assert not re.search(r"\son\w+=|\sstyle=", html), "an inline handler or style"
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "something from elsewhere"
    with urllib.request.urlopen(f"{service}/static/page.js") as response:
        assert response.headers["Content-Security-Policy"] == policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_open_file_with_several_documents(service: str, browser: WebDriver, downloads: Path) -> None:
    """This test ensures that a case file opened from disk, or dropped on the page, is checked at
    once, and that a case that gives several documents (a plan and its fee notices, a ZIP from the
    service) shows its plan in the preview and downloads them all as one ZIP."""
    driver = browser
    # The test reads back the previewed PDF from its blob: URL, which the page's policy (rightly)
    # forbids fetching; the first test runs under the policy.
    driver.execute_cdp_cmd("Page.setBypassCSP", {"enabled": True})
    try:
        opened_and_previewed(driver, service, downloads)
    finally:
        driver.execute_cdp_cmd("Page.setBypassCSP", {"enabled": False})


def opened_and_previewed(driver: WebDriver, service: str, downloads: Path) -> None:
    driver.get(f"{service}/?lang=en")
    by_id(driver, "file").send_keys(str(NOTICES))
    wait(lambda: status(driver) == "The file was opened and checked.", what="the file checked")
    assert by_id(driver, "editor").get_attribute("value") == NOTICES.read_text(encoding="utf-8")
    assert not driver.find_elements(By.CSS_SELECTOR, "#finding-list > li.error")

    by_id(driver, "preview").click()
    wait(lambda: by_id(driver, "pdf").is_displayed(), 60, "the preview")
    assert status(driver) == "The case gives several documents; the preview shows the plan."
    plan = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(document.getElementById('pdf').src).then(r => r.arrayBuffer())"
        ".then(b => done(Array.from(new Uint8Array(b))))")
    shown = downloads / "shown.bin"
    shown.write_bytes(bytes(plan))
    assert "Kotoutumissuunnitelma" in pdf_text(shown)
    metadata = PdfReader(shown).metadata  # the plan, not one of its notices
    assert metadata is not None and "kotoutumissuunnitelma" in norm(str(metadata.title)).lower()

    by_id(driver, "download-pdf").click()
    archive = wait(lambda: next(iter(downloads.glob("*.zip")), None), 30, "the downloaded ZIP")
    wait(lambda: not list(downloads.glob("*.crdownload")), 30, "the download to finish")
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
    assert len([n for n in names if n.endswith(".pdf")]) >= 2

    # A file dropped on the page is opened too (the browser does not leave the page for it), once
    # the official agrees to replace the text.
    driver.execute_script(
        "const data = new DataTransfer(); data.items.add(new File([arguments[0]], 'case.yaml'));"
        "document.getElementById('preview').dispatchEvent("
        "new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}))",
        SAMPLE.read_text(encoding="utf-8").replace(GOOD, BAD))
    wait(lambda: driver.switch_to.alert, what="the question").accept()
    wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#finding-list > li.error"), what="the dropped file's error")
    assert driver.current_url == f"{service}/?lang=en"
    assert console_errors(driver) == []


def test_narrow_window(service: str, browser: WebDriver) -> None:
    """This test ensures that in a narrow window (a phone, half a screen) the page is one column,
    the case first, nothing is wider than the window, and nothing covers a control."""
    driver = browser
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 480, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
    try:
        driver.get(f"{service}/?lang=sv")
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 480
        boxes = [driver.find_element(By.CSS_SELECTOR, f"main > section.{name}").rect
                 for name in ("case", "findings", "preview")]
        assert len({box["x"] for box in boxes}) == 1
        assert boxes[0]["y"] + boxes[0]["height"] <= boxes[1]["y"] < boxes[2]["y"]
        assert all(box["x"] + box["width"] <= 480 for box in boxes)
        # With a status said, no control is hidden under it, wherever the control is scrolled to.
        by_id(driver, "check").click()
        assert status(driver) == "Ärendet är tomt: klistra in ett ärende, öppna en fil eller börja från en mall."
        for name in ("skeleton", "check", "preview", "download-pdf", "print"):
            for block in ("start", "end"):
                assert driver.execute_script(
                    "const e = document.getElementById(arguments[0]); e.scrollIntoView({block: arguments[1]});"
                    "const r = e.getBoundingClientRect();"
                    "return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === e", name, block)
    finally:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
