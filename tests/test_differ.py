"""Differ rules with small in-test facts and our own example articles."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from watcher.differ import diff_article
from watcher.differ.entities import EntityIndex, load_entities
from watcher.types import Fact, Finding, FindingKind, Hedge, Provenance, Qualifier, Value, ValueType

CONFIG = Path(__file__).resolve().parents[1] / "config" / "entities.yaml"
B = 1e9


def fact(
    id: str, parties: tuple[str, ...], attribute: str, value: Value, hedge: Hedge = Hedge.STATED
) -> Fact:
    return Fact(id, parties, attribute, value, hedge, Provenance("seed.txt", f"sentence of {id}"))


@dataclass(frozen=True)
class FakeBaseline:
    facts: tuple[Fact, ...]


BASELINE = FakeBaseline(
    (
        fact(
            "ms-oa-invest",
            ("Microsoft", "OpenAI"),
            "investment",
            Value(ValueType.USD, 13 * B, qualifier=Qualifier.OVER),
        ),
        fact("ms-oa-term", ("Microsoft", "OpenAI"), "partnership_term", Value(ValueType.YEAR, 2030)),
        fact(
            "ms-oa-rofr",
            ("Microsoft", "OpenAI"),
            "preferential_rights",
            Value(ValueType.STATUS, text="in_force"),
        ),
        fact(
            "oa-zeta-deal",
            ("OpenAI", "Zeta Cloud"),
            "compute_deal",
            Value(ValueType.USD, 300 * B, qualifier=Qualifier.ABOUT),
            Hedge.REPORTED,
        ),
        fact("oa-spend", ("OpenAI",), "spending", Value(ValueType.USD, 115 * B)),
        fact(
            "ms-vexa-models",
            ("Microsoft", "Mistral"),
            "model_integration",
            Value(ValueType.STATUS, text="reported"),
            Hedge.REPORTED,
        ),
    )
)


@pytest.fixture(scope="module")
def entities() -> EntityIndex:
    return load_entities(CONFIG)


def run(entities: EntityIndex, text: str, **kw: Any) -> list[Finding]:
    return diff_article(text, BASELINE, entities, reference_year=2026, **kw)


def kinds(findings: list[Finding]) -> set[FindingKind]:
    return {f.kind for f in findings}


def flags(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.kind in (FindingKind.NEW_DEAL, FindingKind.CONTRADICTION)]


def test_new_deal_with_unlisted_company(entities: EntityIndex) -> None:
    found = flags(run(entities, "OpenAI signed a $9.7bn contract with Australia's Acme Cloud Ltd on Monday."))
    assert [(f.kind, set(f.parties)) for f in found] == [(FindingKind.NEW_DEAL, {"OpenAI", "Acme Cloud"})]
    assert found[0].confidence >= 0.8 and found[0].baseline_fact is None


def test_restated_background_is_a_confirmation(entities: EntityIndex) -> None:
    text = "Microsoft has put more than $13.8 billion into OpenAI. OpenAI's contract with Zeta Cloud is worth $300bn."
    found = run(entities, text)
    assert flags(found) == []
    assert {f.baseline_fact for f in found} >= {"ms-oa-invest", "oa-zeta-deal"}


def test_other_amount_is_a_contradiction(entities: EntityIndex) -> None:
    (f,) = flags(run(entities, "OpenAI now expects to spend about $172 billion, up from $115 billion."))
    assert f.kind is FindingKind.CONTRADICTION and f.baseline_fact == "oa-spend"
    assert f.baseline_value == "$115 billion" and f.new_value == "about $172 billion"
    assert f.baseline_sentence == "sentence of oa-spend"


def test_other_end_year_is_a_contradiction(entities: EntityIndex) -> None:
    (f,) = flags(run(entities, "Microsoft's rights to OpenAI's models now run through 2034."))
    assert (f.kind, f.baseline_fact, f.new_value) == (FindingKind.CONTRADICTION, "ms-oa-term", "2034")


def test_right_ended_is_a_contradiction(entities: EntityIndex) -> None:
    (f,) = flags(run(entities, "Microsoft gave up its right of first refusal over OpenAI's new capacity."))
    assert f.baseline_fact == "ms-oa-rofr"


def test_history_is_not_a_contradiction(entities: EntityIndex) -> None:
    assert flags(run(entities, "In 2019 Microsoft invested $1 billion in OpenAI.")) == []
    assert (
        flags(
            run(entities, "The previous framework had been set to run through 2028 for Microsoft and OpenAI.")
        )
        == []
    )


@pytest.mark.parametrize(
    "text",
    [
        "OpenAI could sign a $5 billion deal with Quasar Semiconductor, analysts said.",
        "OpenAI denied that it had signed a $5 billion deal with Quasar Semiconductor.",
        "OpenAI said it has no plans to use Quasar Semiconductor chips at scale.",
        '"OpenAI will sign a $9 billion deal with Quasar Semiconductor," said Jane Roe, an analyst at Quill Research.',
    ],
)
def test_speculation_and_denials_are_not_deals(entities: EntityIndex, text: str) -> None:
    assert flags(run(entities, text)) == []


def test_deal_between_other_companies_scores_low(entities: EntityIndex) -> None:
    (f,) = flags(run(entities, "Lumen Grid agreed to buy Solara Energy in a $4.1 billion deal."))
    assert f.kind is FindingKind.NEW_DEAL and f.confidence <= 0.3


def test_partial_article_never_contradicts(entities: EntityIndex) -> None:
    text = "Microsoft's rights to OpenAI's models now run through 2034."
    assert flags(run(entities, text, partial=True)) == []


def test_increment_on_known_deal_is_not_a_contradiction(entities: EntityIndex) -> None:
    found = run(
        entities,
        "Zeta Cloud expanded its contract with OpenAI by $6 billion, taking the total to about $300bn.",
    )
    assert not [f for f in found if f.kind is FindingKind.CONTRADICTION]


def test_reported_fact_now_stated_is_an_update(entities: EntityIndex) -> None:
    found = run(entities, "Microsoft is adding Mistral's models to its office software.")
    assert FindingKind.UPDATE in kinds(found) and flags(found) == []


def test_every_finding_explains_itself(entities: EntityIndex) -> None:
    text = "OpenAI signed a $9.7bn contract with Acme Cloud Ltd. Microsoft's rights to OpenAI's models now run through 2034."
    for f in run(entities, text):
        assert f.explanation and 0.0 <= f.confidence <= 1.0


def test_deterministic(entities: EntityIndex) -> None:
    text = "OpenAI signed a $9.7bn contract with Acme Cloud Ltd. Microsoft has invested over $13bn in OpenAI."
    assert run(entities, text) == run(entities, text)


def test_differ_imports_no_adapters() -> None:
    code = (
        "import sys, watcher.differ, watcher.differ.claims\n"
        "bad = [m for m in ('telegram', 'sqlalchemy', 'apscheduler', 'httpx', 'trafilatura') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Microsoft is acquiring Quillon, a cybersecurity firm, for $8 billion.", {"Microsoft", "Quillon"}),
        (
            "Microsoft unveiled a $9bn, five-year capacity agreement with Vantor Cloud.",
            {"Microsoft", "Vantor Cloud"},
        ),
        ("Vantor and OpenAI signed a $6.1 billion agreement on Monday.", {"Vantor", "OpenAI"}),
        ("The ChatGPT maker tapped Vantor for 500 megawatts of capacity.", {"OpenAI", "Vantor"}),
        ("Microsoft took a 20% stake in Quillon for $1.1 billion.", {"Microsoft", "Quillon"}),
    ],
)
def test_new_deal_wordings(entities: EntityIndex, text: str, expected: set[str]) -> None:
    found = flags(run(entities, text))
    assert [(f.kind, set(f.parties)) for f in found] == [(FindingKind.NEW_DEAL, expected)]


@pytest.mark.parametrize(
    "text",
    [
        "OpenAI said it had not signed any contract with Tessaract.",
        "Microsoft hasn't agreed to any deal with Zeta Cloud.",
        "Vantor said OpenAI had committed to spend $11.9 billion on its services.",
    ],
)
def test_negated_deals_and_supplier_purchases_are_silent(entities: EntityIndex, text: str) -> None:
    assert flags(run(entities, text)) == []


def test_planned_spending_is_a_projection_not_a_hedge(entities: EntityIndex) -> None:
    (f,) = flags(run(entities, "OpenAI plans to burn through $200 billion by 2030."))
    assert f.kind is FindingKind.CONTRADICTION and f.baseline_fact == "oa-spend"


# ------------------------------------------------------------------ periods, descriptions, projects

PERIOD_BASELINE = FakeBaseline(
    (
        Fact(
            "app-downloads-oct",
            ("OpenAI",),
            "downloads",
            Value(ValueType.PERCENT, -8.1, qualifier=Qualifier.ABOUT),
            Hedge.REPORTED,
            Provenance("seed.txt", "Installs of the app fell about 8.1% in October 2025, a tracker said."),
        ),
        fact("oa-total-spend", ("OpenAI",), "spending", Value(ValueType.USD, 115 * B)),
        fact("ms-oa-term2", ("Microsoft", "OpenAI"), "partnership_term", Value(ValueType.YEAR, 2030)),
        fact("ms-nx-years", ("Microsoft", "Nebius"), "deal_duration", Value(ValueType.DURATION, 5)),
        fact("oa-profit", ("OpenAI",), "profitability", Value(ValueType.YEAR, 2029)),
        fact("sg-size", ("OpenAI", "Oracle", "SoftBank"), "project_value", Value(ValueType.USD, 500 * B)),
        fact("ms-oa-excl", ("Microsoft", "OpenAI"), "exclusivity", Value(ValueType.STATUS, text="in_force")),
        fact("ms-oa-hold", ("Microsoft", "OpenAI"), "exclusivity", Value(ValueType.STATUS, text="weakened")),
        fact("ms-nx-usd", ("Microsoft", "Nebius"), "compute_deal", Value(ValueType.USD, 20 * B)),
    )
)


def prun(entities: EntityIndex, text: str) -> list[Finding]:
    return diff_article(text, PERIOD_BASELINE, entities, reference_year=2026)


@pytest.mark.parametrize(
    "text",
    [
        "ChatGPT installs dropped 3 per cent in December, the tracker said.",
        "ChatGPT downloads rose 4% in March 2026.",
        "OpenAI spent $9.2 billion in the third quarter.",
        "OpenAI's spending reached $31 billion in the first half of 2026.",
        "OpenAI expects to spend $40 billion this year.",
    ],
)
def test_a_figure_for_another_period_is_not_a_contradiction(entities: EntityIndex, text: str) -> None:
    assert flags(prun(entities, text)) == []


def test_same_period_figure_still_compares(entities: EntityIndex) -> None:
    found = prun(entities, "ChatGPT downloads declined by about 8 per cent in October 2025.")
    assert [(f.kind, f.baseline_fact) for f in found] == [(FindingKind.CONFIRMATION, "app-downloads-oct")]
    (f,) = flags(prun(entities, "ChatGPT downloads fell 20 per cent in October, the tracker now says."))
    assert f.baseline_fact == "app-downloads-oct"


@pytest.mark.parametrize(
    ("text", "fact_id", "new"),
    [
        ("The Windows maker said its partnership with the ChatGPT maker will now run until 2035.", "ms-oa-term2", "2035"),
        ("Microsoft's contract with OpenAI now expires in 2032.", "ms-oa-term2", "2032"),
        ("The agreement between Microsoft and OpenAI is now a 10-year term from 2025.", "ms-oa-term2", "2035"),
        ("The ChatGPT maker now expects to turn a profit in 2031, a year later than it had previously said.", "oa-profit", "2031"),
        ("Nebius said its lease with Microsoft is now a 10-year term from 2025, twice the length originally announced.", "ms-nx-years", "10 years"),
    ],
)  # fmt: skip
def test_descriptions_and_end_date_phrasings(
    entities: EntityIndex, text: str, fact_id: str, new: str
) -> None:
    found = [f for f in flags(prun(entities, text)) if f.kind is FindingKind.CONTRADICTION]
    assert [(f.baseline_fact, f.new_value) for f in found] == [(fact_id, new)]


def test_project_named_alone_stands_for_its_members(entities: EntityIndex) -> None:
    (f,) = flags(prun(entities, "Stargate's budget has grown to $650bn, its chief executive said."))
    assert f.baseline_fact == "sg-size" and set(f.parties) == {"OpenAI", "Oracle", "SoftBank"}
    assert flags(prun(entities, "Stargate Norway's budget has grown to $2bn.")) == []
    # a project never signs a deal itself
    assert flags(prun(entities, "SoftBank agreed to put $30bn into Stargate this year.")) == []


def test_exclusivity_ended_contradicts_in_force_not_weakened(entities: EntityIndex) -> None:
    (f,) = flags(prun(entities, "OpenAI ends its exclusive arrangement with Microsoft's Azure cloud."))
    assert f.baseline_fact == "ms-oa-excl"
    (g,) = flags(
        prun(entities, "Azure will no longer be the exclusive home of OpenAI's API, Microsoft said.")
    )
    assert g.baseline_fact == "ms-oa-excl"
    weakened = prun(entities, "Microsoft's exclusive hold over OpenAI is effectively over, analysts said.")
    assert flags(weakened) == []


@pytest.mark.parametrize(
    "text",
    [
        "Microsoft's A$30bn lease with Nebius runs for five years.",
        "Microsoft pays ¥1.2 trillion under its lease with Nebius.",
        "Microsoft's twenty billion dollar lease with Nebius is on schedule.",
    ],
)
def test_non_usd_and_worded_amounts_never_contradict_usd(entities: EntityIndex, text: str) -> None:
    assert [f for f in flags(prun(entities, text)) if f.kind is FindingKind.CONTRADICTION] == []


def test_last_month_is_a_month_of_the_publication_year(entities: EntityIndex) -> None:
    assert flags(prun(entities, "ChatGPT downloads fell 5 per cent last month, the tracker said.")) == []


# ---------------------------------------------------------------- second generation: frames and status


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("OpenAI signed a $5 billion deal with Quasar Semiconductor.", "signed"),
        ("OpenAI will invest $5 billion in Quasar Semiconductor.", "planned"),
        ("OpenAI is in talks to buy $5 billion of chips from Quasar Semiconductor.", "in talks"),
        (
            "OpenAI is nearing a $5 billion deal with Quasar Semiconductor, according to people familiar with the matter.",
            "in talks, reported",
        ),
    ],
)
def test_plans_and_talks_are_new_deals_with_a_status(entities: EntityIndex, text: str, status: str) -> None:
    found = flags(run(entities, text))
    assert [(set(f.parties), f.status) for f in found] == [({"OpenAI", "Quasar Semiconductor"}, status)]
    assert status in found[0].explanation


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        # the maker of the chips in a deal is no party to it
        (
            "Microsoft signed a $9 billion contract with Quasar Cloud for capacity built on Nvidia's processors.",
            [{"Microsoft", "Quasar Cloud"}],
        ),
        # a modifier is no party
        ("OpenAI rival Anthropic signed a $3 billion deal with Quasar Cloud.", []),
        (
            "Nvidia-backed Quasar Cloud signed a $3 billion contract with Microsoft.",
            [{"Microsoft", "Quasar Cloud"}],
        ),
        # the employer of a quoted analyst is no party
        (
            "Microsoft signed a $3 billion deal with Quasar Cloud, a move welcomed by Jane Doe, an analyst at Roe Partners.",
            [{"Microsoft", "Quasar Cloud"}],
        ),
        # coordinated counterparties: one pair each, never each other
        (
            "OpenAI has contracts worth $90 billion with Tessera Systems and Quasar Cloud.",
            [{"OpenAI", "Tessera Systems"}, {"OpenAI", "Quasar Cloud"}],
        ),
        # a list: each amount with its own counterparty
        (
            "OpenAI has lined up $120bn with Quasar Cloud, $80bn with Borealis Energy and $15bn with Tessera Systems.",
            [{"OpenAI", "Quasar Cloud"}, {"OpenAI", "Borealis Energy"}, {"OpenAI", "Tessera Systems"}],
        ),
        # a reported deal takes the company that reports it
        (
            "Quasar Cloud said Microsoft had agreed to a five-year, $4 billion contract for access to GPUs.",
            [{"Microsoft", "Quasar Cloud"}],
        ),
        # the object of a deal verb, and a later phrase that is not the deal's
        (
            "Microsoft taps Quasar Cloud to build 2 gigawatts of capacity in Texas.",
            [{"Microsoft", "Quasar Cloud"}],
        ),
    ],
)
def test_parties_are_the_roles_of_the_deal(entities: EntityIndex, text: str, pairs: list[set[str]]) -> None:
    found = [f for f in flags(run(entities, text)) if f.kind is FindingKind.NEW_DEAL and f.confidence >= 0.5]
    assert [set(f.parties) for f in found] == pairs


def test_the_company_as_subject_refers_back(entities: EntityIndex) -> None:
    text = (
        "Quasar Cloud is a GPU operator in Texas. "
        "The company signed a $2 billion contract with Microsoft on Monday."
    )
    assert [set(f.parties) for f in flags(run(entities, text))] == [{"Quasar Cloud", "Microsoft"}]


def test_a_denied_deal_is_no_new_deal_even_where_reported(entities: EntityIndex) -> None:
    text = (
        "A report said Microsoft was preparing to invest $1.5 billion in Quasar Cloud. "
        "Microsoft denied that it would invest in Quasar Cloud."
    )
    assert flags(run(entities, text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "Microsoft signed a $500-billion deal with Quasar Cloud.",
        "Microsoft signed a deal worth five hundred billion dollars with Quasar Cloud.",
    ],
)
def test_amount_formats(entities: EntityIndex, text: str) -> None:
    (found,) = flags(run(entities, text))
    assert found.new_value == "$500 billion"


def test_lowercase_company_names(entities: EntityIndex) -> None:
    (found,) = flags(run(entities, "Microsoft signed a $2 billion contract with qorvexa to rent GPUs."))
    assert set(found.parties) == {"Microsoft", "qorvexa"}


@pytest.mark.parametrize(
    ("text", "amount", "high", "currency"),
    [
        ("Acme signed a $7.4bn deal, which could rise to $9.1bn.", 7.4e9, 9.1e9, None),
        ("Acme signed a deal worth $17bn-$21bn.", 17e9, 21e9, None),
        ("Acme signed a deal worth EUR 550-650m a year for five years.", 550e6, 650e6, "EUR"),
        ("Acme signed a deal worth Rs 4,500 crore.", 4.5e10, None, "INR"),
        ("Acme signed a deal worth Rs 1,50,000 crore.", 1.5e12, None, "INR"),
        ("Acme signed a deal worth AED 70bn.", 70e9, None, "AED"),
        ("Acme signed a deal worth RM 2.1 billion.", 2.1e9, None, "MYR"),
        ("Acme signed a deal worth one hundred and forty billion dollars.", 140e9, None, None),
    ],
)
def test_amounts_keep_their_currency_and_range(
    text: str, amount: float, high: float | None, currency: str | None
) -> None:
    from watcher.differ.quantities import find_quantities

    (q,) = [q for q in find_quantities(text) if q.value.type is ValueType.USD]
    assert (q.value.amount, q.value.high, q.value.text) == (amount, high, currency)


def test_a_range_is_compared_end_to_end(entities: EntityIndex) -> None:
    # the baseline's ~$300bn lies inside the range: no contradiction; a range wholly below it is one
    inside = run(entities, "OpenAI's compute deal with Zeta Cloud is worth $250bn-$320bn.")
    assert not [f for f in inside if f.kind is FindingKind.CONTRADICTION]
    below = run(entities, "OpenAI's compute deal with Zeta Cloud is worth $100bn-$150bn.")
    assert [f.baseline_fact for f in below if f.kind is FindingKind.CONTRADICTION] == ["oa-zeta-deal"]


def test_another_currency_never_contradicts_a_dollar_fact(entities: EntityIndex) -> None:
    found = run(entities, "OpenAI's compute deal with Zeta Cloud is worth €150bn.")
    assert not [f for f in found if f.kind is FindingKind.CONTRADICTION]
    assert (
        run(entities, "OpenAI's compute deal with Zeta Cloud is worth $150bn.")[0].kind
        is FindingKind.CONTRADICTION
    )


def test_a_yearly_figure_never_contradicts_a_total(entities: EntityIndex) -> None:
    found = run(entities, "OpenAI's compute deal with Zeta Cloud is worth about $60 billion a year.")
    assert not [f for f in found if f.kind is FindingKind.CONTRADICTION]


@pytest.mark.parametrize(
    "text",
    [
        "Quasar Cloud entered into an agreement to supply Microsoft with $2 billion of GPU capacity.",
        "Microsoft inked a $2 billion capacity pact with Quasar Cloud.",
        "Quasar Cloud was awarded a $2 billion contract by Microsoft.",
        "Quasar Cloud sealed a supply deal covering 300 MW with Microsoft.",
        "Microsoft has a $2 billion contract with Quasar Cloud, the companies said.",
    ],
)
def test_deal_wording(entities: EntityIndex, text: str) -> None:
    found = [f for f in flags(run(entities, text)) if f.kind is FindingKind.NEW_DEAL]
    assert [set(f.parties) for f in found] == [{"Microsoft", "Quasar Cloud"}]


def test_a_value_sentence_after_the_deal_belongs_to_it(entities: EntityIndex) -> None:
    text = (
        "Quasar Cloud signed a contract to supply Microsoft with GPU capacity. "
        "The committed value is $4 billion over five years."
    )
    deals = [f for f in flags(run(entities, text)) if f.kind is FindingKind.NEW_DEAL]
    assert [(set(f.parties), f.new_value) for f in deals] == [({"Microsoft", "Quasar Cloud"}, "$4 billion")]


def test_a_reported_baseline_deal_with_another_value_is_a_contradiction_not_a_new_deal(
    entities: EntityIndex,
) -> None:
    found = flags(
        run(entities, "OpenAI's contract with Zeta Cloud is now worth $150 billion, the company said.")
    )
    assert [(f.kind, f.baseline_fact) for f in found] == [(FindingKind.CONTRADICTION, "oa-zeta-deal")]


def test_the_startup_as_subject_and_the_chatgpt_maker(entities: EntityIndex) -> None:
    text = (
        "Quasar Cloud builds data centres in Texas. "
        "The startup has signed a $1 billion lease with the ChatGPT maker."
    )
    assert [set(f.parties) for f in flags(run(entities, text))] == [{"Quasar Cloud", "OpenAI"}]


def test_the_two_companies_signed(entities: EntityIndex) -> None:
    text = (
        "Quasar Cloud and Microsoft met in Seattle on Monday. "
        "The two companies signed a multi-year capacity agreement."
    )
    assert [set(f.parties) for f in flags(run(entities, text))] == [{"Quasar Cloud", "Microsoft"}]


def test_a_later_comparison_does_not_make_a_new_deal_history(entities: EntityIndex) -> None:
    text = "Quasar Cloud signed a $5 billion contract with Microsoft, up from the $3 billion it had previously reported."
    assert [f.new_value for f in flags(run(entities, text))] == ["$5 billion"]


def test_the_differ_is_a_pure_core() -> None:
    """Importing and running the differ loads no database, network, Telegram or scheduler code."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from watcher.differ import analyse\n"
        "from watcher.differ.entities import load_entities\n"
        "from watcher.differ.explain import explain_article\n"
        "e = load_entities(Path('config/entities.yaml'))\n"
        "class B: facts = ()\n"
        "analyse('OpenAI signed a $5 billion deal with Quasar Cloud.', B(), e)\n"
        "explain_article('OpenAI signed a $5 billion deal with Quasar Cloud.', B(), e)\n"
        "heavy = {'sqlalchemy', 'alembic', 'telegram', 'apscheduler', 'httpx', 'trafilatura', 'flask', 'psycopg'}\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_a_profit_now_contradicts_operating_at_a_loss(entities: EntityIndex) -> None:
    baseline = FakeBaseline(
        (fact("oa-loss", ("OpenAI",), "operating_loss", Value(ValueType.STATUS, text="yes")),)
    )
    found = diff_article(
        "OpenAI posted its first profitable quarter in March.", baseline, entities, reference_year=2026
    )
    assert [(f.kind, f.baseline_fact) for f in found] == [(FindingKind.CONTRADICTION, "oa-loss")]


