"""Plan generation: request + assessment outcome + catalogue in, an 8-week plan out.

Pure: no database, no FastAPI, no clock. Every layout choice is a rule with an id (PG-1 to
PG-8, texts in ``data/generator.yaml``); the guide's own numbers (doses, frequencies and the
8-week table) come from the catalogue. The same request, outcome, catalogue and settings give
the same plan, byte for byte.
"""

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Protocol, Self

import yaml
from pydantic import Field, model_validator

from app.assessments.schemas import TriageLevel
from app.catalogue.schemas import (
    Equipment,
    ExercisePublic,
    Guidance,
    PlanTemplateWeek,
    Range,
    SessionKind,
    Side,
    StrictModel,
    Target,
)
from app.core.versioning import content_hash, content_version
from app.plans.schemas import (
    Adjustment,
    Cardio,
    HabitFocus,
    ItemDose,
    Plan,
    PlanDay,
    PlanItem,
    PlanRequest,
    PlanSession,
    PlanWeek,
    Weekday,
    WeekSummary,
    Why,
)

SETTINGS_FILE = Path(__file__).resolve().parent / "data" / "generator.yaml"
WEEKS = 8
WEEKDAYS = list(Weekday)
# Always at hand: the guide offers "light weights or a household object" for the deadlift.
ALWAYS_AT_HAND = frozenset({Equipment.household_object})
CARDIO_SLUGS = {Cardio.walking: "walking", Cardio.cycling: "cycling"}
# The order sessions claim a day's time after the daily mobilisation and micro-breaks.
OPTIONAL_ORDER = (
    SessionKind.strength,
    SessionKind.cardio,
    SessionKind.evening_flexibility,
    SessionKind.mind_body,
)
SESSION_NAMES = {
    SessionKind.morning_mobility: "morning mobilisation",
    SessionKind.micro_break: "micro-breaks",
    SessionKind.strength: "strength",
    SessionKind.cardio: "cardio",
    SessionKind.evening_flexibility: "evening flexibility & release",
    SessionKind.mind_body: "mind-body",
}


class GeneratorSettings(StrictModel):
    format_version: int = Field(ge=1, le=1)
    start_times: dict[SessionKind, time]
    micro_break_interval_minutes: int = Field(ge=30, le=60)
    week_levels: list[float] = Field(min_length=WEEKS, max_length=WEEKS)
    gentle_pain_from: int = Field(ge=0, le=10)
    gentle_week_levels: list[float] = Field(min_length=WEEKS, max_length=WEEKS)
    gentle_strength_delay_weeks: int = Field(ge=0, le=3)
    strength_days_per_week: int = Field(ge=1, le=4)
    rules: dict[str, str]

    @model_validator(mode="after")
    def _complete(self) -> Self:
        missing = set(SessionKind) - {SessionKind.micro_break} - set(self.start_times)
        if missing:
            raise ValueError(f"start_times lacks {sorted(missing)}")
        levels = [*self.week_levels, *self.gentle_week_levels]
        if any(not 0 <= level <= 1 for level in levels):
            raise ValueError("levels lie in 0..1")
        if {f"PG-{n}" for n in range(1, 9)} - set(self.rules):
            raise ValueError("rules PG-1 to PG-8 need texts")
        return self


def load_settings(path: Path = SETTINGS_FILE) -> GeneratorSettings:
    with path.open(encoding="utf-8") as handle:
        return GeneratorSettings.model_validate(yaml.safe_load(handle))


def settings_version(settings: GeneratorSettings) -> str:
    return content_version(settings.model_dump(mode="json"), format_version=settings.format_version)


class PlanCatalogue(Protocol):
    """What generation needs from the catalogue."""

    @property
    def version(self) -> str: ...

    @property
    def exercises(self) -> tuple[ExercisePublic, ...]: ...

    @property
    def by_slug(self) -> Mapping[str, ExercisePublic]: ...

    @property
    def guidance(self) -> Guidance: ...


