"""Pain-gated plan adaptation: the generated plan and the progress logs in, the adapted plan and
its changes out.

Pure: no database, no FastAPI, no files, no clock. The rules (AD-1 to AD-6; thresholds, reasons
and sources in ``data/adaptation.yaml``) are passed in. The same plan and logs always give the
same result: the logs are replayed in date order, and each changes only the days AFTER its
date, so days already gone are never rewritten.

How a day after a log is made from the generated plan's day:

1. the progression mode the logs have set (AD-2, AD-4, AD-5): ``table`` keeps the generated
   doses; ``held`` keeps no item harder than it was on the day the hold began (an exercise the
   table brings in later takes the held regression it progresses from, or the low end);
   ``stepped_back`` puts every item on its regression or the low end of the guide's range;
2. every sharp-pain swap so far (AD-3), in the order logged: the exercise leaves that side (or
   the session, when it is not done per side) and its replacement comes in at the low end;
3. relief movements first in the micro-break and evening rotation (AD-6).

Nothing here ever makes a day harder than the generated plan's day: a painful movement is
made gentler, never given more volume.
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import Enum
from typing import Protocol

from app.assessments import Triage
from app.catalogue import Difficulty, ExercisePublic, SessionKind, Side
from app.plans import (
    LOW_END,
    ItemDose,
    Plan,
    PlanDay,
    PlanExercise,
    PlanItem,
    PlanSession,
    PlanWeek,
    item_dose,
    item_minutes,
    items_minutes,
)
from app.progress.rules import AdaptationRules
from app.progress.schemas import ChangeKind, DatedLog, PlanChange

EPSILON = 1e-9
MAX_TEXT = 2000
_DIFFICULTY = {level: index for index, level in enumerate(Difficulty)}
_OTHER_SIDE = {Side.left: Side.right, Side.right: Side.left}


class AdaptationCatalogue(Protocol):
    """What adaptation needs from the catalogue: regressions and gentler exercises."""

    @property
    def exercises(self) -> tuple[ExercisePublic, ...]: ...

    @property
    def by_slug(self) -> Mapping[str, ExercisePublic]: ...


@dataclass(frozen=True)
class ScoredLog:
    """A log with the triage the server scored from its red-flag answers (None: no red flag
    that stops exercise)."""

    log: DatedLog
    triage: Triage | None

    @property
    def date(self) -> date:
        return self.log.date


@dataclass(frozen=True)
class Adaptation:
    plan: Plan
    changes: list[PlanChange]
    stop: Triage | None = None


def session_kind_of(session_id: str) -> str:
    """The kind a session id names (``2026-12-01.strength-2`` → ``strength``)."""
    return session_id.split(".", 1)[1].split("-", 1)[0]


class Mode(Enum):
    table = "table"
    held = "held"
    stepped_back = "stepped_back"


Caps = tuple[tuple[tuple[SessionKind, str], PlanItem], ...]


@dataclass(frozen=True)
class Swap:
    slug: str
    side: Side | None  # None: the whole exercise (not per side, or both sides)
    replacement: str | None
    caution: str


@dataclass(frozen=True)
class State:
    """What the logs so far have set; every day after the latest log is made under it."""

    mode: Mode = Mode.table
    caps: Caps = ()  # held: each (session kind, exercise) no harder than this item
    restore: Caps = ()  # stepped_back: the caps AD-4 steps up to
    mode_caution: str | None = None
    swaps: tuple[Swap, ...] = ()
    relief: tuple[str, ...] = ()


@dataclass
class _Signals:
    """What each log showed, by date, for the rules that look back over a window."""

    pain_signal: set[date] = field(default_factory=set)


def adapt(
    plan: Plan,
    logs: Sequence[ScoredLog],
    *,
    rules: AdaptationRules,
    catalogue: AdaptationCatalogue,
) -> Adaptation:
    """The plan as the logs adapt it. ``plan`` is the generated plan (revision 1)."""
    return _Replay(plan, rules, catalogue).run(sorted(logs, key=lambda scored: scored.date))


class _Replay:
    def __init__(self, plan: Plan, rules: AdaptationRules, catalogue: AdaptationCatalogue) -> None:
        self.plan = plan
        self.rules = rules
        self.catalogue = catalogue
        self.original = {day.date: day for week in plan.weeks for day in week.days}
        self.dates = sorted(self.original)
        self.start = self.dates[0]
        self.current = dict(self.original)
        self.changes: list[PlanChange] = []
        self.signals = _Signals()
        self.logs: dict[date, DatedLog] = {}
        self.state = State()
        self.mode_since: date | None = None  # the log that last set the mode
        self._memo: dict[tuple[SessionKind, tuple[int, ...]], list[PlanItem]] = {}
        self.at_hand = {item.value for item in plan.inputs.equipment}
        self.in_plan = {exercise.slug for exercise in plan.exercises}
        self.loads = loads_of(plan)

    # -- the replay

    def run(self, logs: Sequence[ScoredLog]) -> Adaptation:
        for scored in logs:
            self.logs[scored.date] = scored.log
            if scored.triage is not None:
                self._stop(scored.date, scored.triage)
                return Adaptation(plan=self._plan(), changes=self.changes, stop=scored.triage)
            self._apply(scored.log)
        return Adaptation(plan=self._plan(), changes=self.changes, stop=None)

    def _apply(self, log: DatedLog) -> None:
        day = log.date
        for pain in log.sharp_pain:
            self._swap(day, pain.slug, pain.side)
        rise = self._pain_rise(log)
        if rise is not None:
            self.signals.pain_signal.add(day)
            self._step_back(day, rise)
        else:
            self._gate(log)
        self._relief(day)

    def _change(
        self,
        rule_id: str,
        kind: ChangeKind,
        day: date,
        state: State,
        reason: str,
        *,
        slug: str | None = None,
        side: Side | None = None,
        replacement: str | None = None,
        always: bool = False,
    ) -> None:
        """Move to ``state`` from the day after ``day``, recording the change when it alters a
        day (or ``always``)."""
        if state.mode is not self.state.mode or state.caps != self.state.caps:
            self.mode_since = day
        changed = self._set_state(day, state)
        if not changed and not always:
            return
        self.changes.append(
            PlanChange(
                rule_id=rule_id,
                source=self.rules.rule(rule_id).source,
                reason=_text(reason),
                kind=kind,
                from_date=day + timedelta(days=1),
                dates=changed,
                slug=slug,
                side=side,
                replacement=replacement,
            )
        )

    def _set_state(self, day: date, state: State) -> list[date]:
        if state == self.state:
            return []
        self.state = state
        self._memo = {}
        changed = []
        for later in self.dates:
            if later <= day:
                continue
            made = self._make_day(self.original[later], state)
            if made != self.current[later]:
                changed.append(later)
                self.current[later] = made
        return changed

    # -- AD-1

    def _stop(self, day: date, triage: Triage) -> None:
        rule = self.rules.rule("AD-1")
        reasons = " ".join(reason.text for reason in triage.reasons)
        self.changes.append(
            PlanChange(
                rule_id="AD-1",
                source=rule.source,
                reason=_text(
                    rule.reason.format(
                        date=day.isoformat(),
                        triage=reasons or triage.level.value,
                        advice=triage.advice,
                    )
                ),
                kind=ChangeKind.stopped,
                from_date=day + timedelta(days=1),
                dates=[later for later in self.dates if later > day],
                slug=None,
                side=None,
                replacement=None,
            )
        )

    # -- AD-2

    def baseline(self, day: date) -> float:
        """The mean pain of the plan's first week of logs up to ``day``; without one, of the
        logs of the days just before ``day``; without those, the pain the plan was made with."""
        first_week_end = self.start + timedelta(days=self.rules.baseline_first_week_days)
        pains = [
            log.pain
            for log_date, log in self.logs.items()
            if self.start <= log_date < first_week_end and log_date <= day
        ]
        if not pains:
            since = day - timedelta(days=self.rules.baseline_days_before)
            pains = [log.pain for log_date, log in self.logs.items() if since <= log_date < day]
        if not pains:
            return float(self.plan.assessment.pain_now)
        return sum(pains) / len(pains)

    def _pain_rise(self, log: DatedLog) -> str | None:
        """Why the log holds and steps back (AD-2), or None."""
        baseline = self.baseline(log.date)
        if log.pain >= baseline + self.rules.meaningful_change:
            return f"Pain of {log.pain} against a baseline of {baseline:.1f}"
        limit = self.rules.pain_after_exercise_limit
        if log.pain_after_exercise is not None and log.pain_after_exercise >= limit:
            return f"Pain of {log.pain_after_exercise} after exercise ({limit} or more)"
        yesterday = self.logs.get(log.date - timedelta(days=1))
        kinds = {kind.value for kind in self.rules.next_day_kinds}
        if (
            yesterday is not None
            and log.pain >= yesterday.pain + self.rules.next_day_rise
            and any(session_kind_of(done) in kinds for done in yesterday.sessions_done)
        ):
            return f"Pain of {log.pain} the day after exercise, up from {yesterday.pain}"
        return None

    def _step_back(self, day: date, why: str) -> None:
        state = self.state
        if state.mode is Mode.stepped_back:
            return  # stepped back already; the signal keeps AD-4 waiting a whole steady window
        restore = state.caps if state.mode is Mode.held else self._caps(day)
        how = "their regressions or the low end of the guide's range"
        reason = self.rules.rule("AD-2").reason.format(why=why, date=day.isoformat(), how=how)
        self._change(
            "AD-2",
            ChangeKind.stepped_back,
            day,
            replace(
                state,
                mode=Mode.stepped_back,
                caps=(),
                restore=restore,
                mode_caution=f"{reason} (AD-2)",
            ),
            reason,
        )

    # -- AD-4, AD-5

    def _window(self, day: date) -> list[date]:
        return [day - timedelta(days=n) for n in range(self.rules.window_days)]

    def _adherence(self, day: date) -> tuple[int, int]:
        """Sessions done and planned over the window up to ``day``."""
        planned = done = 0
        for past in self._window(day):
            plan_day = self.current.get(past)
            if plan_day is None:
                continue
            ids = {session.id for session in plan_day.sessions}
            planned += len(ids)
            log = self.logs.get(past)
            if log is not None:
                done += len(ids & set(log.sessions_done))
        return done, planned

    def _missing_logs(self, day: date) -> bool:
        gap = [day - timedelta(days=n) for n in range(1, self.rules.missing_log_days + 1)]
        return all(past >= self.start and past not in self.logs for past in gap)

    def _gate(self, log: DatedLog) -> None:
        day = log.date
        done, planned = self._adherence(day)
        if not planned:
            return  # before the plan: nothing to progress or hold
        low = done < self.rules.adherence_for_progress * planned
        missing = self._missing_logs(day)
        if low or missing:
            self._hold(day, done, planned, missing)
            return
        steady = not any(past in self.signals.pain_signal for past in self._window(day))
        if steady:
            self._progress(log, done, planned)

    def _hold(self, day: date, done: int, planned: int, missing: bool) -> None:
        if self.state.mode is not Mode.table:
            return  # already no progression
        why = (
            f"No log for the {self.rules.missing_log_days} days before {day.isoformat()}"
            if missing
            else f"{done} of {planned} planned sessions done over {self.rules.window_days} days"
        )
        reason = self.rules.rule("AD-5").reason.format(why=why, date=day.isoformat())
        self._change(
            "AD-5",
            ChangeKind.progression_held,
            day,
            replace(self.state, mode=Mode.held, caps=self._caps(day), mode_caution=None),
            reason,
        )

    def _progress(self, log: DatedLog, done: int, planned: int) -> None:
        """One step up after a whole steady window since the mode was last set."""
        state = self.state
        if state.mode is Mode.table:
            return
        since = self.mode_since
        if since is not None and (log.date - since).days < self.rules.window_days:
            return
        if state.mode is Mode.stepped_back:
            how = "back up to the doses held before the pain rose"
            new = replace(state, mode=Mode.held, caps=state.restore, restore=(), mode_caution=None)
        else:
            how = "the plan follows the guide's table again"
            new = replace(state, mode=Mode.table, caps=(), restore=(), mode_caution=None)
        reason = self.rules.rule("AD-4").reason.format(
            date=log.date.isoformat(),
            pain=log.pain,
            baseline=f"{self.baseline(log.date):.1f}",
            done=done,
            planned=planned,
            how=how,
        )
        self._change("AD-4", ChangeKind.progressed, log.date, new, reason)

    def _caps(self, day: date) -> Caps:
        """Each exercise of each session kind as it was last done on or before ``day``."""
        caps: dict[tuple[SessionKind, str], PlanItem] = {}
        for past in self.dates:
            if past > day:
                break
            for session in self.current[past].sessions:
                for item in session.items:
                    caps[session.kind, item.slug] = item
        return tuple(sorted(caps.items()))

    # -- AD-3

    def _swap(self, day: date, slug: str, side: Side | None) -> None:
        swapped = self.state.swaps
        exercise = self.catalogue.by_slug[slug]
        if not exercise.dose.per_side:
            side = None
        if any(s.slug == slug and s.side in (side, None) for s in swapped):
            return  # already off that side for the rest of the plan
        replacement = self._replacement(exercise, side, swapped)
        name = exercise.name
        on_side = f" on the {side.value} side" if side is not None else ""
        if replacement is not None:
            outcome = f"{replacement.name} (at the low end of its range) takes its place"
            outcome += on_side
        else:
            outcome = f"it is left out{on_side}"
        reason = self.rules.rule("AD-3").reason.format(
            name=name, on_side=on_side, date=day.isoformat(), outcome=outcome
        )
        swap = Swap(
            slug=slug,
            side=side,
            replacement=replacement.slug if replacement else None,
            caution=f"{reason} (AD-3)",
        )
        self._change(
            "AD-3",
            ChangeKind.swapped,
            day,
            replace(self.state, swaps=(*swapped, swap)),
            reason,
            slug=slug,
            side=side,
            replacement=swap.replacement,
            always=True,
        )

    def _replacement(
        self, exercise: ExercisePublic, side: Side | None, swapped: Iterable[Swap]
    ) -> ExercisePublic | None:
        """The exercise's regression, else a gentler exercise of one of its sessions with a
        target in common (the most targets shared, then the catalogue's order); never one
        swapped off this side, and only what is at hand."""
        off = {s.slug for s in swapped if s.side in (side, None)} | {exercise.slug}
        if side is None:
            off |= {s.slug for s in swapped}

        def usable(other: ExercisePublic) -> bool:
            return other.slug not in off and self._is_at_hand(other)

        for slug in exercise.regressions:
            regression = self.catalogue.by_slug[slug]
            if usable(regression):
                return regression
        candidates = [
            other
            for other in self.catalogue.exercises
            if usable(other)
            and set(other.sessions) & set(exercise.sessions)
            and set(other.targets) & set(exercise.targets)
            and _DIFFICULTY[other.difficulty] <= _DIFFICULTY[exercise.difficulty]
            and other.slug not in exercise.progressions
        ]
        return max(
            candidates,
            key=lambda other: len(set(other.targets) & set(exercise.targets)),
            default=None,
        )

    def _is_at_hand(self, exercise: ExercisePublic) -> bool:
        return (
            exercise.slug in self.in_plan
            or not exercise.equipment
            or bool({item.value for item in exercise.equipment} & self.at_hand)
        )

    # -- AD-6

    def _relief(self, day: date) -> None:
        counts: Counter[str] = Counter()
        latest: dict[str, date] = {}
        for log_date, log in self.logs.items():
            for slug in log.relief_movements:
                counts[slug] += 1
                latest[slug] = max(latest.get(slug, log_date), log_date)
        ranked = tuple(
            sorted(counts, key=lambda slug: (-counts[slug], -latest[slug].toordinal(), slug))
        )
        if ranked == self.state.relief:
            return
        names = ", ".join(self.catalogue.by_slug[slug].name for slug in ranked)
        logged = ", ".join(f"{counts[slug]}×" for slug in ranked)
        sessions = " and ".join(kind.value.replace("_", " ") for kind in self.rules.relief_sessions)
        reason = self.rules.rule("AD-6").reason.format(
            names=names,
            counts=logged,
            sessions=sessions,
            date=(day + timedelta(days=1)).isoformat(),
        )
        self._change(
            "AD-6",
            ChangeKind.relief_prioritised,
            day,
            replace(self.state, relief=ranked),
            reason,
        )

    # -- making a day

    def _make_day(self, original: PlanDay, state: State) -> PlanDay:
        budget = self.plan.inputs.minutes_per_day
        sessions = []
        for session in original.sessions:
            items = self._moded(session, state)
            before_swaps = list(items)
            for swap in state.swaps:
                items = self._swapped(items, swap)
            if session.kind in self.rules.relief_sessions and state.relief:
                items = _relief_first(items, state.relief)
            sessions.append((session, before_swaps, items))
        made = [self._session(session, items) for session, _before, items in sessions]
        # A replacement that would take the day past its minutes is left out that day.
        if sum(s.minutes for s in made if s is not None) > budget + EPSILON:
            made = [
                self._session(session, [i for i in items if _kept(i, before)])
                for session, before, items in sessions
            ]
        kept = [session for session in made if session is not None]
        return original.model_copy(
            update={"sessions": kept, "minutes": round(sum(s.minutes for s in kept), 2)}
        )

    def _session(self, session: PlanSession, items: list[PlanItem]) -> PlanSession | None:
        if not items:
            return None
        if session.kind is SessionKind.micro_break:
            per_break = max(item_minutes(item) for item in items)
            minutes = round(per_break * session.repeats, 2)
        else:
            minutes = items_minutes(items)
        return session.model_copy(update={"items": items, "minutes": minutes})

    def _moded(self, session: PlanSession, state: State) -> list[PlanItem]:
        if state.mode is Mode.table:
            return list(session.items)
        # The days of a week share their items: each session's content is made once per state
        # (the memo is emptied whenever the state changes; the generated items outlive it).
        key = (session.kind, tuple(id(item) for item in session.items))
        made = self._memo.get(key)
        if made is None:
            if state.mode is Mode.stepped_back:
                made = _unique_slugs(
                    self._stepped_back(item, session, state.mode_caution) for item in session.items
                )
            else:
                caps = dict(state.caps)
                made = _unique_slugs(self._held(item, session.kind, caps) for item in session.items)
            self._memo[key] = made
        return list(made)

    def _held(
        self, item: PlanItem, kind: SessionKind, caps: Mapping[tuple[SessionKind, str], PlanItem]
    ) -> PlanItem:
        """The item no harder than it was when the hold began; an exercise the plan had not
        reached takes its held regression, or the low end."""
        cap = caps.get((kind, item.slug))
        if cap is not None:
            return _capped(item, cap, self.loads.get(item.slug, ()))
        for slug in self.catalogue.by_slug[item.slug].regressions:
            held = caps.get((kind, slug))
            if held is not None:
                return held
        return self._low_end(item, self.catalogue.by_slug[item.slug], caution=None)

    def _stepped_back(self, item: PlanItem, session: PlanSession, caution: str | None) -> PlanItem:
        exercise = self.catalogue.by_slug[item.slug]
        present = {other.slug for other in session.items}
        for slug in exercise.regressions:
            regression = self.catalogue.by_slug[slug]
            if slug not in present and self._is_at_hand(regression):
                return self._low_end(item, regression, caution=caution)
        return self._low_end(item, exercise, caution=caution)

    def _low_end(
        self, item: PlanItem, exercise: ExercisePublic, *, caution: str | None
    ) -> PlanItem:
        dose = item_dose(exercise, LOW_END, load=self._first_load(exercise.slug))
        return item.model_copy(
            update={
                "slug": exercise.slug,
                "name": exercise.name,
                "dose": _gentlest(dose, item.dose, self.loads.get(item.slug, ()))
                if exercise.slug == item.slug
                else dose,
                "extra_volume_side": None,
                "extra_volume_dose": None,
                "gentler_side_dose": dose if item.gentler_side is not None else None,
                "caution": _joined(item.caution, caution),
            }
        )

    def _first_load(self, slug: str) -> str | None:
        loads = self.loads.get(slug)
        return loads[0] if loads else None

    def _swapped(self, items: list[PlanItem], swap: Swap) -> list[PlanItem]:
        result: list[PlanItem] = []
        present = {item.slug for item in items}
        for item in items:
            if item.slug != swap.slug:
                result.append(item)
                continue
            remaining = _without_side(item, swap.side, swap.caution)
            if remaining is not None:
                result.append(remaining)
            replacement = self._replacement_item(item, swap, present)
            if replacement is not None:
                result.append(replacement)
                present.add(replacement.slug)
        return _unique_slugs(result)

    def _replacement_item(self, item: PlanItem, swap: Swap, present: set[str]) -> PlanItem | None:
        if swap.replacement is None or swap.replacement in present:
            return None
        exercise = self.catalogue.by_slug[swap.replacement]
        dose = item_dose(exercise, LOW_END, load=self._first_load(exercise.slug))
        only = swap.side if exercise.dose.per_side else None
        return PlanItem(
            slug=exercise.slug,
            name=exercise.name,
            dose=dose,
            extra_volume_side=None,
            extra_volume_dose=None,
            gentler_side=None,
            gentler_side_dose=None,
            only_side=only,
            caution=swap.caution,
            why=item.why,
        )

    # -- the result

    def _plan(self) -> Plan:
        used = {
            item.slug
            for day in self.current.values()
            for session in day.sessions
            for item in session.items
        }
        exercises = list(self.plan.exercises) + [
            PlanExercise(
                slug=slug,
                name=self.catalogue.by_slug[slug].name,
                steps=self.catalogue.by_slug[slug].steps,
            )
            for slug in sorted(used - self.in_plan)
        ]
        weeks: list[PlanWeek] = []
        for week in self.plan.weeks:
            days = [self.current[day.date] for day in week.days]
            if days == week.days:
                weeks.append(week)
                continue
            summary = week.summary.model_copy(
                update={
                    "minutes": round(sum(day.minutes for day in days), 2),
                    "sessions": sum(len(day.sessions) for day in days),
                    "strength_days": _days_with(days, SessionKind.strength),
                    "cardio_days": _days_with(days, SessionKind.cardio),
                }
            )
            weeks.append(week.model_copy(update={"days": days, "summary": summary}))
        return self.plan.model_copy(update={"weeks": weeks, "exercises": exercises})


# --- small helpers -----------------------------------------------------------------------------


def loads_of(plan: Plan) -> dict[str, tuple[str, ...]]:
    """The loads each loaded exercise takes in the plan, lightest (first) to heaviest."""
    loads: dict[str, dict[str, None]] = {}
    for week in plan.weeks:
        for day in week.days:
            for session in day.sessions:
                for item in session.items:
                    if item.dose.load is not None:
                        loads.setdefault(item.slug, {})[item.dose.load] = None
    return {slug: tuple(order) for slug, order in loads.items()}


def harder(dose: ItemDose, than: ItemDose, loads: Sequence[str] = ()) -> bool:
    """Whether ``dose`` asks more than ``than`` in any way: sets, reps, hold, time or load
    (``loads`` orders the exercise's loads, lightest first; another load is harder)."""
    pairs = (
        (dose.sets, than.sets),
        (dose.reps, than.reps),
        (dose.hold_seconds, than.hold_seconds),
    )
    if any(a is not None and b is not None and a > b for a, b in pairs):
        return True
    if dose.minutes > than.minutes + EPSILON:
        return True
    if dose.load is None or dose.load == than.load:
        return False
    if dose.load in loads and than.load in loads:
        return loads.index(dose.load) > loads.index(than.load)
    return True


def _capped(item: PlanItem, cap: PlanItem, loads: Sequence[str]) -> PlanItem:
    extra_harder = item.extra_volume_dose is not None and (
        cap.extra_volume_dose is None
        or harder(item.extra_volume_dose, cap.extra_volume_dose, loads)
    )
    if not harder(item.dose, cap.dose, loads) and not extra_harder:
        return item
    return item.model_copy(
        update={
            "dose": cap.dose,
            "extra_volume_side": cap.extra_volume_side,
            "extra_volume_dose": cap.extra_volume_dose,
            "gentler_side_dose": cap.gentler_side_dose if item.gentler_side else None,
        }
    )


def _gentlest(dose: ItemDose, current: ItemDose, loads: Sequence[str]) -> ItemDose:
    """The low end, unless the current dose is already no harder (a breath in a micro-break)."""
    return current if not harder(current, dose, loads) else dose


def _without_side(item: PlanItem, side: Side | None, caution: str) -> PlanItem | None:
    """The item with ``side`` taken out; None when no side is left (or it is not per side)."""
    if side is None or not item.dose.per_side or item.only_side == side:
        return None
    other = _OTHER_SIDE[side]
    dose = item.dose
    if item.extra_volume_side == other and item.extra_volume_dose is not None:
        dose = item.extra_volume_dose
    if item.gentler_side == other and item.gentler_side_dose is not None:
        dose = item.gentler_side_dose
    return item.model_copy(
        update={
            "dose": dose,
            "only_side": other,
            "extra_volume_side": None,
            "extra_volume_dose": None,
            "gentler_side": None,
            "gentler_side_dose": None,
            "caution": _joined(item.caution, caution),
        }
    )


def _relief_first(items: list[PlanItem], ranked: Sequence[str]) -> list[PlanItem]:
    rank = {slug: index for index, slug in enumerate(ranked)}
    return sorted(items, key=lambda item: rank.get(item.slug, len(rank)))


def _unique_slugs(items: Iterable[PlanItem]) -> list[PlanItem]:
    seen: set[str] = set()
    unique = []
    for item in items:
        if item.slug not in seen:
            seen.add(item.slug)
            unique.append(item)
    return unique


def _kept(item: PlanItem, before_swaps: Sequence[PlanItem]) -> bool:
    """Whether the item was in the session before the swaps (a replacement was not)."""
    return any(item.slug == other.slug for other in before_swaps)


def _joined(first: str | None, second: str | None) -> str | None:
    parts = [part for part in (first, second) if part]
    return _text(" ".join(parts)) if parts else None


def _text(text: str) -> str:
    """Within the schema's 2000 characters (many red flags at once can say more)."""
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _days_with(days: Iterable[PlanDay], kind: SessionKind) -> int:
    return sum(any(session.kind is kind for session in day.sessions) for day in days)