def test_two_approximate_figures_far_apart_conflict(entities: EntityIndex) -> None:
    """'about $230bn' against 'about $300bn': the margins touch, the figures do not agree."""
    (f,) = flags(run(entities, "OpenAI's Zeta Cloud contract is now put at about $240 billion in a filing."))
    assert (f.kind, f.baseline_fact) == (FindingKind.CONTRADICTION, "oa-zeta-deal")
    assert (
        flags(run(entities, "OpenAI's Zeta Cloud contract is now put at about $290 billion in a filing."))
        == []
    )


def test_a_sum_the_baseline_files_under_another_money_attribute_is_compared(entities: EntityIndex) -> None:
    """The pair's only sum in the baseline is an investment; 'committed $9bn to OpenAI' reads as a
    purchase, yet it is that sum the article gives another figure for."""
    (f,) = flags(run(entities, "Microsoft, which has committed $9 billion to OpenAI, is hiring."))
    assert (f.kind, f.baseline_fact) == (FindingKind.CONTRADICTION, "ms-oa-invest")


def test_no_cross_attribute_comparison_with_two_sums_in_the_sentence(entities: EntityIndex) -> None:
    text = "Microsoft, which has committed $9 billion to OpenAI, also runs a $50 billion programme."
    assert [f for f in flags(run(entities, text)) if f.kind is FindingKind.CONTRADICTION] == []


