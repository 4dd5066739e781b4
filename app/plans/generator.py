"""Plan generation: plan options + the assessment outcome + catalogue in, an 8-week plan out.

Pure: no database, no FastAPI, no files, no clock. Every layout choice is a rule with an id
(PG-1 to PG-11; texts and sources in ``data/generator.yaml``, passed in as settings); the
guide's own numbers (doses, frequencies and the 8-week table) come from the catalogue. The same
options, outcome, catalogue and settings give the same plan, byte for byte.

How a plan is made:

1. triage first (PG-8): emergency or urgent refuses; see_professional keeps to gentle sessions;
2. each week asks for the table's sessions (PG-1), less what triage or pain holds back (PG-6);
3. a session's content is fixed for the week: the exercises the table has introduced, at hand
   (PG-3), made gentler where a self-test was painful (PG-9), ordered by the findings (PG-2) and
   dosed at the week's level (PG-7, PG-10);
4. the sessions are laid out on the days (PG-5) and kept in priority order while the minutes
   allow (PG-4); every session that does not fit is cut and named.
"""

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from app.assessments import TestName, Triage, TriageLevel
from app.catalogue import (
    Category,
    ExercisePublic,
    Guidance,
    PlanTemplateWeek,
    Range,
    SessionKind,
    Side,
    Target,
)
from app.core.versioning import content_hash
from app.plans.schemas import (
    Adjustment,
    Cardio,
    CutReason,
    HabitFocus,
    ItemDose,
    KindTally,
    Plan,
    PlanAssessment,
    PlanDay,
    PlanExercise,
    PlanItem,
    PlanOptions,
    PlanSession,
    PlanWeek,
    Retest,
    SessionCut,
    Weekday,
    WeekSummary,
    Why,
    session_id,
)
from app.plans.settings import WEEKS, GeneratorSettings, WeekLevels

WEEKDAYS = list(Weekday)
CARDIO_SLUGS = {Cardio.walking: "walking", Cardio.cycling: "cycling"}
SESSION_NAMES = {
    SessionKind.morning_mobility: "morning mobilisation",
    SessionKind.micro_break: "micro-breaks",
    SessionKind.strength: "strength",
    SessionKind.cardio: "cardio",
    SessionKind.evening_flexibility: "evening flexibility & release",
    SessionKind.mind_body: "mind-body",
}
LOW_END = WeekLevels(volume=0.0, holds=0.0, heavier_load=False)
# Sessions that fall on the chosen training days rather than every day.
TRAINING_DAY_KINDS = frozenset({SessionKind.strength, SessionKind.cardio})
# Floating-point sums of minutes are compared with this much slack.
EPSILON = 1e-9


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
    stiff: bool  # restricted, tighter or limited: a side that may take extra volume
    # The per-side exercises whose sides are this test's sides (PM-1): where extra volume goes.
    sided_exercises: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PainfulMovement:
    """A self-test that was painful, and the exercises that repeat its movement (PM-1)."""

    finding: str
    summary: str
    sides: frozenset[Side]  # empty for a test not done per side (the bridge)
    exercises: frozenset[str]
    sided: frozenset[str]  # the exercises whose per-side work loads the test's side

    @property
    def one_side(self) -> Side | None:
        return next(iter(self.sides)) if len(self.sides) == 1 else None


@dataclass(frozen=True)
class Outcome:
    """The assessment as the plan uses it."""

    assessment: PlanAssessment
    findings: tuple[PlanFinding, ...] = ()
    painful_movements: tuple[PainfulMovement, ...] = ()


class PlanRefused(Exception):
    """Emergency or urgent triage: no plan (PG-8)."""

    def __init__(self, triage: Triage) -> None:
        super().__init__(triage.advice)
        self.triage = triage


class NotEnoughTime(Exception):
    def __init__(self, minimum_minutes: int) -> None:
        super().__init__(f"at least {minimum_minutes} minutes a day are needed")
        self.minimum_minutes = minimum_minutes


@dataclass(frozen=True)
class Versions:
    ruleset: str
    generator: str


def input_hash(request: object) -> str:
    return content_hash(request)


def generate(
    options: PlanOptions,
    outcome: Outcome,
    *,
    catalogue: PlanCatalogue,
    settings: GeneratorSettings,
    versions: Versions,
    request_hash: str,
) -> Plan:
    triage = outcome.assessment.triage
    if triage.level.blocks_exercise:
        raise PlanRefused(triage)
    table = PersonalisedTable(options, outcome, catalogue, settings)
    weeks = [table.week(number) for number in range(1, WEEKS + 1)]
    return Plan(
        dataset_version=catalogue.version,
        ruleset_version=versions.ruleset,
        generator_version=versions.generator,
        input_hash=request_hash,
        inputs=options,
        assessment=outcome.assessment,
        adjustments=table.adjustments(),
        cuts=table.cuts,
        minutes_per_day_for_full_plan=table.minutes_for_full_plan(weeks),
        stop_rule=settings.stop_rule,
        exercises=_exercises_used(weeks, catalogue),
        weeks=weeks,
    )


