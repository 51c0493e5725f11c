"""The attribute vocabulary shared by baseline facts, claims and findings.

An attribute names *what* a fact or claim is about, independent of wording. A claim is
compared only with baseline facts of the same attribute and overlapping parties.
"""

from __future__ import annotations

from watcher.types import ValueType

#: attribute -> (value type, what it means)
ATTRIBUTES: dict[str, tuple[ValueType, str]] = {
    "investment": (ValueType.USD, "money one party has invested or will invest in another"),
    "stake": (ValueType.PERCENT, "ownership stake one party holds in another"),
    "valuation": (ValueType.USD, "valuation of a company or of a stake"),
    "compute_deal": (ValueType.USD, "value of a compute, cloud or chip supply contract"),
    "deal_duration": (ValueType.DURATION, "length of a contract, in years"),
    "capacity": (ValueType.GW, "data-centre or compute power committed, in gigawatts"),
    "partnership_term": (ValueType.YEAR, "year an agreement or its rights run through"),
    "exclusivity": (ValueType.STATUS, "exclusive arrangement (e.g. Azure API exclusivity): in_force / ended"),
    "preferential_rights": (
        ValueType.STATUS,
        "preferential rights or right of first refusal: in_force / ended",
    ),
    "spending": (ValueType.USD, "planned or projected total expenditure"),
    "profitability": (ValueType.YEAR, "year a company is projected to become profitable"),
    "operating_loss": (ValueType.STATUS, "company operates at a loss: yes / no"),
    "cloud_agreement": (
        ValueType.STATUS,
        "a cloud or compute agreement exists between parties: yes / denied",
    ),
    "model_integration": (
        ValueType.STATUS,
        "one party's AI models offered in another's products: yes / reported / denied",
    ),
    "product_launch": (ValueType.TEXT, "a product or model launched"),
    "data_center": (ValueType.STATUS, "a data-centre project launched or built"),
    "project_value": (ValueType.USD, "total size of a joint infrastructure project (e.g. Stargate)"),
    "downloads": (ValueType.PERCENT, "month-over-month change in app downloads"),
    "catalog_size": (ValueType.COUNT, "number of models offered on a platform"),
    "in_house_models": (ValueType.STATUS, "a company develops its own models or chips"),
}


def value_type_of(attribute: str) -> ValueType:
    """The value type an attribute takes; raises KeyError for an unknown attribute."""
    return ATTRIBUTES[attribute][0]