@dataclass(frozen=True)
class PlanFinding:
    code: str
    summary: str
    side: Side | None
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Outcome:
    """The assessment as the plan uses it."""

    triage: TriageLevel
    findings: tuple[PlanFinding, ...]


class PlanRefused(Exception):
    """A red flag: no plan (PG-8)."""


class NotEnoughTime(Exception):
    def __init__(self, minimum_minutes: float) -> None:
        super().__init__(f"at least {minimum_minutes:g} minutes a day are needed")
        self.minimum_minutes = minimum_minutes


@dataclass(frozen=True)
class Versions:
    ruleset: str
    generator: str


def input_hash(request: PlanRequest) -> str:
    return content_hash(request.model_dump(mode="json"))


def generate(
    request: PlanRequest,
    outcome: Outcome,
    *,
    catalogue: PlanCatalogue,
    settings: GeneratorSettings,
    versions: Versions,
) -> Plan:
    if outcome.triage is TriageLevel.seek_care_now:
        raise PlanRefused(settings.rules["PG-8"])
    builder = _Builder(request, outcome, catalogue, settings)
    minimum = builder.minimum_daily_minutes()
    if request.minutes_per_day < minimum:
        raise NotEnoughTime(minimum)
    weeks = [builder.week(number) for number in range(1, WEEKS + 1)]
    return Plan(
        dataset_version=catalogue.version,
        ruleset_version=versions.ruleset,
        generator_version=versions.generator,
        input_hash=input_hash(request),
        inputs=request,
        triage=outcome.triage,
        findings=[finding.code for finding in outcome.findings],
        adjustments=builder.adjustments(),
        weeks=weeks,
    )


# --- the builder -------------------------------------------------------------------------------