# --- the personalised table --------------------------------------------------------------------


@dataclass(frozen=True)
class _Chosen:
    """An exercise chosen for a session, and how PG-9 made it gentler, if it did."""

    exercise: ExercisePublic
    gentler_side: Side | None = None
    low_end: bool = False
    caution: str | None = None


@dataclass(frozen=True)
class _Session:
    """A session's content, before it is placed on a day and given that day's id; most days
    of a week share one."""

    kind: SessionKind
    start: time
    minutes: float
    items: tuple[PlanItem, ...]
    repeat_every_minutes: int | None = None
    repeats: int = 1

    def on(self, day: date, number: int) -> PlanSession:
        """The session on ``day``, the ``number``-th of its kind that day."""
        return PlanSession(
            id=session_id(day, self.kind, number),
            kind=self.kind,
            start=self.start,
            minutes=self.minutes,
            items=list(self.items),
            repeat_every_minutes=self.repeat_every_minutes,
            repeats=self.repeats,
        )


@dataclass
class _WeekLayout:
    """The sessions on each day of one week, and the minutes each day has used."""

    budget: float
    sessions: dict[date, list[_Session]]

    def used(self, day: date) -> float:
        return sum(session.minutes for session in self.sessions[day])

    def fits(self, day: date, session: _Session) -> bool:
        return self.used(day) + session.minutes <= self.budget + EPSILON

    def has(self, day: date, kind: SessionKind) -> bool:
        return any(session.kind is kind for session in self.sessions[day])

    def add(self, day: date, session: _Session) -> None:
        self.sessions[day].append(session)


@dataclass(frozen=True)
class _Placed:
    """How many sessions of one kind a week holds, and how many its days could hold at all."""

    scheduled: int
    days_allow: int


