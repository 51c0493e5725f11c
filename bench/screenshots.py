"""Screenshots of the dashboard and the digest for README, from the bundled demo data.

    .venv/bin/python bench/screenshots.py [OUT_DIR]

Polls the demo site (watcher/demo/site, fictional articles) once into a temporary SQLite
database, serves the dashboard on 127.0.0.1 and drives Debian's headless Chromium (chromium,
chromium-driver) with selenium: the findings list at 1280 and 400 px, a finding's page, the
landscape, and the HTML digest at 800 and 400 px. Default OUT_DIR: docs/screenshots.
"""

from __future__ import annotations

import argparse
import io
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from watcher.app.root import make_watcher
from watcher.config import load_settings
from watcher.demo import serve_site
from watcher.web.app import WebServer


def driver() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"):
        options.add_argument(arg)
    return webdriver.Chrome(
        service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options
    )


def shoot(browser: Any, url: str, path: Path, width: int) -> None:
    """A full-page screenshot of ``url`` at ``width`` CSS pixels."""
    browser.get(url)
    metrics = {"width": width, "height": 300, "deviceScaleFactor": 1, "mobile": False}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    height = int(browser.execute_script("return document.documentElement.scrollHeight"))
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": min(height, 3000)})
    browser.save_screenshot(str(path))
    print(f"{path} ({width} px)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="docs/screenshots", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="watcher-shots-"))
    browser = driver()
    try:
        with serve_site() as base:
            feeds = work / "feeds.yaml"
            feeds.write_text(
                yaml.safe_dump({"feeds": [{"name": "Demo Tech Daily", "url": f"{base}/feed.xml"}]})
            )
            settings = load_settings(database_url=f"sqlite:///{work / 'demo.db'}", feeds_file=feeds,
                                     allow_private_networks=True, telegram_token=None, telegram_chat_ids=(),
                                     smtp_host=None, delivery_deadline=0)  # fmt: skip
            w = make_watcher(settings, stream=io.StringIO())
            try:
                w.poll_once()
                _subject, _text, markup = w.digest.preview()
                (work / "digest.html").write_text(markup, encoding="utf-8")
                server = WebServer(w, "127.0.0.1", 0, None).start()
                try:
                    shoot(browser, server.url + "findings", args.out / "dashboard-findings-1280.png", 1280)
                    shoot(browser, server.url + "findings", args.out / "dashboard-findings-400.png", 400)
                    deal = w.store.finding_records(kinds=("new_deal",))[-1].finding_id
                    shoot(
                        browser, f"{server.url}findings/{deal}", args.out / "dashboard-finding-1280.png", 1280
                    )
                    shoot(browser, server.url + "landscape", args.out / "dashboard-landscape-1280.png", 1280)
                    shoot(browser, server.url + "feeds", args.out / "dashboard-feeds-1280.png", 1280)
                finally:
                    server.shutdown()
                for width in (800, 400):
                    shoot(browser, (work / "digest.html").as_uri(), args.out / f"digest-{width}.png", width)
            finally:
                w.close()
    finally:
        browser.quit()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