@dataclass
class _Builder:
    request: PlanRequest
    outcome: Outcome
    catalogue: PlanCatalogue
    settings: GeneratorSettings
    _adjustments: dict[str, Adjustment] = field(default_factory=dict)
    _sessions_built: dict[tuple[SessionKind, int, float, tuple[str, ...]], PlanSession] = field(
        default_factory=dict
    )

    def __post_init__(self) -> None:
        self.template = self.catalogue.guidance.plan_template
        self.sessions = {s.kind: s for s in self.catalogue.guidance.sessions}
        self.available = set(self.request.equipment) | ALWAYS_AT_HAND
        self.gentle = (
            self.request.pain_now >= self.settings.gentle_pain_from
            or self.outcome.triage is TriageLevel.see_professional
        )
        self.levels = self.settings.gentle_week_levels if self.gentle else self.settings.week_levels
        self.strength_delay = self.settings.gentle_strength_delay_weeks if self.gentle else 0
        if self.gentle:
            self._note("PG-6", self.settings.rules["PG-6"])
        self.target_weight = _target_weights(self.outcome.findings)
        self.strength_days = self._strength_days()
        self.cardio_days = self._cardio_days()
        self.cardio_choices = self._cardio_choices()

    # -- the week pattern (PG-5)

    def _strength_days(self) -> list[Weekday]:
        wanted = self.settings.strength_days_per_week
        free = sorted(self.request.training_days, key=WEEKDAYS.index)
        for size in range(min(wanted, len(free)), 0, -1):
            spaced = [c for c in itertools.combinations(free, size) if _never_consecutive(c)]
            if spaced:
                chosen = list(max(spaced, key=_spacing))
                if size < wanted:
                    self._note(
                        "PG-5",
                        f"Strength {size}× a week instead of {wanted}×: the chosen weekdays "
                        "allow no more without consecutive days.",
                    )
                return chosen
        return []

    def _cardio_days(self) -> list[Weekday]:
        wanted = self._cardio_frequency()
        free = sorted(self.request.training_days, key=WEEKDAYS.index)
        others = [day for day in free if day not in self.strength_days]
        chosen = sorted(
            (others + [d for d in free if d in self.strength_days])[:wanted], key=WEEKDAYS.index
        )
        if len(chosen) < wanted:
            self._note(
                "PG-5",
                f"Cardio {len(chosen)}× a week instead of {wanted}×: only "
                f"{len(free)} weekday(s) were chosen for training.",
            )
        return chosen

    def _cardio_frequency(self) -> int:
        session = self.sessions[SessionKind.cardio]
        frequency = session.frequency.times_per_week
        return int(frequency.minimum) if frequency else 4

    def _cardio_choices(self) -> list[str]:
        choices = []
        for choice in self.request.cardio:
            slug = CARDIO_SLUGS[choice]
            replacement = self._usable(self.catalogue.by_slug[slug], SessionKind.cardio, set())
            if replacement is not None and replacement.slug not in choices:
                choices.append(replacement.slug)
        return choices

    # -- minimum and levels

    def minimum_daily_minutes(self) -> float:
        """The daily essentials at the low end: the morning mobilisation (with any extra
        volume the findings give) and, on working days, the micro-breaks."""
        row = self.template[0]
        start = self.request.start_date
        morning = self._session(SessionKind.morning_mobility, 1, row, 0.0, start).minutes
        micro = 0.0
        if self.request.working_days and self._micro_break_repeats():
            micro = self._micro_breaks(1, row).minutes
        return round(morning + micro, 2)

    def level(self, week: int) -> float:
        return self.levels[week - 1]

    # -- one week

    def week(self, number: int) -> PlanWeek:
        row = self.template[number - 1]
        active = self._active_sessions(number)
        days = [self._day(number, row, offset, active) for offset in range(7)]
        habits = {habit.slug: habit for habit in self.catalogue.guidance.habits}
        return PlanWeek(
            week=number,
            focus=row.focus,
            frequency=row.frequency.text,
            source_section=row.source_section,
            habit_focus=[
                HabitFocus(slug=slug, name=habits[slug].name, tips=habits[slug].tips)
                for slug in row.habit_focus
            ],
            safety_rules=[rule.rule for rule in self.catalogue.guidance.safety_rules],
            summary=WeekSummary(
                minutes=round(sum(day.minutes for day in days), 2),
                sessions=sum(len(day.sessions) for day in days),
                strength_days=sum(_has(day, SessionKind.strength) for day in days),
                cardio_days=sum(_has(day, SessionKind.cardio) for day in days),
            ),
            days=days,
        )

    def _active_sessions(self, week: int) -> set[SessionKind]:
        """PG-1: the table is cumulative; PG-6 delays strength and brings breathing first."""
        active: set[SessionKind] = set()
        for row in self.template[:week]:
            active.update(row.adds_sessions)
        strength_from = self._first_week_adding(SessionKind.strength) + self.strength_delay
        if week < strength_from:
            active.discard(SessionKind.strength)
        if self.gentle:
            active.add(SessionKind.mind_body)
        return active

    def _first_week_adding(self, kind: SessionKind) -> int:
        return next(row.week for row in self.template if kind in row.adds_sessions)

    # -- one day (PG-4)

    def _day(
        self, week: int, row: PlanTemplateWeek, offset: int, active: set[SessionKind]
    ) -> PlanDay:
        day = self.request.start_date + timedelta(days=(week - 1) * 7 + offset)
        weekday = WEEKDAYS[day.weekday()]
        level = self.level(week)
        budget = float(self.request.minutes_per_day)

        # The daily essentials at the low end first, so they never crowd out the rest.
        sessions = [self._session(SessionKind.morning_mobility, week, row, 0.0, day)]
        if (
            SessionKind.micro_break in active
            and weekday in self.request.working_days
            and self._micro_break_repeats()
        ):
            sessions.append(self._micro_breaks(week, row))
        used = sum(session.minutes for session in sessions)

        for kind in OPTIONAL_ORDER:
            if kind not in active or not self._scheduled(kind, weekday):
                continue
            session = self._fitted(kind, week, row, level, day, budget - used)
            if session is None:
                self._note(
                    "PG-4",
                    f"Some {SESSION_NAMES[kind]} sessions are left out: they do not fit in "
                    f"{self.request.minutes_per_day} minutes a day with the daily essentials.",
                )
                continue
            sessions.append(session)
            used += session.minutes

        # Then the morning mobilisation grows to this week's level if the time allows.
        fuller = self._session(SessionKind.morning_mobility, week, row, level, day)
        if used - sessions[0].minutes + fuller.minutes <= budget:
            used += fuller.minutes - sessions[0].minutes
            sessions[0] = fuller
        sessions.sort(key=lambda s: (s.start, list(SessionKind).index(s.kind)))
        return PlanDay(date=day, weekday=weekday, minutes=round(used, 2), sessions=sessions)

    def _scheduled(self, kind: SessionKind, weekday: Weekday) -> bool:
        if kind is SessionKind.strength:
            return weekday in self.strength_days
        if kind is SessionKind.cardio:
            return weekday in self.cardio_days and bool(self.cardio_choices)
        return True

    def _fitted(
        self,
        kind: SessionKind,
        week: int,
        row: PlanTemplateWeek,
        level: float,
        day: date,
        room: float,
    ) -> PlanSession | None:
        """The session at this week's level, else at the low end, else with fewer items."""
        for try_level in (level, 0.0):
            session = self._session(kind, week, row, try_level, day)
            if session.minutes <= room:
                return session
        items = list(session.items)  # the low-end session, from the loop's last turn
        while items and _total(items) > room:
            items.pop()  # the least relevant item goes first: items are in priority order
        if not items or kind is SessionKind.cardio:
            return None
        return session.model_copy(update={"items": items, "minutes": _total(items)})

    # -- sessions

    def _session(
        self, kind: SessionKind, week: int, row: PlanTemplateWeek, level: float, day: date
    ) -> PlanSession:
        exercises = self._session_exercises(kind, week, day)
        key = (kind, week, level, tuple(exercise.slug for exercise in exercises))
        # Sessions are immutable and most days of a week repeat them: build each one once.
        cached = self._sessions_built.get(key)
        if cached is None:
            items = [self._item(exercise, kind, week, row, level) for exercise in exercises]
            cached = self._sessions_built[key] = PlanSession(
                kind=kind,
                start=self.settings.start_times[kind],
                minutes=_total(items),
                items=items,
                repeat_every_minutes=None,
                repeats=1,
            )
        return cached

    def _session_exercises(self, kind: SessionKind, week: int, day: date) -> list[ExercisePublic]:
        if kind is SessionKind.cardio:
            index = self._cardio_index(week, day)
            return [self.catalogue.by_slug[self.cardio_choices[index % len(self.cardio_choices)]]]
        if kind is SessionKind.mind_body:
            slugs = self.sessions[kind].exercises
            return [self.catalogue.by_slug[slugs[day.toordinal() % len(slugs)]]]
        if kind is SessionKind.strength:
            slugs = self._strength_slugs(week)
        else:
            slugs = list(self.sessions[kind].exercises)
        # A substitute is never something already planned, nor one the table has replaced.
        taken = set(slugs) | self._replaced(slugs)
        chosen: list[ExercisePublic] = []
        for slug in slugs:
            usable = self._usable(self.catalogue.by_slug[slug], kind, taken)
            if usable is not None:
                taken.add(usable.slug)
                chosen.append(usable)
        return self._by_priority(chosen)

    def _replaced(self, slugs: Iterable[str]) -> set[str]:
        return {
            regression for slug in slugs for regression in self.catalogue.by_slug[slug].regressions
        }

    def _cardio_index(self, week: int, day: date) -> int:
        """Alternate the chosen cardio across the plan's cardio days."""
        return (week - 1) * len(self.cardio_days) + sorted(
            self.cardio_days, key=WEEKDAYS.index
        ).index(WEEKDAYS[day.weekday()])

    def _strength_slugs(self, week: int) -> list[str]:
        """Strength exercises the table has introduced by this week (PG-1), progressions
        replacing what they progress (PG-7)."""
        table_week = week - self.strength_delay
        strength = set(self.sessions[SessionKind.strength].exercises)
        first = self._first_week_adding(SessionKind.strength)
        slugs: list[str] = []
        # Only rows from the one that adds strength: earlier rows feature the squat as a
        # micro-break, and the table adds "squats" to strength in week 3.
        for row in self.template[first - 1 : table_week]:
            for slug in row.featured_exercises:
                if slug in strength and slug not in slugs:
                    slugs.append(slug)
        progressed = self._replaced(slugs) & set(slugs)
        if progressed and week == self._progression_week():
            self._note("PG-7", self.settings.rules["PG-7"])
        return [slug for slug in slugs if slug not in progressed]

    def _progression_week(self) -> int:
        return 5 + self.strength_delay

    def _usable(
        self, exercise: ExercisePublic, kind: SessionKind, taken: set[str]
    ) -> ExercisePublic | None:
        """The exercise, or a same-session substitute that needs nothing missing (PG-3)."""
        if _has_equipment(exercise, self.available):
            return exercise
        candidates = [
            other
            for other in self.catalogue.exercises
            if kind in other.sessions
            and other.slug not in taken
            and _has_equipment(other, self.available)
            and set(other.targets) & set(exercise.targets)
        ]
        needs = " or ".join(item.value.replace("_", " ") for item in exercise.equipment)
        if not candidates:
            self._note("PG-3", f"{exercise.name} is left out: it needs {needs}.")
            return None
        substitute = max(candidates, key=lambda o: len(set(o.targets) & set(exercise.targets)))
        self._note("PG-3", f"{exercise.name} needs {needs}: {substitute.name} takes its place.")
        return substitute

    def _by_priority(self, exercises: list[ExercisePublic]) -> list[ExercisePublic]:
        """PG-2: exercises for the findings' target areas first; otherwise the guide's order."""
        return sorted(
            exercises, key=lambda e: -sum(self.target_weight.get(t, 0) for t in e.targets)
        )

    def _micro_break_repeats(self) -> int:
        """Breaks that fall inside the working hours, one every interval after the start."""
        return self.request.working_hours.minutes // self.settings.micro_break_interval_minutes

    def _micro_breaks(self, week: int, row: PlanTemplateWeek) -> PlanSession:
        hours = self.request.working_hours
        interval = self.settings.micro_break_interval_minutes
        repeats = self._micro_break_repeats()
        movements = self._session_exercises(SessionKind.micro_break, week, self.request.start_date)
        # Each break stays at the guide's "under one minute" low end whatever the week.
        items = [self._item(e, SessionKind.micro_break, week, row, 0.0) for e in movements]
        per_break = max(_item_minutes(item) for item in items)
        first = (datetime.combine(date.min, hours.start) + timedelta(minutes=interval)).time()
        return PlanSession(
            kind=SessionKind.micro_break,
            start=first,
            minutes=round(per_break * repeats, 2),
            items=items,
            repeat_every_minutes=interval,
            repeats=repeats,
        )

    # -- items

    def _item(
        self,
        exercise: ExercisePublic,
        kind: SessionKind,
        week: int,
        row: PlanTemplateWeek,
        level: float,
    ) -> PlanItem:
        finding = self._finding_for(exercise)
        side = finding.side if finding and exercise.dose.per_side else None
        if finding:
            why = Why(
                rule_id="PG-2",
                week_focus=row.focus,
                finding=finding.code,
                text=f"Works {_areas(exercise.targets, finding.targets)}: {finding.summary}",
            )
        else:
            why = Why(
                rule_id="PG-1",
                week_focus=row.focus,
                finding=None,
                text=f"Part of the {SESSION_NAMES[kind]} the plan has included since week "
                f"{self._since(kind)}.",
            )
        return PlanItem(
            slug=exercise.slug,
            name=exercise.name,
            dose=self._dose(exercise, level),
            extra_volume_side=side,
            extra_volume_dose=self._dose(exercise, 1.0) if side else None,
            why=why,
        )

    def _since(self, kind: SessionKind) -> int:
        if kind is SessionKind.strength:
            return self._first_week_adding(kind) + self.strength_delay
        if kind is SessionKind.mind_body and self.gentle:
            return 1
        return self._first_week_adding(kind)

    def _finding_for(self, exercise: ExercisePublic) -> PlanFinding | None:
        """The finding this exercise serves; one with a side first, whatever the order given."""
        serving = [f for f in self.outcome.findings if set(f.targets) & set(exercise.targets)]
        return next((f for f in serving if f.side is not None), serving[0] if serving else None)

    def _dose(self, exercise: ExercisePublic, level: float) -> ItemDose:
        dose = exercise.dose
        sets = _at(dose.sets, level)
        reps = _at(dose.reps, level)
        hold = _at(dose.hold_seconds, level)
        minutes = self._minutes(exercise, level)
        return ItemDose(
            sets=sets,
            reps=reps,
            per_side=dose.per_side,
            hold_seconds=hold,
            minutes=minutes,
            text=_dose_text(sets, reps, hold, dose.per_side, minutes, exercise),
        )

    def _minutes(self, exercise: ExercisePublic, level: float) -> float:
        duration = exercise.dose.duration_minutes
        return round(duration.minimum + (duration.maximum - duration.minimum) * level, 2)

    # -- adjustments

    def _note(self, rule_id: str, text: str) -> None:
        self._adjustments.setdefault(f"{rule_id}:{text}", Adjustment(rule_id=rule_id, text=text))

    def adjustments(self) -> list[Adjustment]:
        return list(self._adjustments.values())