class PersonalisedTable:
    """The guide's 8-week table personalised for one person: what each week asks for, what
    each session holds, and how the sessions fit the days."""

    def __init__(
        self,
        options: PlanOptions,
        outcome: Outcome,
        catalogue: PlanCatalogue,
        settings: GeneratorSettings,
    ) -> None:
        self.options = options
        self.outcome = outcome
        self.catalogue = catalogue
        self.settings = settings
        self.template = catalogue.guidance.plan_template
        self.session_definitions = {s.kind: s for s in catalogue.guidance.sessions}
        self.available = set(options.equipment) | set(settings.always_at_hand)
        self.triage = outcome.assessment.triage
        self.pain = outcome.assessment.pain_now
        self.high_pain = self.pain >= settings.gentle_pain_from
        self.see_professional_first = self.triage.level is TriageLevel.see_professional
        self.gentle = self.high_pain or self.see_professional_first
        self.levels = settings.gentle_weeks if self.gentle else settings.weeks
        self.strength_delay = settings.gentle_strength_delay_weeks if self.gentle else 0
        self.target_weight = _target_weights(outcome.findings)
        self.cuts: list[SessionCut] = []
        self._notes: dict[str, Adjustment] = {}
        self._built: dict[tuple[object, ...], _Session] = {}
        self._last_strength_day: date | None = None
        self._note_why_the_plan_is_gentler()
        minimum = self._minimum_minutes()
        if options.minutes_per_day < minimum:
            raise NotEnoughTime(minimum)

    # -- notes

    def _note(self, rule_id: str, text: str) -> None:
        self._notes.setdefault(f"{rule_id}:{text}", Adjustment(rule_id=rule_id, text=text))

    def adjustments(self) -> list[Adjustment]:
        return list(self._notes.values())

    def _note_why_the_plan_is_gentler(self) -> None:
        if self.see_professional_first:
            reasons = " ".join(reason.text for reason in self.triage.reasons)
            self._note(
                "PG-8",
                f"Triage see_professional: {reasons} Until a professional has assessed you, the "
                "plan keeps to gentle mobility, breathing and the daily habits, at the low end "
                "for longer; strength and cardio are held back.",
            )
        if self.high_pain:
            self._note(
                "PG-6",
                f"Your pain of {self.pain} out of 10 ({self.settings.gentle_pain_from} or more) "
                "starts the plan gentler: doses stay at the low end for longer and breathing "
                "practice comes from week 1"
                + (
                    ""
                    if self.see_professional_first
                    else f"; strength starts in week {self._first_strength_week()}"
                )
                + ".",
            )

    # -- one week

    def week(self, number: int) -> PlanWeek:
        row = self.template[number - 1]
        days = self._days_of(number)
        wanted = self._wanted(number)
        layout = self._lay_out(number, days, wanted, budget=self.options.minutes_per_day)
        tallies = [
            KindTally(
                kind=kind,
                wanted=wanted[kind],
                scheduled=sum(layout.has(day, kind) for day in days),
            )
            for kind in self.settings.keep_first
            if wanted[kind]
        ]
        plan_days = [self._plan_day(day, layout.sessions[day]) for day in days]
        habits = {habit.slug: habit for habit in self.catalogue.guidance.habits}
        return PlanWeek(
            week=number,
            focus=row.focus,
            frequency=row.frequency.text,
            source_section=row.source_section,
            care_advice=self._care_advice(),
            habit_focus=[
                HabitFocus(slug=slug, name=habits[slug].name, tips=habits[slug].tips)
                for slug in row.habit_focus
            ],
            safety_rules=[rule.rule for rule in self.catalogue.guidance.safety_rules],
            summary=WeekSummary(
                minutes=round(sum(day.minutes for day in plan_days), 2),
                sessions=sum(len(day.sessions) for day in plan_days),
                strength_days=sum(layout.has(day, SessionKind.strength) for day in days),
                cardio_days=sum(layout.has(day, SessionKind.cardio) for day in days),
                table=tallies,
            ),
            retest=self._retest(number, days[0]),
            days=plan_days,
        )

    def _retest(self, week: int, first_day: date) -> Retest | None:
        if week not in self.settings.retest_weeks:
            return None
        return Retest(
            rule_id="PG-11",
            date=first_day,
            tests=list(TestName),
            text=self.settings.retest_text,
        )

    def _days_of(self, week: int) -> list[date]:
        first = self.options.start_date + timedelta(days=(week - 1) * 7)
        return [first + timedelta(days=offset) for offset in range(7)]

    def _plan_day(self, day: date, sessions: list[_Session]) -> PlanDay:
        ordered = sorted(sessions, key=lambda s: (s.start, list(SessionKind).index(s.kind)))
        seen: dict[SessionKind, int] = {}
        placed = []
        for session in ordered:
            seen[session.kind] = seen.get(session.kind, 0) + 1
            placed.append(session.on(day, seen[session.kind]))
        return PlanDay(
            date=day,
            weekday=_weekday(day),
            minutes=round(sum(session.minutes for session in ordered), 2),
            sessions=placed,
        )

    def _care_advice(self) -> str | None:
        if not self.see_professional_first:
            return None
        reasons = " ".join(reason.text for reason in self.triage.reasons)
        return f"{self.triage.advice} Why: {reasons}"

    # -- what each week asks for (PG-1)

    def _wanted(self, week: int) -> dict[SessionKind, int]:
        """Sessions of each kind the table asks for this week, with a gentle plan's additions."""
        active = {kind for row in self.template[:week] for kind in row.adds_sessions}
        if self.gentle:
            active |= set(self.settings.gentle_sessions_from_week_1)
        return {kind: self._times_per_week(kind) if kind in active else 0 for kind in SessionKind}

    def _times_per_week(self, kind: SessionKind) -> int:
        if kind is SessionKind.micro_break:
            return len(self.options.working_days) if self._micro_break_repeats() else 0
        frequency = self.session_definitions[kind].frequency.times_per_week
        return int(frequency.minimum) if frequency else 7

    def _held_back(self, kind: SessionKind, week: int) -> tuple[CutReason, str] | None:
        """Why triage or pain keeps a whole kind of session out of this week, if they do."""
        if self.see_professional_first and kind not in self.settings.see_professional_sessions:
            return CutReason.triage, "triage see_professional: see a professional first (PG-8)"
        if kind is SessionKind.strength and week < self._first_strength_week():
            return (
                CutReason.pain,
                f"your pain of {self.pain} out of 10 starts strength in week "
                f"{self._first_strength_week()} (PG-6)",
            )
        return None

    def _first_strength_week(self) -> int:
        return self._first_week_adding(SessionKind.strength) + self.strength_delay

    def _first_week_adding(self, kind: SessionKind) -> int:
        return next(row.week for row in self.template if kind in row.adds_sessions)

    def _first_week_of(self, kind: SessionKind) -> int:
        """The week a session first appears in this plan."""
        if kind is SessionKind.strength:
            return self._first_strength_week()
        if self.gentle and kind in self.settings.gentle_sessions_from_week_1:
            return 1
        return self._first_week_adding(kind)

    # -- laying a week out on its days (PG-4, PG-5)

    def _lay_out(
        self, week: int, days: list[date], wanted: Mapping[SessionKind, int], *, budget: float
    ) -> _WeekLayout:
        """Every kind in the order sessions are kept, each on the days it may fall on while the
        day's minutes allow; what the table asks for and the week cannot hold becomes a cut
        (only for the real budget: the unlimited one measures the full plan)."""
        layout = _WeekLayout(budget=budget, sessions={day: [] for day in days})
        counting = not math.isinf(budget)
        for kind in self.settings.keep_first:
            if not wanted[kind]:
                continue
            held_back = self._held_back(kind, week)
            if held_back is not None:
                if counting:
                    self._cut(week, kind, wanted[kind], wanted[kind], *held_back)
                continue
            placed = self._place(kind, week, days, wanted[kind], layout)
            if counting:
                self._cut_what_did_not_fit(week, kind, wanted[kind], placed)
        return layout

    def _place(
        self,
        kind: SessionKind,
        week: int,
        days: list[date],
        wanted: int,
        layout: _WeekLayout,
    ) -> _Placed:
        eligible = [day for day in days if self._may_fall_on(kind, day)]
        sessions = {day: self._fitting_session(kind, week, day, layout) for day in eligible}
        if any(not session.items for session in sessions.values()):
            return _Placed(scheduled=0, days_allow=0)  # nothing at hand for it: an equipment cut
        fitting = [day for day in eligible if layout.fits(day, sessions[day])]
        # What the days allow with unlimited minutes, and the days the minutes allow.
        possible = self._days_for(kind, eligible, wanted, layout)
        chosen = self._days_for(kind, fitting, wanted, layout)
        if kind is SessionKind.strength:
            self._last_strength_day = max(chosen, default=None)
        for day in chosen:
            layout.add(day, sessions[day])
        shortened = [day for day in chosen if sessions[day] != self._session(kind, week, day)]
        if shortened and not math.isinf(layout.budget):
            self._note_shortened(kind, week, sessions[shortened[0]], len(shortened))
        return _Placed(scheduled=len(chosen), days_allow=len(possible))

    def _days_for(
        self, kind: SessionKind, candidates: list[date], wanted: int, layout: _WeekLayout
    ) -> list[date]:
        """The days among ``candidates`` that get a session of ``kind``: strength on spaced,
        never consecutive days; cardio on days without strength first (a strength day is
        shared only when needed); every other kind on each candidate day."""
        if kind is SessionKind.strength:
            return self._strength_days(candidates, wanted)
        if kind is SessionKind.cardio:
            return sorted(
                candidates, key=lambda day: (layout.has(day, SessionKind.strength), _index(day))
            )[:wanted]
        return candidates

    def _fitting_session(
        self, kind: SessionKind, week: int, day: date, layout: _WeekLayout
    ) -> _Session:
        """The session at the week's dose; for a kind whose table row gives a range of minutes
        (cardio's 20–30), at the range's low end when only that fits the day (PG-4). Never
        holds or loads: week 7's challenge holds on busy days too."""
        session = self._session(kind, week, day)
        if kind in self.settings.shorten_to_fit and not layout.fits(day, session):
            shorter = self._session(kind, week, day, levels=LOW_END)
            if layout.fits(day, shorter):
                return shorter
        return session

    def _note_shortened(self, kind: SessionKind, week: int, shorter: _Session, days: int) -> None:
        self._note(
            "PG-4",
            f"Week {week}: {SESSION_NAMES[kind]} is {shorter.minutes:g} minutes, the low end of "
            f"the table's range, on {days} day(s), so it fits {self.options.minutes_per_day} "
            "minutes a day.",
        )

    def _may_fall_on(self, kind: SessionKind, day: date) -> bool:
        weekday = _weekday(day)
        if kind is SessionKind.micro_break:
            return weekday in self.options.working_days
        if kind in TRAINING_DAY_KINDS:
            return weekday in self.options.training_days
        return True

    def _strength_days(self, candidates: list[date], wanted: int) -> list[date]:
        """The most evenly spread days, never two in a row (this week's, or across the start
        of the week after the last strength day placed)."""
        for size in range(min(wanted, len(candidates)), 0, -1):
            spaced = [
                combination
                for combination in itertools.combinations(candidates, size)
                if _never_consecutive(combination) and not self._follows_last_strength(combination)
            ]
            if spaced:
                return sorted(max(spaced, key=_spacing))
        return []

    def _follows_last_strength(self, days: Sequence[date]) -> bool:
        last = self._last_strength_day
        return last is not None and any(day - last == timedelta(days=1) for day in days)

    def _cut_what_did_not_fit(
        self, week: int, kind: SessionKind, wanted: int, placed: _Placed
    ) -> None:
        if placed.days_allow == 0 and wanted:
            self._cut(week, kind, wanted, wanted, CutReason.equipment, "nothing for it is at hand")
            return
        if placed.days_allow < wanted:
            self._cut(
                week,
                kind,
                wanted,
                wanted - placed.days_allow,
                CutReason.training_days,
                self._training_days_reason(kind, placed.days_allow),
            )
        if placed.scheduled < placed.days_allow:
            self._cut(
                week,
                kind,
                wanted,
                placed.days_allow - placed.scheduled,
                CutReason.minutes,
                f"{self.options.minutes_per_day} minutes a day cannot hold it beside the day's "
                "other sessions (PG-4)",
            )

    def _training_days_reason(self, kind: SessionKind, allowed: int) -> str:
        chosen = ", ".join(day.value for day in sorted(self.options.training_days, key=_order))
        if kind is SessionKind.strength:
            return f"the training days ({chosen}) hold only {allowed} without two in a row (PG-5)"
        return f"only {len(self.options.training_days)} training days were chosen ({chosen})"

    def _cut(
        self, week: int, kind: SessionKind, wanted: int, count: int, reason: CutReason, why: str
    ) -> None:
        self.cuts.append(
            SessionCut(
                week=week,
                kind=kind,
                wanted=wanted,
                cut=count,
                reason=reason,
                text=f"Week {week}: {SESSION_NAMES[kind]} {count} of {wanted} sessions cut: {why}.",
            )
        )

    # -- minutes

    def _minimum_minutes(self) -> int:
        """The daily essentials at every week's dose: without these minutes there is no plan."""
        most = 0.0
        for week in range(1, WEEKS + 1):
            for day in self._days_of(week):
                essentials = [
                    self._session(kind, week, day)
                    for kind in self.settings.essentials
                    if self._wanted(week)[kind] and self._may_fall_on(kind, day)
                ]
                most = max(most, sum(session.minutes for session in essentials))
        return _whole_minutes(most)

    def minutes_for_full_plan(self, weeks: Sequence[PlanWeek]) -> int:
        """What this plan takes on its longest day, or, when time forced cuts, what the plan
        laid out with unlimited time takes on its longest day (with that many minutes a day
        nothing is cut for lack of time)."""
        if not any(cut.reason is CutReason.minutes for cut in self.cuts):
            return _whole_minutes(max(day.minutes for week in weeks for day in week.days))
        self._last_strength_day = None
        longest = 0.0
        for number in range(1, WEEKS + 1):
            days = self._days_of(number)
            layout = self._lay_out(number, days, self._wanted(number), budget=math.inf)
            longest = max(longest, *(layout.used(day) for day in days))
        return _whole_minutes(longest)

    # -- one session's content (PG-2, PG-3, PG-9)

    def _session(
        self, kind: SessionKind, week: int, day: date, *, levels: WeekLevels | None = None
    ) -> _Session:
        """The session on this day at the week's levels, or at ``levels`` when given."""
        if kind is SessionKind.micro_break:
            return self._micro_breaks(week)
        levels = levels or self._levels(kind, week)
        chosen = self._session_exercises(kind, week, day)
        key = (kind, week, levels, *map(_choice_key, chosen))
        # Sessions are immutable and most days of a week repeat them: build each one once.
        built = self._built.get(key)
        if built is None:
            items = [self._item(choice, kind, week, levels) for choice in chosen]
            built = self._built[key] = _Session(
                kind=kind,
                start=self.settings.start_times[kind],
                minutes=items_minutes(items),
                items=tuple(items),
            )
        return built

    def _session_exercises(self, kind: SessionKind, week: int, day: date) -> list[_Chosen]:
        """The session's exercises this week: each at hand or replaced (PG-3), made gentler
        where a test was painful (PG-9), then in the findings' order (PG-2)."""
        slugs = self._planned_slugs(kind, week, day)
        # A replacement is never something already planned, nor what the table has replaced.
        taken = set(slugs) | self._replaced(slugs)
        chosen: list[_Chosen] = []
        for slug in slugs:
            exercise = self._at_hand(self.catalogue.by_slug[slug], kind, week, taken)
            choice = None if exercise is None else self._pain_free(exercise, kind, week, taken)
            if choice is not None:
                taken.add(choice.exercise.slug)
                chosen.append(choice)
        return sorted(chosen, key=lambda c: -self._relevance(c.exercise))

    def _planned_slugs(self, kind: SessionKind, week: int, day: date) -> list[str]:
        """What the guide plans for this session this week, before anything personal."""
        if kind is SessionKind.strength:
            return self._strength_slugs(week)
        if kind is SessionKind.cardio:
            choices = [CARDIO_SLUGS[choice] for choice in self.options.cardio]
            return [choices[day.toordinal() % len(choices)]]
        slugs = self.session_definitions[kind].exercises
        if kind is SessionKind.mind_body:  # either practice, alternating by day
            return [slugs[day.toordinal() % len(slugs)]]
        return list(slugs)

    def _strength_slugs(self, week: int) -> list[str]:
        """Strength exercises the table has introduced by this week (PG-1), a progression
        replacing what it progresses from the week the table features it (PG-7)."""
        strength = set(self.session_definitions[SessionKind.strength].exercises)
        slugs: list[str] = []
        # Only rows from the one that adds strength: earlier rows feature the squat as a
        # micro-break, and the table adds "squats" to strength in week 3.
        first = self._first_week_adding(SessionKind.strength)
        for row in self.template[first - 1 : self._table_week(SessionKind.strength, week)]:
            slugs += [slug for slug in row.featured_exercises if slug in strength]
        progressed = self._replaced(slugs) & set(slugs)
        if progressed and week == self._table_week_to_plan_week(5):
            self._note("PG-7", self.settings.rule("PG-7"))
        return list(dict.fromkeys(slug for slug in slugs if slug not in progressed))

    def _table_week(self, kind: SessionKind, week: int) -> int:
        """The table's week this plan week follows for ``kind`` (strength may start later)."""
        return week - self.strength_delay if kind is SessionKind.strength else week

    def _table_week_to_plan_week(self, table_week: int) -> int:
        return table_week + self.strength_delay

    def _replaced(self, slugs: Iterable[str]) -> set[str]:
        return {
            regression for slug in slugs for regression in self.catalogue.by_slug[slug].regressions
        }

    def _introduced_by(self, exercise: ExercisePublic, kind: SessionKind, week: int) -> bool:
        """Whether the table has brought the exercise in by this week: the first row that
        features it, or else the row that adds the session."""
        featuring = [row.week for row in self.template if exercise.slug in row.featured_exercises]
        if kind is SessionKind.strength:
            featuring = [w for w in featuring if w >= self._first_week_adding(kind)]
        first = min(featuring, default=self._first_week_adding(kind))
        return first <= self._table_week(kind, week)

    def _at_hand(
        self, exercise: ExercisePublic, kind: SessionKind, week: int, taken: set[str]
    ) -> ExercisePublic | None:
        """The exercise, or a same-session exercise that needs nothing missing and that the
        table has already introduced (PG-3)."""
        if self._has_equipment(exercise):
            return exercise
        needs = " or ".join(item.value.replace("_", " ") for item in exercise.equipment)
        substitute = self._substitute(exercise, kind, week, taken)
        if substitute is None:
            self._note("PG-3", f"{exercise.name} is left out: it needs {needs}.")
            return None
        self._note("PG-3", f"{exercise.name} needs {needs}: {substitute.name} takes its place.")
        return substitute

    def _substitute(
        self, exercise: ExercisePublic, kind: SessionKind, week: int, taken: set[str]
    ) -> ExercisePublic | None:
        """A pain-free exercise of the same session for the same areas, already introduced."""
        candidates = [
            other
            for other in self.catalogue.exercises
            if kind in other.sessions
            and other.slug not in taken
            and self._has_equipment(other)
            and self._introduced_by(other, kind, week)
            and not self._painful_movements_of(other)
            and set(other.targets) & set(exercise.targets)
        ]
        return max(
            candidates,
            key=lambda other: len(set(other.targets) & set(exercise.targets)),
            default=None,
        )

    def _has_equipment(self, exercise: ExercisePublic) -> bool:
        return not exercise.equipment or bool(set(exercise.equipment) & self.available)

    # -- painful movements (PG-9)

    def _painful_movements_of(self, exercise: ExercisePublic) -> list[PainfulMovement]:
        return [m for m in self.outcome.painful_movements if exercise.slug in m.exercises]

    def _pain_free(
        self, exercise: ExercisePublic, kind: SessionKind, week: int, taken: set[str]
    ) -> _Chosen | None:
        """The exercise as PG-9 allows it where it repeats a painful test: its pain-free
        regression, or gentler on the painful side, or at the low end, or left out."""
        movements = self._painful_movements_of(exercise)
        if not movements:
            return _Chosen(exercise)
        summaries = "; ".join(m.summary.rstrip(".") for m in movements)
        regression = self._pain_free_regression(exercise)
        if regression is not None:
            return _Chosen(
                regression,
                caution=f"{regression.name} in place of {exercise.name}, whose movement was "
                f"painful ({summaries}) (PG-9).",
            )
        sides = {side for m in movements for side in m.sides}
        every_movement_one_sided = all(m.one_side is not None for m in movements)
        if every_movement_one_sided and len(sides) == 1:
            (side,) = sides
            if all(exercise.slug in m.sided for m in movements):
                return _Chosen(
                    exercise,
                    gentler_side=side,
                    caution=f"Gentler on the {side.value} side: {summaries}. Keep that side to "
                    "a pain-free range at the low end of the dose, and skip it if it hurts "
                    "(PG-9).",
                )
            return _Chosen(
                exercise,
                low_end=True,
                caution=f"Kept at the low end of the dose: {summaries}. Stay in a pain-free "
                "range and skip it if it hurts (PG-9).",
            )
        return self._left_out(exercise, kind, week, taken, summaries)

    def _pain_free_regression(self, exercise: ExercisePublic) -> ExercisePublic | None:
        for slug in exercise.regressions:
            regression = self.catalogue.by_slug[slug]
            if self._has_equipment(regression) and not self._painful_movements_of(regression):
                return regression
        return None

    def _left_out(
        self,
        exercise: ExercisePublic,
        kind: SessionKind,
        week: int,
        taken: set[str],
        summaries: str,
    ) -> _Chosen | None:
        substitute = self._substitute(exercise, kind, week, taken)
        if substitute is None:
            self._note("PG-9", f"{exercise.name} is left out: {summaries}.")
            return None
        caution = f"In place of {exercise.name}, left out because {summaries} (PG-9)."
        self._note(
            "PG-9", f"{exercise.name} is left out: {summaries}; {substitute.name} takes its place."
        )
        return _Chosen(substitute, caution=caution)

    # -- items and doses (PG-2, PG-7, PG-10)

    def _relevance(self, exercise: ExercisePublic) -> int:
        """PG-2: how many findings point at the exercise's target areas."""
        return sum(self.target_weight.get(target, 0) for target in exercise.targets)

    def _levels(self, kind: SessionKind, week: int) -> WeekLevels:
        """The week's place in the guide's ranges; the low end in the session's first week."""
        levels = self.levels[week - 1]
        if week == self._first_week_of(kind):
            return levels.model_copy(update={"volume": 0.0, "holds": 0.0})
        return levels

    def _item(self, choice: _Chosen, kind: SessionKind, week: int, levels: WeekLevels) -> PlanItem:
        exercise = choice.exercise
        if choice.low_end:
            levels = LOW_END
        dose = self._dose(exercise, levels)
        extra_side = self._extra_volume_side(choice)
        extra_dose = self._dose(exercise, self._one_step_up(levels)) if extra_side else None
        if extra_dose is not None and _amount(extra_dose) == _amount(dose):  # at the top already
            extra_side, extra_dose = None, None
        row = self.template[week - 1]
        return PlanItem(
            slug=exercise.slug,
            name=exercise.name,
            dose=dose,
            extra_volume_side=extra_side,
            extra_volume_dose=extra_dose,
            gentler_side=choice.gentler_side,
            gentler_side_dose=self._dose(exercise, LOW_END) if choice.gentler_side else None,
            only_side=None,
            caution=choice.caution,
            why=self._why(exercise, kind, row),
        )

    def _extra_volume_side(self, choice: _Chosen) -> Side | None:
        """PG-2: the one stiff side, when it is not painful, of an exercise that works that
        side's movement, in a plan that is not gentle; none when both sides are stiff (no side
        difference) or the exercise is kept at the low end."""
        exercise = choice.exercise
        if self.gentle or choice.low_end or not exercise.dose.per_side:
            return None
        if SessionKind.micro_break in exercise.sessions:  # a break stays under one minute
            return None
        painful_sides = {side for m in self._painful_movements_of(exercise) for side in m.sides}
        stiff_sides = {
            finding.side
            for finding in self.outcome.findings
            if finding.stiff
            and finding.side is not None
            and exercise.slug in finding.sided_exercises
        }
        free = stiff_sides - painful_sides - {choice.gentler_side}
        return next(iter(free)) if len(stiff_sides) == 1 and len(free) == 1 else None

    def _one_step_up(self, levels: WeekLevels) -> WeekLevels:
        step = self.settings.extra_volume_step
        return levels.model_copy(
            update={
                "volume": min(1.0, levels.volume + step),
                "holds": min(1.0, levels.holds + step),
            }
        )

    def _why(self, exercise: ExercisePublic, kind: SessionKind, row: PlanTemplateWeek) -> Why:
        finding = self._finding_for(exercise)
        if finding is not None:
            return Why(
                rule_id="PG-2",
                week_focus=row.focus,
                finding=finding.code,
                text=f"Works {_areas(exercise.targets, finding.targets)}: {finding.summary}",
            )
        return Why(
            rule_id="PG-1",
            week_focus=row.focus,
            finding=None,
            text=f"Part of the {SESSION_NAMES[kind]} the plan has included since week "
            f"{self._first_week_of(kind)}.",
        )

    def _finding_for(self, exercise: ExercisePublic) -> PlanFinding | None:
        """The finding this exercise serves; one with a side first, whatever the order given."""
        serving = [f for f in self.outcome.findings if set(f.targets) & set(exercise.targets)]
        return next((f for f in serving if f.side is not None), serving[0] if serving else None)

    def _dose(self, exercise: ExercisePublic, levels: WeekLevels) -> ItemDose:
        load = None
        if exercise.slug in self.settings.loaded_exercises:
            guidance = self.settings.load_guidance
            load = guidance.heavier if levels.heavier_load else guidance.standard
        return item_dose(exercise, levels, load=load)

    # -- micro-breaks

    def _micro_break_repeats(self) -> int:
        """Breaks that fall inside the working hours, one every interval after the start."""
        return self.options.working_hours.minutes // self.settings.micro_break_interval_minutes

    def _micro_breaks(self, week: int) -> _Session:
        """One session of breaks through the working hours; each break is one movement, picked
        from the items, at the guide's "under one minute" whatever the week."""
        day = self._days_of(week)[0]
        chosen = self._session_exercises(SessionKind.micro_break, week, day)
        key = (SessionKind.micro_break, week, *map(_choice_key, chosen))
        built = self._built.get(key)
        if built is None:
            items = [
                self._item(choice, SessionKind.micro_break, week, LOW_END) for choice in chosen
            ]
            hours = self.options.working_hours
            interval = self.settings.micro_break_interval_minutes
            first = (datetime.combine(date.min, hours.start) + timedelta(minutes=interval)).time()
            per_break = max((item_minutes(item) for item in items), default=0.0)
            built = self._built[key] = _Session(
                kind=SessionKind.micro_break,
                start=first,
                minutes=round(per_break * self._micro_break_repeats(), 2),
                items=tuple(items),
                repeat_every_minutes=interval,
                repeats=self._micro_break_repeats(),
            )
        return built


