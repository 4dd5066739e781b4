"""Scoring of the outcome measures (PEG, PSFS): pure, on plain data.

The instruments' definitions (items, sources, direction) are data
(``app/progress/data/outcomes.yaml``), read by the service and passed in."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Instrument(StrEnum):
    peg = "peg"
    psfs = "psfs"


class Timepoint(StrEnum):
    baseline = "baseline"
    week_4 = "week_4"
    week_8 = "week_8"


@dataclass(frozen=True)
class InstrumentRule:
    id: Instrument
    name: str
    source: str
    higher_is_better: bool
    item_ids: tuple[str, ...]  # fixed items (PEG); empty when the patient names them (PSFS)
    min_items: int
    max_items: int


@dataclass(frozen=True)
class ScoredItem:
    name: str
    score: int


@dataclass(frozen=True)
class Scored:
    instrument: InstrumentRule
    items: tuple[ScoredItem, ...]
    score: float


def instrument_rules(data: Mapping[str, Any]) -> dict[Instrument, InstrumentRule]:
    """The instruments of the outcomes data file (already parsed)."""
    rules: dict[Instrument, InstrumentRule] = {}
    for entry in data["instruments"]:
        item_ids = tuple(item["id"] for item in entry.get("items", ()))
        rules[Instrument(entry["id"])] = InstrumentRule(
            id=Instrument(entry["id"]),
            name=entry["name"],
            source=entry["source"],
            higher_is_better=entry["higher_is_better"],
            item_ids=item_ids,
            min_items=entry.get("min_activities", len(item_ids)),
            max_items=entry.get("max_activities", len(item_ids)),
        )
    return rules


def score(rule: InstrumentRule, items: Sequence[tuple[str, int]]) -> Scored:
    """The mean of the items' 0-10 scores, to two decimals. The caller has validated the items
    against the rule (names, count, range); a mismatch here is a programming error."""
    if not rule.min_items <= len(items) <= rule.max_items:
        raise ValueError(f"{rule.id} takes {rule.min_items}-{rule.max_items} items")
    if rule.item_ids and tuple(name for name, _ in items) != rule.item_ids:
        raise ValueError(f"{rule.id} items are {', '.join(rule.item_ids)}")
    if any(not 0 <= value <= 10 for _, value in items):
        raise ValueError("item scores are 0-10")
    mean = sum(value for _, value in items) / len(items)
    return Scored(
        instrument=rule,
        items=tuple(ScoredItem(name, value) for name, value in items),
        score=round(mean, 2),
    )