def test_a_name_with_its_own_verb_opens_a_new_clause(entities: EntityIndex) -> None:
    """'... in OpenAI and Mistral has signed ...': Mistral is no second party of the investment."""
    text = "Microsoft announced a $2 billion investment in Acme Cloud and Mistral has hired new staff."
    found = flags(run(entities, text))
    assert [set(f.parties) for f in found] == [{"Microsoft", "Acme Cloud"}]


def test_a_joint_venture_sum_is_compared_with_the_venture_of_the_same_companies(
    entities: EntityIndex,
) -> None:
    baseline = FakeBaseline(
        (
            fact(
                "venture",
                ("OpenAI", "Zeta Cloud", "SoftBank"),
                "project_value",
                Value(ValueType.USD, 500 * B),
            ),
            fact(
                "pair",
                ("OpenAI", "Zeta Cloud"),
                "compute_deal",
                Value(ValueType.USD, 300 * B, qualifier=Qualifier.ABOUT),
            ),
        )
    )
    text = "Skyport, the $400 billion data-centre venture SoftBank runs with OpenAI and Zeta Cloud, is on schedule."
    found = diff_article(text, baseline, entities, reference_year=2026)
    assert [(f.kind, f.baseline_fact) for f in flags(found)] == [(FindingKind.CONTRADICTION, "venture")]


