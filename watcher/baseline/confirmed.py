"""Facts an analyst accepted from alerts ("Confirm" in Telegram or on the dashboard).

A confirmed finding becomes a fact with the article as its provenance; it is stored as a
baseline version of its own in the baseline file's YAML form and read back from there.
Pure: the store hands in and takes the texts.
"""

from __future__ import annotations

from collections.abc import Iterable

import yaml

from watcher.baseline.facts import FactModel
from watcher.differ.attributes import ATTRIBUTES
from watcher.differ.quantities import parse_value
from watcher.types import Fact, Finding, Hedge, Provenance, Value, ValueType


def fact_from_finding(finding_id: int, finding: Finding, url: str, title: str) -> Fact:
    """The fact an analyst confirmed: the finding's parties and value, the article as provenance."""
    attribute, expected = finding.attribute, ATTRIBUTES.get(finding.attribute, (ValueType.STATUS, ""))[0]
    parsed = parse_value(finding.new_value or "")
    if parsed is not None and parsed.type == expected:
        value = parsed
    elif expected in (ValueType.STATUS, ValueType.TEXT):
        value = Value(expected, text=finding.new_value or "yes")
    else:  # a figure we cannot read back: keep what is certain, that the parties have an agreement
        attribute, value = "cloud_agreement", Value(ValueType.STATUS, text="yes")
    return Fact(
        id=f"confirmed-{finding_id}",
        parties=finding.parties,
        attribute=attribute,
        value=value,
        hedge=Hedge.STATED,
        provenance=Provenance(seed=url, sentence=finding.evidence),
        note=f"confirmed from an alert: {title}",
    )


def facts_from_yaml(texts: Iterable[str]) -> list[Fact]:
    """The facts of stored versions (each a YAML text in the baseline file's form), in order."""
    facts: list[Fact] = []
    for text in texts:
        for raw in (yaml.safe_load(text) or {}).get("facts", []):
            facts.append(FactModel.model_validate(raw).to_fact())
    return facts