def item_dose(exercise: ExercisePublic, levels: WeekLevels, *, load: str | None) -> ItemDose:
    """The exercise's dose at ``levels`` in the guide's ranges, holding ``load``."""
    dose = exercise.dose
    sets = _at(dose.sets, levels.volume)
    reps = _at(dose.reps, levels.volume)
    hold = _at(dose.hold_seconds, levels.holds)
    level_for_time = max(levels.volume, levels.holds) if hold else levels.volume
    duration = dose.duration_minutes
    minutes = round(duration.minimum + (duration.maximum - duration.minimum) * level_for_time, 2)
    return ItemDose(
        sets=sets,
        reps=reps,
        per_side=dose.per_side,
        hold_seconds=hold,
        minutes=minutes,
        load=load,
        text=_dose_text(sets, reps, hold, minutes, load, exercise),
    )


# --- small helpers -----------------------------------------------------------------------------


def _amount(dose: ItemDose) -> tuple[int | None, ...]:
    """What the person does, apart from the time it takes."""
    return (dose.sets, dose.reps, dose.hold_seconds)


def _choice_key(choice: _Chosen) -> tuple[object, ...]:
    return (choice.exercise.slug, choice.gentler_side, choice.low_end, choice.caution)


def _weekday(day: date) -> Weekday:
    return WEEKDAYS[day.weekday()]