def test_the_company_refers_to_the_one_named_before(entities: EntityIndex) -> None:
    text = "OpenAI's finance chief presented the plan. On one slide, the company put its spending at $150 billion."
    (f,) = flags(run(entities, text))
    assert (f.kind, f.baseline_fact, f.parties) == (FindingKind.CONTRADICTION, "oa-spend", ("OpenAI",))


def test_a_past_event_of_the_same_month_as_the_fact_can_contradict_it(entities: EntityIndex) -> None:
    baseline = FakeBaseline(
        (
            Fact(
                "july-capacity",
                ("OpenAI", "Zeta Cloud"),
                "capacity",
                Value(ValueType.GW, 4.5),
                Hedge.STATED,
                Provenance("seed.txt", "In July OpenAI and Zeta Cloud agreed to develop 4.5 gigawatts."),
            ),
        )
    )
    same = "The site counts toward the 6 gigawatts OpenAI and Zeta Cloud agreed to develop in July 2025."
    other = "The site counts toward the 6 gigawatts OpenAI and Zeta Cloud agreed to develop in March 2025."
    found = diff_article(same, baseline, entities, reference_year=2026)
    assert [(f.kind, f.baseline_fact) for f in flags(found)] == [(FindingKind.CONTRADICTION, "july-capacity")]
    assert flags(diff_article(other, baseline, entities, reference_year=2026)) == []


