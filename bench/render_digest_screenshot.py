"""Render a sample digest to HTML (and a PNG screenshot when Chromium is installed).

    .venv/bin/python bench/render_digest_screenshot.py [OUT_DIR] [--empty] [--width 800]

Writes OUT_DIR/digest.html, digest.txt and, if /usr/bin/chromium exists, digest.png
(default OUT_DIR: build/digest-preview, which git ignores). Used to eyeball the email
layout; the sample contains hostile text to show that it arrives escaped.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from watcher.notify.render import AlertView, DigestView, render_digest
from watcher.types import Finding, FindingKind, Provenance

NOW = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def _view(
    kind: FindingKind, attribute: str, new: str, old: str | None, fact: str | None, n: int
) -> AlertView:
    finding = Finding(
        kind=kind,
        parties=("Microsoft", "OpenAI") if n % 2 else ("Oracle", "OpenAI"),
        attribute=attribute,
        baseline_fact=fact,
        baseline_value=old,
        new_value=new,
        evidence=f"The companies said the agreement is worth {new}, according to a <script>alert(1)</script> filing & more.",
        confidence=0.55 + n / 20,
        explanation=f"The article states {new}; the baseline has {old}." if old else "",
        baseline_sentence=f"Seed text: the agreement was valued at {old}." if old else None,
    )
    return AlertView(
        finding=finding,
        title=f'Story {n}: OpenAI and partners sign "landmark" </b> deal',
        url=f"https://news.example.com/2026/11/story-{n}?utm=a&ref=b",
        site="news.example.com",
        sources=n,
        published=NOW - timedelta(hours=n),
    )


def sample(empty: bool = False) -> DigestView:
    flagged = [
        _view(FindingKind.NEW_DEAL, "compute_deal", "$250 billion", None, None, 1),
        _view(FindingKind.CONTRADICTION, "stake", "27%", "49%", "msft-openai-stake", 2),
    ]
    return DigestView(
        period_start=NOW - timedelta(days=1),
        period_end=NOW,
        timezone="Europe/Berlin",
        flagged=[] if empty else flagged,
        confirmations=[] if empty else [_view(FindingKind.CONFIRMATION, "investment", "$13 billion", "$13 billion", "msft-investment", 3)],
        updates=[] if empty else [_view(FindingKind.UPDATE, "capacity", "4.5 GW", "1.2 GW", "stargate-capacity", 4)],
        baseline_changes=[] if empty else [
            ("msft-openai-stake", "49%", "27%", Provenance("https://news.example.com/x", "Microsoft holds about 27%.")),
            ("oracle-compute", None, "$300 billion", "seeds/oracle.md"),
        ],
        failing_feeds=[("Example Blog", "https://blog.example.org/feed.xml", "HTTP 503 <b>Service Unavailable</b>", NOW - timedelta(hours=30))],
        generated_at=NOW,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="build/digest-preview", type=Path)
    parser.add_argument("--empty", action="store_true", help="render the 'nothing new' digest")
    parser.add_argument("--width", type=int, default=800, help="screenshot width in pixels")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    subject, text, markup = render_digest(sample(args.empty))
    (args.out / "digest.html").write_text(markup, encoding="utf-8")
    (args.out / "digest.txt").write_text(text, encoding="utf-8")
    print(subject)
    chromium = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if not chromium:
        print("chromium not found: wrote HTML only")
        return
    png = (args.out / "digest.png").resolve()
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         f"--window-size={args.width},2000", f"--screenshot={png}", (args.out / "digest.html").resolve().as_uri()],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    print(f"screenshot: {png}")


if __name__ == "__main__":
    main()