# --- small helpers -----------------------------------------------------------------------------


def _at(value_range: Range | None, level: float) -> int | None:
    if value_range is None:
        return None
    return math.floor(
        value_range.minimum + (value_range.maximum - value_range.minimum) * level + 0.5
    )


def _dose_text(
    sets: int | None,
    reps: int | None,
    hold: int | None,
    per_side: bool,
    minutes: float,
    exercise: ExercisePublic,
) -> str:
    parts = []
    if reps:
        parts.append(f"{sets}×{reps}" if sets else f"{reps} reps")
    if hold:
        parts.append(f"{sets}× hold {hold} s" if sets and not reps else f"hold {hold} s")
    if not (reps or hold) or exercise.category in ("cardio", "breathing"):
        parts.append(f"{minutes:g} min")
    if per_side:
        parts.append("per side")
    return " ".join(parts)


def _has_equipment(exercise: ExercisePublic, available: Iterable[Equipment]) -> bool:
    return not exercise.equipment or bool(set(exercise.equipment) & set(available))


def _target_weights(findings: Iterable[PlanFinding]) -> dict[Target, int]:
    weights: dict[Target, int] = {}
    for finding in findings:
        for target in finding.targets:
            weights[target] = weights.get(target, 0) + 1
    return weights


def _never_consecutive(days: Sequence[Weekday]) -> bool:
    indexes = sorted(WEEKDAYS.index(day) for day in days)
    if len(indexes) < 2:
        return True
    gaps = [b - a for a, b in itertools.pairwise(indexes)] + [indexes[0] + 7 - indexes[-1]]
    return min(gaps) > 1


def _spacing(days: Iterable[Weekday]) -> tuple[int, int]:
    """Prefer the most even spread, then the earliest days (deterministic)."""
    indexes = sorted(WEEKDAYS.index(day) for day in days)
    gaps = [b - a for a, b in itertools.pairwise(indexes)] + [indexes[0] + 7 - indexes[-1]]
    return (min(gaps), -sum(indexes))


def _total(items: Iterable[PlanItem]) -> float:
    return round(sum(_item_minutes(item) for item in items), 2)


def _item_minutes(item: PlanItem) -> float:
    """One side at the item's dose, the other (the extra-volume side) at its own."""
    if item.extra_volume_dose is None:
        return item.dose.minutes
    return (item.dose.minutes + item.extra_volume_dose.minutes) / 2


def _has(day: PlanDay, kind: SessionKind) -> bool:
    return any(session.kind is kind for session in day.sessions)


def _areas(targets: Iterable[Target], finding_targets: Iterable[Target]) -> str:
    shared = [t.value.replace("_", " ") for t in targets if t in set(finding_targets)]
    return " and ".join(shared)