def test_an_unnamed_partnership_is_that_of_the_pair_the_article_is_about(entities: EntityIndex) -> None:
    text = (
        "The Microsoft-OpenAI relationship keeps changing. Microsoft and OpenAI met again this week. "
        "A filing shows that the partnership agreement now runs until 2034."
    )
    (f,) = flags(run(entities, text))
    assert (f.kind, f.baseline_fact) == (FindingKind.CONTRADICTION, "ms-oa-term")


def test_two_names_joined_by_a_hyphen_are_both_named(entities: EntityIndex) -> None:
    assert [m.name for m in entities.find_known("the Microsoft-OpenAI pact")] == ["Microsoft", "OpenAI"]
    assert entities.find_known("Nvidia-H100 servers") == []


def test_a_row_of_a_table_of_deals_is_a_deal_of_its_two_companies(entities: EntityIndex) -> None:
    text = (
        "Our running table of the year's contracts:\n\n"
        "| Buyer | Supplier | What | Value |\n|---|---|---|---|\n"
        "| OpenAI | Acme Cloud | GPU capacity | $4bn |\n"
        "| OpenAI | Zeta Cloud | cloud capacity, tens of billions | about $300bn |\n"
    )
    found = flags(run(entities, text))
    assert [(f.kind, set(f.parties)) for f in found] == [(FindingKind.NEW_DEAL, {"OpenAI", "Acme Cloud"})]


