"""Claim extraction rules, one behaviour per example (our own sentences)."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.differ.claims import extract_claims
from watcher.differ.document import split_sentences
from watcher.differ.entities import EntityIndex, load_entities
from watcher.types import Claim, Hedge, ValueType

CONFIG = Path(__file__).resolve().parents[1] / "config" / "entities.yaml"


@pytest.fixture(scope="module")
def entities() -> EntityIndex:
    return load_entities(CONFIG)


def claims(entities: EntityIndex, text: str, year: int | None = 2026) -> list[Claim]:
    return extract_claims(text, entities, reference_year=year)


def one(entities: EntityIndex, text: str, attribute: str) -> Claim:
    found = [c for c in claims(entities, text) if c.attribute == attribute]
    assert len(found) == 1, found
    return found[0]


def test_sentence_splitter_keeps_offsets_and_abbreviations() -> None:
    text = "Acme Inc. signed with the U.S. unit on Sept. 3. Then Beta Corp. agreed.\nNew line here."
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Acme Inc. signed with the U.S. unit on Sept. 3.",
        "Then Beta Corp. agreed.",
        "New line here.",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_deal_with_unlisted_company(entities: EntityIndex) -> None:
    c = one(
        entities, "OpenAI signed a $9.7bn contract with Australia's Acme Cloud Ltd on Monday.", "compute_deal"
    )
    assert set(c.parties) == {"OpenAI", "Acme Cloud"}
    assert "deal" in c.notes and c.hedge is Hedge.STATED
    assert c.value is not None and c.value.amount == pytest.approx(9.7e9)


def test_evidence_and_span(entities: EntityIndex) -> None:
    text = "Intro line.\nMicrosoft agreed to buy €5bn of capacity from Borealis Power."
    c = one(entities, text, "compute_deal")
    assert text[c.span.start : c.span.end] == c.evidence
    assert c.value is not None and c.value.text == "EUR"


def test_power_and_duration(entities: EntityIndex) -> None:
    found = claims(entities, "Microsoft signed a seven-year agreement with Borealis Power for 4.5 gigawatts.")
    attrs = {c.attribute: c for c in found}
    assert attrs["capacity"].value is not None and attrs["capacity"].value.amount == 4.5
    assert attrs["deal_duration"].value is not None and attrs["deal_duration"].value.amount == 7


@pytest.mark.parametrize(
    ("text", "hedge"),
    [
        ("OpenAI is in talks to buy $5 billion of chips from Zeta Semiconductor.", Hedge.TALKS),
        ("OpenAI could sign a $5 billion deal with Zeta Semiconductor.", Hedge.SPECULATIVE),
        ("OpenAI is said to be weighing a $5 billion deal with Zeta Semiconductor.", Hedge.TALKS),
        ("OpenAI is nearing a deal to buy $5 billion of chips from Zeta Semiconductor.", Hedge.TALKS),
        ("OpenAI plans to spend $5 billion with Zeta Semiconductor.", Hedge.PLANNED),
        ("OpenAI will buy $5 billion of chips from Zeta Semiconductor.", Hedge.PLANNED),
        (
            "OpenAI signed a letter of intent to buy $5 billion of chips from Zeta Semiconductor.",
            Hedge.PLANNED,
        ),
        ("Analysts think OpenAI might one day buy Zeta Semiconductor for $5 billion.", Hedge.SPECULATIVE),
        (
            "OpenAI has signed a $5 billion deal with Zeta Semiconductor, according to people familiar with the matter.",
            Hedge.REPORTED,
        ),
        ("OpenAI denied that it had signed a $5 billion deal with Zeta Semiconductor.", Hedge.DENIED),
        ("OpenAI signed a $5 billion deal with Zeta Semiconductor.", Hedge.STATED),
    ],
)
def test_hedges(entities: EntityIndex, text: str, hedge: Hedge) -> None:
    assert one(entities, text, "compute_deal").hedge is hedge


def test_history_is_marked(entities: EntityIndex) -> None:
    c = one(entities, "In 2019 Microsoft invested $1 billion in OpenAI.", "investment")
    assert c.historical
    c = one(entities, "Microsoft has invested over $13 billion in OpenAI since 2019.", "investment")
    assert not c.historical


def test_reference_value_is_not_a_claim(entities: EntityIndex) -> None:
    found = [
        c
        for c in claims(entities, "OpenAI now expects to spend $200 billion, up from $115 billion.")
        if c.attribute == "spending"
    ]
    assert [c.value.amount for c in found if c.value] == [200e9]


def test_increment_is_marked(entities: EntityIndex) -> None:
    found = claims(
        entities,
        "Zeta Cloud expanded its contract with OpenAI by $2 billion, bringing the total to $9 billion.",
    )
    notes = {c.value.amount: c.notes for c in found if c.value and c.attribute == "compute_deal"}
    assert "increment" in notes[2e9] and "increment" not in notes[9e9]


def test_term_year_with_anaphora(entities: EntityIndex) -> None:
    text = "The deal widens Microsoft's access to OpenAI's research. Its rights now run through 2035."
    c = one(entities, text, "partnership_term")
    assert set(c.parties) == {"Microsoft", "OpenAI"}
    assert c.value is not None and c.value.amount == 2035


def test_exclusivity_status(entities: EntityIndex) -> None:
    c = one(
        entities, "Microsoft gave up its right of first refusal on OpenAI's compute.", "preferential_rights"
    )
    assert c.value is not None and c.value.text == "ended"
    c = one(entities, "OpenAI's API stays exclusive to Microsoft's cloud.", "exclusivity")
    assert c.value is not None and c.value.text == "in_force"


def test_product_maker_is_not_a_deal_party(entities: EntityIndex) -> None:
    c = one(
        entities,
        "OpenAI agreed to buy $3 billion of capacity from Zeta Cloud running Nvidia chips.",
        "compute_deal",
    )
    assert "Nvidia" not in c.parties


def test_stock_price_is_not_a_deal(entities: EntityIndex) -> None:
    found = claims(
        entities,
        "Microsoft shares rose 4% and its market value topped $4 trillion after the deal with OpenAI.",
    )
    assert not [c for c in found if c.value and c.value.type is ValueType.USD and "deal" in c.notes]


def test_quotes_are_marked(entities: EntityIndex) -> None:
    found = claims(
        entities,
        '"OpenAI will sign a $9 billion deal with Zeta Cloud," said Jane Roe, an analyst at Quill Research.',
    )
    assert found and all("quote" in c.notes for c in found)


def test_a_fall_is_a_negative_change(entities: EntityIndex) -> None:
    c = one(entities, "Downloads of the ChatGPT app fell 2.6 per cent in December.", "downloads")
    assert c.value is not None and c.value.amount == pytest.approx(-2.6)
    c = one(entities, "ChatGPT showed a 4% download decline in May.", "downloads")
    assert c.value is not None and c.value.amount == pytest.approx(-4.0)
    c = one(entities, "ChatGPT downloads rose 3% in June.", "downloads")
    assert c.value is not None and c.value.amount == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("OpenAI spent $9.2 billion in the fourth quarter of 2025.", "period:quarter:2025:4"),
        ("OpenAI spent $4bn in Q2.", "period:quarter::2"),
        ("OpenAI expects to spend $30bn in the first half of 2027.", "period:half:2027:1"),
        ("OpenAI plans to spend $40bn this year.", "period:year::"),
        ("In March, OpenAI said it plans to spend $115bn in total.", None),
    ],
)
def test_spending_figures_carry_their_period(entities: EntityIndex, text: str, period: str | None) -> None:
    c = one(entities, text, "spending")
    assert {n for n in c.notes if n.startswith("period:")} == ({period} if period else set())


def test_name_adjectives_are_not_companies(entities: EntityIndex) -> None:
    found = claims(
        entities, "Microsoft will rent capacity from Perth-based data centre operator Quokka Compute."
    )
    assert all("Perth-based" not in c.parties for c in found)
    assert any(set(c.parties) == {"Microsoft", "Quokka Compute"} for c in found)


def test_description_aliases_name_the_company(entities: EntityIndex) -> None:
    c = one(
        entities,
        "The Windows maker said its deal with the ChatGPT maker runs until 2036.",
        "partnership_term",
    )
    assert set(c.parties) == {"Microsoft", "OpenAI"}


def test_project_resolves_to_members_unless_it_is_a_deal(entities: EntityIndex) -> None:
    c = one(entities, "Stargate's budget has grown to $640bn.", "project_value")
    assert set(c.parties) == {"OpenAI", "Oracle", "SoftBank"}
    assert all(
        "Stargate" not in c.parties
        for c in claims(entities, "Quokka Compute signed a $2bn deal with Stargate.")
    )


def test_weakened_is_not_ended(entities: EntityIndex) -> None:
    c = one(entities, "Microsoft's exclusive hold over OpenAI has weakened, analysts said.", "exclusivity")
    assert c.value is not None and c.value.text == "weakened"
    c = one(entities, "OpenAI ends its exclusive arrangement with Microsoft.", "exclusivity")
    assert c.value is not None and c.value.text == "ended"


def test_document_zones() -> None:
    from watcher.differ.document import Zone, read_document

    text = (
        "Acme signed a deal.\n- Bolt Ltd signed another.\n| Acme | lease | $2bn |\n"
        "Correction: an earlier version of this story said the deal was worth $3bn.\n"
    )
    doc = read_document(text, title="Acme deal")
    assert [s.zone for s in doc.sentences] == [
        Zone.HEADLINE, Zone.BODY, Zone.LIST_ITEM, Zone.TABLE_ROW, Zone.CORRECTION,
    ]  # fmt: skip


def test_a_correction_note_makes_no_claim(entities: EntityIndex) -> None:
    text = (
        "OpenAI signed a $5 billion deal with Zeta Semiconductor.\n"
        "Correction: an earlier version of this story said OpenAI signed a $7 billion deal with Zeta Semiconductor.\n"
    )
    assert [c.value.amount for c in claims(entities, text) if c.value and c.attribute == "compute_deal"] == [
        5e9
    ]
