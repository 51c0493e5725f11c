"""Quantity parsing, formatting and comparison (our own example phrases)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watcher.differ.quantities import compare, find_quantities, find_years, format_value, parse_value
from watcher.types import Qualifier, Value, ValueType

B = 1e9


@pytest.mark.parametrize(
    ("text", "amount", "qualifier", "currency"),
    [
        ("a $38bn deal", 38 * B, Qualifier.EXACT, None),
        ("a US$9.7 billion contract", 9.7 * B, Qualifier.EXACT, None),
        ("38 billion dollars of capacity", 38 * B, Qualifier.EXACT, None),
        ("Thirty-eight billion dollars over seven years", 38 * B, Qualifier.EXACT, None),
        ("a plan worth $1.4 trillion", 1.4e12, Qualifier.EXACT, None),
        ("a €5bn order", 5 * B, Qualifier.EXACT, "EUR"),
        ("over $13 billion", 13 * B, Qualifier.OVER, None),
        ("more than $13 billion", 13 * B, Qualifier.OVER, None),
        ("about $300 billion", 300 * B, Qualifier.ABOUT, None),
        ("roughly $13bn", 13 * B, Qualifier.ABOUT, None),
        ("up to $6.5 billion", 6.5 * B, Qualifier.UP_TO, None),
        ("as much as $100 billion", 100 * B, Qualifier.UP_TO, None),
        ("a 22.4 billion dollar deal", 22.4 * B, Qualifier.EXACT, None),
        ("announced a 100 billion investment", 100 * B, Qualifier.EXACT, None),
        ("worth tens of billions of dollars", 10 * B, Qualifier.OVER, None),
        ("$350 million of stock", 350e6, Qualifier.EXACT, None),
    ],
)
def test_money_formats(text: str, amount: float, qualifier: Qualifier, currency: str | None) -> None:
    (q,) = [q for q in find_quantities(text) if q.value.type is ValueType.USD]
    assert q.value.amount == pytest.approx(amount)
    assert q.value.qualifier is qualifier
    assert q.value.text == currency


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        ("4.5GW of capacity", ValueType.GW, 4.5),
        ("4.5 gigawatts of capacity", ValueType.GW, 4.5),
        ("six gigawatts of chips", ValueType.GW, 6),
        ("a 230 megawatt site", ValueType.GW, 0.23),
        ("27 per cent of the company", ValueType.PERCENT, 27),
        ("a 27% stake", ValueType.PERCENT, 27),
        ("a five-year lease", ValueType.DURATION, 5),
        ("over seven years", ValueType.DURATION, 7),
        ("more than 11,000 models", ValueType.COUNT, 11000),
    ],
)
def test_other_units(text: str, kind: ValueType, amount: float) -> None:
    (q,) = find_quantities(text)
    assert q.value.type is kind
    assert q.value.amount == pytest.approx(amount)


def test_price_per_share_is_marked() -> None:
    (q,) = find_quantities("a package worth $21.01 a share")
    assert q.per_unit


def test_one_million_chips_is_not_money() -> None:
    assert find_quantities("up to one million chips") == []


def test_years() -> None:
    assert [y for y, _ in find_years("runs through 2030, not 2032")] == [2030, 2032]


@pytest.mark.parametrize(
    ("a", "b", "agree"),
    [
        (Value(ValueType.USD, 13.8 * B), Value(ValueType.USD, 13 * B, qualifier=Qualifier.OVER), True),
        (Value(ValueType.USD, 300 * B, qualifier=Qualifier.ABOUT), Value(ValueType.USD, 300 * B), True),
        (Value(ValueType.USD, 172 * B, qualifier=Qualifier.ABOUT), Value(ValueType.USD, 115 * B), False),
        (Value(ValueType.USD, 50 * B, qualifier=Qualifier.UP_TO), Value(ValueType.USD, 100 * B), False),
        (Value(ValueType.USD, 100 * B, qualifier=Qualifier.UP_TO), Value(ValueType.USD, 100 * B), True),
        (Value(ValueType.YEAR, 2032), Value(ValueType.YEAR, 2030), False),
        (Value(ValueType.STATUS, text="ended"), Value(ValueType.STATUS, text="in_force"), False),
        (Value(ValueType.STATUS, text="yes"), Value(ValueType.STATUS, text="reported"), True),
    ],
)
def test_compare_within_qualifiers(a: Value, b: Value, agree: bool) -> None:
    assert compare(a, b) is agree
    assert compare(b, a) is agree


def test_other_currency_is_not_comparable() -> None:
    assert compare(Value(ValueType.USD, 5 * B, "EUR"), Value(ValueType.USD, 5 * B)) is None


def test_display() -> None:
    assert Value(ValueType.USD, 13 * B, qualifier=Qualifier.OVER).display() == "over $13 billion"
    assert format_value(Value(ValueType.GW, 4.5)) == "4.5 GW"
    assert format_value(Value(ValueType.YEAR, 2030)) == "2030"


_amounts = st.integers(min_value=1, max_value=999_999).map(lambda n: n / 100)
_scales = st.sampled_from([1e6, 1e9, 1e12])
_qualifiers = st.sampled_from(list(Qualifier))


@given(_amounts, _scales, _qualifiers, st.sampled_from([None, "EUR", "GBP"]))
def test_money_round_trip(amount: float, scale: float, qualifier: Qualifier, currency: str | None) -> None:
    value = Value(ValueType.USD, amount * scale, currency, qualifier)
    back = parse_value(format_value(value))
    assert back is not None and back.type is ValueType.USD
    assert back.amount == pytest.approx(value.amount, rel=1e-3)
    assert (back.qualifier, back.text) == (qualifier, currency)


@given(_amounts, st.sampled_from([ValueType.GW, ValueType.PERCENT, ValueType.DURATION]), _qualifiers)
def test_units_round_trip(amount: float, kind: ValueType, qualifier: Qualifier) -> None:
    value = Value(kind, amount, None, qualifier)
    back = parse_value(format_value(value))
    assert back is not None and back.type is kind
    assert back.amount == pytest.approx(amount, rel=1e-3)
    assert back.qualifier is qualifier


@given(st.integers(min_value=1900, max_value=2099))
def test_year_round_trip(year: int) -> None:
    assert parse_value(format_value(Value(ValueType.YEAR, float(year)))) == Value(ValueType.YEAR, float(year))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("the four-hundred-billion-dollar venture", "$400 billion"),
        ("a three-hundred-and-fifty-million-euro contract", "€350 million"),
        ("two hundred and forty billion dollars", "$240 billion"),
    ],
)
def test_amounts_written_in_hyphenated_words(text: str, shown: str) -> None:
    (q,) = find_quantities(text)
    assert q.value.display() == shown
