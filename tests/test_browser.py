"""The dashboard and the digest as a person sees them: a real headless Chromium (Debian's chromium and
chromium-driver, driven by selenium) against the dashboard served on 127.0.0.1.

Skipped with a reason where Chromium is not installed (a user's machine); in CI (CI=true) a missing
browser fails the run instead, so the test cannot silently stop running there. Set
SCREENSHOTS_DIR to keep the screenshots (docs/screenshots/ holds the README's).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest_web import T0
from watcher.app.queries import confirmed_facts
from watcher.app.root import Watcher
from watcher.web.app import WebServer

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def _require_browser() -> None:
    if CHROMIUM and DRIVER:
        return
    reason = "needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--window-size=1280,900"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def served(dashboard_watcher: Watcher) -> Iterator[WebServer]:
    server = WebServer(dashboard_watcher, "127.0.0.1", 0, None).start()
    yield server
    server.shutdown()


def shots_dir(tmp_path: Path) -> Path:
    out = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def set_width(driver: WebDriver, width: int, height: int = 900) -> None:
    """A viewport exactly ``width`` CSS px wide (headless Chromium's windows are at least 500 px)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})  # fmt: skip
    assert driver.execute_script("return window.innerWidth") == width


def shoot(driver: WebDriver, path: Path, width: int) -> None:
    """A full-page screenshot at ``width``; the page must not scroll sideways."""
    set_width(driver, width, 300)
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    set_width(driver, width, min(max(height, 300), 4000))
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width, "scrolls sideways"
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 5_000


def wait_for(driver: WebDriver, css: str) -> WebElement:
    """The element once the page that has it has loaded (a click on a form button navigates)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 20).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def no_alert_fired(driver: WebDriver) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        driver.switch_to.alert  # noqa: B018 - raises when no alert() ran
    except NoAlertPresentException:
        return True
    return False


def test_dashboard_in_chromium_confirm_and_dismiss(browser: WebDriver, served: WebServer, dashboard_watcher: Watcher,
                                                   tmp_path: Path) -> None:  # fmt: skip
    from selenium.webdriver.common.by import By

    out = shots_dir(tmp_path)
    browser.get(served.url + "findings")
    rows = browser.find_elements(By.CSS_SELECTOR, "tr[id^=item-]")
    assert len(rows) == 2  # two outlets of one deal are one row; the contradiction is the other
    assert "Wire, test-articles" in browser.find_element(By.TAG_NAME, "body").text
    assert '<script>alert("x")</script>' in browser.find_element(By.TAG_NAME, "body").text  # shown as text
    assert no_alert_fired(browser)
    shoot(browser, out / "dashboard-findings-1280.png", 1280)
    shoot(browser, out / "dashboard-findings-400.png", 400)

    set_width(browser, 1280)
    browser.find_element(By.LINK_TEXT, "OpenAI & Acme Cloud").click()
    wait_for(browser, "#confirm")
    sources = browser.find_elements(By.CSS_SELECTOR, ".card.source")
    assert len(sources) == 2 and "OpenAI signed a $9.7 billion contract" in sources[0].text
    shoot(browser, out / "dashboard-finding-1280.png", 1280)
    set_width(browser, 1280)
    browser.find_element(By.ID, "confirm").click()
    assert "Accepted into the baseline as confirmed-" in wait_for(browser, ".flash").text
    (fact,) = confirmed_facts(dashboard_watcher.store)
    assert fact.parties == ("OpenAI", "Acme Cloud")

    browser.get(served.url + "findings?kind=contradiction")
    browser.find_element(By.LINK_TEXT, "Microsoft & OpenAI").click()
    assert "from the seed of" in wait_for(browser, "#why").text
    browser.find_element(By.ID, "dismiss").click()
    assert "dismissed as a false alert" in wait_for(browser, ".flash").text

    for page, heading in (("baseline", "Baseline"), ("feeds", "Feeds"), ("landscape", "Deals of the last")):
        browser.get(served.url + page)
        assert browser.find_element(By.TAG_NAME, "h1").text.startswith(heading)
        assert no_alert_fired(browser)
        shoot(browser, out / f"dashboard-{page}-1280.png", 1280)
    bars = browser.find_elements(By.CSS_SELECTOR, ".bar")
    assert bars and bars[0].size["width"] > 100


def test_digest_html_shows_the_table_and_the_chart_at_800_and_400_px(browser: WebDriver, dashboard_watcher: Watcher,
                                                                       tmp_path: Path) -> None:  # fmt: skip
    from selenium.webdriver.common.by import By

    out = shots_dir(tmp_path)
    subject, text, markup = dashboard_watcher.digest.preview(T0 + timedelta(hours=1))
    assert "AT A GLANCE" in text and "DEALS OF THE LAST 90 DAYS" in text  # the text part has the table
    page = tmp_path / "digest.html"
    page.write_text(markup, encoding="utf-8")
    for width in (800, 400):
        browser.get(page.as_uri())
        set_width(browser, width)
        body = browser.find_element(By.TAG_NAME, "body").text
        assert "At a glance" in body and "Deals of the last 90 days" in body
        assert "OpenAI & Acme Cloud" in body and "Microsoft & OpenAI" in body
        assert "unknown site" not in body and no_alert_fired(browser)
        assert browser.find_elements(By.TAG_NAME, "script") == []
        content = browser.find_element(By.CSS_SELECTOR, "table[width='640']")
        assert content.size["width"] <= width  # the layout narrows with the window
        bar = browser.find_element(By.CSS_SELECTOR, "td[bgcolor]")
        assert bar.size["width"] > 20 and bar.size["height"] >= 10  # the bar is drawn
        shoot(browser, out / f"digest-{width}.png", width)


def test_ci_fails_instead_of_skipping_without_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import test_browser as me

    monkeypatch.setattr(me, "CHROMIUM", None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        me._require_browser()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="chromium-driver"):
        me._require_browser()