def _order(weekday: Weekday) -> int:
    return WEEKDAYS.index(weekday)


def _index(day: date) -> int:
    return day.weekday()


def _at(value_range: Range | None, level: float) -> int | None:
    if value_range is None:
        return None
    return math.floor(
        value_range.minimum + (value_range.maximum - value_range.minimum) * level + 0.5
    )


def _duration(minutes: float) -> str:
    return f"{round(minutes * 60)} s" if minutes < 1 else f"{minutes:g} min"


def _dose_text(
    sets: int | None,
    reps: int | None,
    hold: int | None,
    minutes: float,
    load: str | None,
    exercise: ExercisePublic,
) -> str:
    per_side = exercise.dose.per_side
    parts = []
    if reps:
        parts.append(f"{sets}×{reps}" if sets else f"{reps} reps")
    if hold:
        parts.append(f"{sets}× hold {hold} s" if sets and not reps else f"hold {hold} s")
    if per_side and (reps or hold):
        parts.append("per side")
    if not (reps or hold) or exercise.category in (Category.cardio, Category.breathing):
        parts.append(_duration(minutes) + (", about half on each side" if per_side else ""))
    text = " ".join(parts)
    return f"{text}, with {load}" if load else text


def _target_weights(findings: Iterable[PlanFinding]) -> dict[Target, int]:
    weights: dict[Target, int] = {}
    for finding in findings:
        for target in finding.targets:
            weights[target] = weights.get(target, 0) + 1
    return weights