def test_a_sentence_giving_a_known_deals_figure_makes_no_new_deal_of_its_other_figures(
    entities: EntityIndex,
) -> None:
    baseline = FakeBaseline((fact("gw", ("OpenAI", "Acme Cloud"), "capacity", Value(ValueType.GW, 6)),))
    text = "OpenAI's deal with Acme Cloud, worth $30 billion, covers 6 gigawatts of capacity."
    found = diff_article(text, baseline, entities, reference_year=2026)
    assert flags(found) == [] and {f.baseline_fact for f in found} == {"gw"}


def test_the_figure_of_a_report_the_article_rejects_contradicts_nothing(entities: EntityIndex) -> None:
    text = (
        "Zeta Cloud on Friday rejected a report that OpenAI had cut its contract with the company. "
        "The report, citing an unnamed person, said OpenAI's contract with Zeta Cloud was now worth about $150 billion."
    )
    assert flags(run(entities, text)) == []
    alone = "A report, citing an unnamed person, said OpenAI's contract with Zeta Cloud was now worth about $150 billion."
    assert [f.kind for f in flags(run(entities, alone))] == [FindingKind.CONTRADICTION]


def test_a_correction_notice_gives_the_right_figure_not_the_wrong_one(entities: EntityIndex) -> None:
    text = (
        "OpenAI keeps adding suppliers.\n\n"
        "Correction, May 4: An earlier version of this article said OpenAI's contract with Zeta Cloud was worth "
        "$300 billion. According to a filing, OpenAI's contract with Zeta Cloud is worth $180 billion."
    )
    found = flags(run(entities, text))
    assert [(f.kind, f.new_value) for f in found] == [(FindingKind.CONTRADICTION, "$180 billion")]


