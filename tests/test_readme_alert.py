"""README's sample alert is what the renderer really prints (kept true by this test)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from watcher.notify.items import Source
from watcher.notify.render import AlertView, render_alert_text
from watcher.types import Finding, FindingKind

EVIDENCE = ("Microsoft and OpenAI said on Friday that their partnership agreement now runs through 2034, "
            "four years longer than under the previous terms.")  # fmt: skip
SEED = ("Microsoft’s partnership agreement runs through 2030 with Azure API exclusivity; however, OpenAI is now "
        "permitted to supplement capacity by procuring compute from providers, including Oracle, Google Cloud, "
        "as diversification intensifies.")  # fmt: skip


def sample() -> str:
    finding = Finding(FindingKind.CONTRADICTION, ("Microsoft", "OpenAI"), "partnership_term",
                      "msft-openai-partnership-term", "2030", "2034", EVIDENCE, 0.8, "", baseline_sentence=SEED)  # fmt: skip
    title = "Microsoft and OpenAI extend their partnership to 2034"
    sources = (
        Source("Reuters", title, "https://www.reuters.com/technology/microsoft-openai-2034/",
               datetime(2026, 11, 2, 14, 5, tzinfo=UTC), None, EVIDENCE, 41),
        Source("The Verge", "Microsoft and OpenAI's deal now runs to 2034",
               "https://www.theverge.com/ai/microsoft-openai-2034", datetime(2026, 11, 2, 14, 20, tzinfo=UTC),
               None, EVIDENCE, 42),
    )  # fmt: skip
    view = AlertView(finding, title, sources[0].url, "Reuters", 2, None, outlets=sources,
                     origin="the seed of 2025-10-15", finding_id=41)  # fmt: skip
    return render_alert_text(view)


def test_readme_shows_the_alert_as_it_really_looks() -> None:
    readme = Path("README.md").read_text(encoding="utf-8")
    assert f"```\n{sample()}\n```" in readme, "update README's sample alert:\n" + sample()