def _gaps(days: Iterable[date]) -> list[int]:
    """Days between consecutive weekdays of a weekly pattern, wrapping into the next week."""
    indexes = sorted(day.weekday() for day in days)
    return [b - a for a, b in itertools.pairwise(indexes)] + [indexes[0] + 7 - indexes[-1]]


def _never_consecutive(days: Sequence[date]) -> bool:
    return len(days) < 2 or min(_gaps(days)) > 1


def _spacing(days: Iterable[date]) -> tuple[int, int]:
    """Prefer the most even spread, then the earliest weekdays (deterministic)."""
    return (min(_gaps(days)), -sum(day.weekday() for day in days))


def items_minutes(items: Iterable[PlanItem]) -> float:
    """A session's minutes: every item done."""
    return round(sum(item_minutes(item) for item in items), 2)


def item_minutes(item: PlanItem) -> float:
    """A per-side item whose sides differ takes half of each side's time; one done on one side
    only (``only_side``), half its time."""
    if item.only_side is not None:
        return item.dose.minutes / 2
    other = item.extra_volume_dose or item.gentler_side_dose
    if other is None:
        return item.dose.minutes
    return (item.dose.minutes + other.minutes) / 2


def _whole_minutes(minutes: float) -> int:
    return math.ceil(round(minutes, 6))


def _areas(targets: Iterable[Target], finding_targets: Iterable[Target]) -> str:
    shared = [t.value.replace("_", " ") for t in targets if t in set(finding_targets)]
    return " and ".join(shared)


def _exercises_used(weeks: Sequence[PlanWeek], catalogue: PlanCatalogue) -> list[PlanExercise]:
    slugs = dict.fromkeys(
        item.slug
        for week in weeks
        for day in week.days
        for session in day.sessions
        for item in session.items
    )
    return [
        PlanExercise(
            slug=slug, name=catalogue.by_slug[slug].name, steps=catalogue.by_slug[slug].steps
        )
        for slug in slugs
    ]