def test_defined_terms_in_brackets_do_not_end_the_clause(entities: EntityIndex) -> None:
    """A filing names its parties' roles in brackets; the counterparty after them still counts."""
    text = (
        'Acme Cloud LLC (the "Lessor"), a subsidiary of Borealis Holdings, Inc., entered into a Master Lease '
        'Agreement (the "Agreement") with Microsoft Corporation (the "Customer").'
    )
    found = flags(run(entities, text))
    assert [set(f.parties) for f in found] == [{"Acme Cloud", "Microsoft"}]


def test_a_name_in_quotation_marks_is_no_company(entities: EntityIndex) -> None:
    assert entities.find_unknown('They unveiled a $1 billion "Industrial AI Cloud" in Munich.') == []
    assert [m.name for m in entities.find_unknown("They signed with Industrial AI Cloud in Munich.")]


@pytest.mark.parametrize(
    "text",
    [
        "Microsoft and OpenAI extended their pact, which now runs through 2035, five years past the earlier end date.",
        "Many still cite the old end date, but the Microsoft-OpenAI agreement now lasts until 2033.",
        "The original deal stopped in 2030; the Microsoft and OpenAI partnership now runs through 2034.",
    ],
)
def test_a_new_end_date_beside_the_old_one_is_a_contradiction(entities: EntityIndex, text: str) -> None:
    """The old date in another clause (after a contrast, or the clause's own history cue elsewhere in
    the sentence) does not make the new one history."""
    found = flags(run(entities, text))
    assert [(f.kind, f.baseline_fact) for f in found] == [(FindingKind.CONTRADICTION, "ms-oa-term")]


