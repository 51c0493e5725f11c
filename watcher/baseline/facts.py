"""The baseline fact set: schema, loading with line-level errors, checks, lookup.

``baseline/facts.yaml`` is curated by hand (or drafted by ``watcher baseline build``).
Each fact names its parties, an attribute from :mod:`watcher.differ.attributes`, a normalised
value with its qualifier and hedge, and its provenance: the seed file and the exact
sentence it comes from. Pure apart from reading files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from watcher.baseline.seeds import Seed, load_seeds
from watcher.differ.attributes import ATTRIBUTES
from watcher.differ.valuecompare import interval
from watcher.errors import BaselineError
from watcher.types import Fact, Hedge, Provenance, Qualifier, Value, ValueType

NUMERIC_UNITS = {
    ValueType.USD,
    ValueType.GW,
    ValueType.YEAR,
    ValueType.PERCENT,
    ValueType.DURATION,
    ValueType.COUNT,
}


class FactModel(BaseModel):
    """One entry of ``facts:`` in the YAML file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    parties: list[str]
    attribute: str
    unit: ValueType
    value: float | int | str
    qualifier: Qualifier = Qualifier.EXACT
    hedge: Hedge = Hedge.STATED
    seed: str
    sentence: str
    note: str = ""

    @field_validator("id")
    @classmethod
    def _id_slug(cls, v: str) -> str:
        if not v or not all(c.isalnum() or c in "-_." for c in v):
            raise ValueError("id must be a non-empty slug of letters, digits, '-', '_' or '.'")
        return v

    @field_validator("parties")
    @classmethod
    def _parties(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("a fact needs at least one party")
        return v

    @field_validator("attribute")
    @classmethod
    def _attribute(cls, v: str) -> str:
        if v not in ATTRIBUTES:
            raise ValueError(f"unknown attribute {v!r}; known: {', '.join(sorted(ATTRIBUTES))}")
        return v

    @model_validator(mode="after")
    def _value_matches_unit(self) -> FactModel:
        numeric = isinstance(self.value, int | float) and not isinstance(self.value, bool)
        if self.unit in NUMERIC_UNITS and not numeric:
            raise ValueError(f"unit {self.unit} needs a number as value, got {self.value!r}")
        if self.unit not in NUMERIC_UNITS and numeric:
            raise ValueError(f"unit {self.unit} needs a word as value, got {self.value!r}")
        expected = ATTRIBUTES[self.attribute][0]
        if expected != self.unit:
            raise ValueError(f"attribute {self.attribute} takes unit {expected}, not {self.unit}")
        return self

    def to_fact(self) -> Fact:
        if self.unit in NUMERIC_UNITS:
            value = Value(self.unit, amount=float(self.value), qualifier=self.qualifier)
        else:
            value = Value(self.unit, text=str(self.value), qualifier=self.qualifier)
        return Fact(
            id=self.id,
            parties=tuple(self.parties),
            attribute=self.attribute,
            value=value,
            hedge=self.hedge,
            provenance=Provenance(seed=self.seed, sentence=self.sentence),
            note=self.note,
        )


class FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    facts: list[dict[str, Any]]


@dataclass(frozen=True)
class Baseline:
    """A loaded fact set. ``version`` is a hash of its content, so stored findings can name it."""

    facts: tuple[Fact, ...]
    version: str
    path: str | None = None
    _by_id: dict[str, Fact] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({f.id: f for f in self.facts})

    @classmethod
    def from_facts(cls, facts: Iterable[Fact], *, path: str | None = None) -> Baseline:
        facts = tuple(facts)
        return cls(facts=facts, version=_facts_hash(facts), path=path)

    def get(self, fact_id: str) -> Fact | None:
        return self._by_id.get(fact_id)

    def with_attribute(self, attribute: str) -> tuple[Fact, ...]:
        return tuple(f for f in self.facts if f.attribute == attribute)

    def involving(self, parties: Iterable[str]) -> tuple[Fact, ...]:
        """Facts that name every one of the given parties."""
        wanted = set(parties)
        return tuple(f for f in self.facts if wanted <= set(f.parties))


def _facts_hash(facts: tuple[Fact, ...]) -> str:
    h = hashlib.sha256()
    for f in facts:
        h.update(repr(f).encode())
    return h.hexdigest()[:16]


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # a base chosen at run time: libyaml when present
    """A SafeLoader that remembers the line of every mapping as ``__line__``."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__keylines__"] = {k.value: k.start_mark.line + 1 for k, _ in node.value if hasattr(k, "value")}
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot read baseline file {path}: {exc.strerror}", path=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise BaselineError(
            f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8", path=str(path)
        ) from exc
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise BaselineError(
            f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}", path=str(path)
        ) from exc
    if not isinstance(data, dict):
        raise BaselineError(f"{path}: expected a mapping with 'version' and 'facts'", path=str(path))
    return data


def _strip_lines(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("__line__", "__keylines__")}


def parse_facts(path: Path) -> tuple[list[Fact], list[str]]:
    """Facts that validate, and one message per problem as ``path:line: id: field: message``."""
    data = _read_yaml(path)
    problems: list[str] = []
    try:
        FileModel.model_validate(_strip_lines(data))
    except ValidationError as exc:
        for err in exc.errors():
            if err["loc"] and err["loc"][0] == "facts" and len(err["loc"]) > 1:
                continue
            problems.append(
                f"{path}:{data.get('__line__', 1)}: {'.'.join(map(str, err['loc']))}: {err['msg']}"
            )
        if problems:
            return [], problems
    facts: list[Fact] = []
    seen: dict[str, int] = {}
    for raw in data.get("facts") or []:
        if not isinstance(raw, dict):
            problems.append(f"{path}: each fact must be a mapping, got {raw!r}")
            continue
        line = raw.get("__line__", 0)
        fid = raw.get("id", "?")
        try:
            model = FactModel.model_validate(_strip_lines(raw))
        except ValidationError as exc:
            for err in exc.errors():
                key = str(err["loc"][0]) if err["loc"] else ""
                at = raw.get("__keylines__", {}).get(key, line)
                problems.append(f"{path}:{at}: {fid}: {key or 'fact'}: {err['msg']}")
            continue
        if model.id in seen:
            problems.append(f"{path}:{line}: {model.id}: duplicate id (first at line {seen[model.id]})")
            continue
        seen[model.id] = line
        facts.append(model.to_fact())
    return facts, problems


def load_baseline(path: Path) -> Baseline:
    """Loads and validates the fact file; raises BaselineError listing every problem."""
    facts, problems = parse_facts(path)
    if problems:
        raise BaselineError(
            f"{path} has {len(problems)} problem(s):\n  " + "\n  ".join(problems),
            path=str(path),
            problems=problems,
        )
    return Baseline.from_facts(facts, path=str(path))


@dataclass(frozen=True)
class CheckReport:
    facts: int
    problems: list[str]
    tensions: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_baseline(path: Path, seeds_dir: Path) -> CheckReport:
    """Schema, duplicate ids, provenance sentences present in their seeds, and in-baseline tensions."""
    facts, problems = parse_facts(path)
    seeds = load_seeds(seeds_dir)
    problems += _provenance_problems(path, facts, seeds)
    return CheckReport(facts=len(facts), problems=problems, tensions=find_tensions(facts))


def _provenance_problems(path: Path, facts: list[Fact], seeds: dict[str, Seed]) -> list[str]:
    problems = []
    for f in facts:
        seed = seeds.get(f.provenance.seed)
        if seed is None:
            problems.append(
                f"{path}: {f.id}: seed {f.provenance.seed!r} not found (known: {', '.join(seeds) or 'none'})"
            )
        elif not seed.contains(f.provenance.sentence):
            problems.append(
                f"{path}: {f.id}: sentence not found in seed {f.provenance.seed}: {f.provenance.sentence[:80]!r}"
            )
    return problems


def find_tensions(facts: Iterable[Fact]) -> list[str]:
    """Pairs of facts on the same parties and attribute whose values differ."""
    tensions = []
    for a, b in combinations(list(facts), 2):
        if a.attribute != b.attribute or set(a.parties) != set(b.parties) or a.value == b.value:
            continue
        if a.value.amount is not None and b.value.amount is not None:
            ba, bb = interval(a.value), interval(b.value)
            verdict = "compatible" if max(ba[0], bb[0]) <= min(ba[1], bb[1]) else "INCOMPATIBLE"
        else:
            verdict = "different wording"
        tensions.append(
            f"{a.id} ({a.value.display()}, {a.provenance.seed}) vs {b.id} ({b.value.display()}, {b.provenance.seed}): {verdict}"
        )
    return tensions


def dump_facts(facts: Iterable[Fact]) -> str:
    """Facts as YAML in the curated file's format (used by `baseline build` and confirmed facts)."""
    out = []
    for f in facts:
        v = f.value
        out.append(
            {
                "id": f.id,
                "parties": list(f.parties),
                "attribute": f.attribute,
                "unit": str(v.type),
                "value": (int(v.amount) if v.amount is not None and v.amount == int(v.amount) else v.amount)
                if v.amount is not None
                else v.text,
                "qualifier": str(v.qualifier),
                "hedge": str(f.hedge),
                "seed": f.provenance.seed,
                "sentence": f.provenance.sentence,
                **({"note": f.note} if f.note else {}),
            }
        )
    return yaml.safe_dump({"version": 1, "facts": out}, sort_keys=False, allow_unicode=True, width=1000)