def test_history_before_a_contrast_stays_history(entities: EntityIndex) -> None:
    text = "In 2019 Microsoft invested $1 billion in OpenAI, but the terms were not disclosed."
    assert flags(run(entities, text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "OpenAI and Finnish grid operator Vantaa Power Oy have signed a power purchase agreement.",
        "OpenAI and chip designer Quillon Systems inked a supply agreement on Tuesday.",
    ],
)
def test_a_description_before_the_second_name_keeps_both_as_parties(entities: EntityIndex, text: str) -> None:
    (f,) = flags(run(entities, text))
    assert f.kind is FindingKind.NEW_DEAL and "OpenAI" in f.parties and len(f.parties) == 2
    assert f.parties[0] != f.parties[1]


@pytest.mark.parametrize(
    "text",
    [
        "REYES: Let's start with the news. You've signed with OpenAI.",
        "We're told they've signed with OpenAI. So you signed with OpenAI?",
        "I'm sure You've all heard: they're partnering with OpenAI.",
    ],
)
def test_pronouns_and_their_contractions_are_not_companies(entities: EntityIndex, text: str) -> None:
    assert [m.name for m in entities.find_unknown(text)] == []


def test_an_agreement_that_offers_models_is_new_beside_a_compute_deal(entities: EntityIndex) -> None:
    """The baseline has OpenAI renting compute from Zeta Cloud; an agreement to offer OpenAI's models
    to Zeta Cloud's customers is another deal. A bare agreement between them is not news."""
    text = (
        "OpenAI and Zeta Cloud have signed a distribution agreement under which OpenAI's models will be "
        "offered to Zeta Cloud customers from next year."
    )
    found = flags(run(entities, text))
    assert [(f.kind, set(f.parties), f.attribute) for f in found] == [
        (FindingKind.NEW_DEAL, {"OpenAI", "Zeta Cloud"}, "model_integration")
    ]
    assert flags(run(entities, "OpenAI and Zeta Cloud have signed an agreement.")) == []


def test_a_term_told_in_the_next_sentence_is_the_agreement_s(entities: EntityIndex) -> None:
    text = "Microsoft and OpenAI amended their agreement on Tuesday. It now runs through 2034."
    found = flags(run(entities, text))
    assert [(f.kind, f.baseline_fact, f.new_value) for f in found] == [
        (FindingKind.CONTRADICTION, "ms-oa-term", "2034")
    ]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("OpenAI has agreed to pay Corvella $4 billion over five years for computing capacity.", "Corvella"),
        ("Shares of Corvella jumped 20% after it disclosed a $2.5 billion contract with OpenAI.", "Corvella"),
        ("Microsoft is investing $2 billion in Vantric Labs, the companies said.", "Vantric Labs"),
    ],
)
def test_a_company_is_known_by_payment_shares_and_investment_around_it(
    entities: EntityIndex, text: str, name: str
) -> None:
    assert name in [m.name for m in entities.find_unknown(text)]


STARGATE = FakeBaseline(
    (fact("stargate-size", ("OpenAI", "Oracle", "SoftBank"), "project_value", Value(ValueType.USD, 500 * B)),)
)


def test_a_project_s_new_size_announced_by_two_members_is_the_project_s(entities: EntityIndex) -> None:
    text = "SoftBank and OpenAI said this week that total commitments to the Stargate programme now stand at $700 billion."
    found = flags(diff_article(text, STARGATE, entities, reference_year=2026))
    assert [(f.kind, f.baseline_fact, f.new_value) for f in found] == [
        (FindingKind.CONTRADICTION, "stargate-size", "$700 billion")
    ]


def test_a_member_s_own_deal_beside_the_project_is_not_the_project_s_size(entities: EntityIndex) -> None:
    text = "Among the figures: a $500-billion Stargate, a $250-billion Oracle deal and more to come."
    found = diff_article(text, STARGATE, entities, reference_year=2026)
    assert not [f for f in found if f.kind is FindingKind.CONTRADICTION and f.new_value == "$250 billion"]
