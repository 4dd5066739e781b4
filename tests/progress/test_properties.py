"""Properties of the adaptation core over generated personas and logs (hypothesis): a red flag
always stops; a 2-point rise never progresses; a swapped exercise never returns on that side;
the same logs give the same plan; a painful side is never given more volume; no day grows
past the minutes a day."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.assessments.examples import NO_RED_FLAGS
from app.assessments.schemas import RedFlagAnswers
from app.catalogue.content import load_content
from app.catalogue.schemas import Side
from app.catalogue.snapshot import CatalogueSnapshot
from app.plans.generator import LOW_END, item_dose
from app.plans.schemas import Plan, PlanItem, PlanRequest
from app.progress.adaptation import Adaptation, harder, loads_of
from app.progress.schemas import ChangeKind, DatedLog
from tests.plans.test_properties import plan_for, plan_requests
from tests.progress.conftest import RULES, items, run

PROPERTY = settings(max_examples=50, deadline=None)
RED_FLAGS = tuple(RedFlagAnswers.model_fields)


@cache
def catalogue() -> CatalogueSnapshot:
    content = load_content()
    return CatalogueSnapshot(
        version=content.version, exercises=content.exercises, guidance=content.guidance
    )


@dataclass(frozen=True)
class Case:
    """A generated persona's plan and its logs; shown by its request, not its 8 weeks."""

    request: PlanRequest
    plan: Plan = field(repr=False)
    logs: list[DatedLog]


def plan_days(plan: Plan) -> dict[date, Any]:
    return {day.date: day for week in plan.weeks for day in week.days}


@st.composite
def plan_and_logs(draw: st.DrawFn, red_flag_rate: float = 0.03) -> Case:
    """A generated persona's plan (as `POST /v1/plans/preview` gives it) and logs of its
    days: pain, sessions done, sharp pain, relief and now and then a red flag."""
    plan, request = plan_for(catalogue(), draw(plan_requests()))
    days = plan_days(plan)
    slugs = sorted({item.slug for day in days.values() for item in items(day)})
    offsets = draw(st.sets(st.integers(0, 48), min_size=1, max_size=30))
    logs = []
    for offset in sorted(offsets):
        day = days[plan.weeks[0].days[0].date + timedelta(days=offset)]
        ids = [session.id for session in day.sessions]
        flagged = draw(st.floats(0, 1)) < red_flag_rate
        flags = dict(NO_RED_FLAGS)
        if flagged:
            flags[draw(st.sampled_from(RED_FLAGS))] = True
        sharp = draw(
            st.lists(
                st.builds(
                    lambda slug, side: {"slug": slug, "side": side},
                    st.sampled_from(slugs),
                    st.sampled_from([None, "left", "right"]),
                ),
                max_size=1,
            )
            if draw(st.floats(0, 1)) < 0.15
            else st.just([])
        )
        after_exercise = draw(st.one_of(st.none(), st.integers(0, 10)))
        extra = {} if after_exercise is None else {"pain_after_exercise": after_exercise}
        logs.append(
            DatedLog.model_validate(
                {
                    **extra,
                    "date": day.date.isoformat(),
                    "pain": draw(st.integers(0, 10)),
                    "hip_mobility": draw(st.integers(0, 10)),
                    "relief_movements": draw(
                        st.lists(st.sampled_from(slugs), max_size=2, unique=True)
                    ),
                    "sessions_done": draw(st.lists(st.sampled_from(ids), unique=True))
                    if ids
                    else [],
                    "sharp_pain": [dict(t) for t in {tuple(p.items()) for p in sharp}],
                    "red_flags": flags,
                }
            )
        )
    return Case(request=request, plan=plan, logs=logs)


def before_stop(logs: Sequence[DatedLog], result: Adaptation) -> list[DatedLog]:
    """The logs the adaptation applied: those before the first red flag."""
    flagged = [log.date for log in logs if any(log.red_flags.model_dump().values())]
    stop = min(flagged, default=date.max)
    return [log for log in logs if log.date < stop]


@PROPERTY
@given(case=plan_and_logs(red_flag_rate=0.3))
def test_a_red_flag_always_stops(case: Case) -> None:
    plan, logs = case.plan, case.logs
    result = run(plan, logs, catalogue())
    flagged = [log for log in logs if any(log.red_flags.model_dump().values())]

    if flagged:
        first = min(flagged, key=lambda log: log.date)
        assert result.stop is not None
        assert result.stop.level.blocks_exercise
        assert result.changes[-1].kind is ChangeKind.stopped
        assert result.changes[-1].from_date == first.date + timedelta(days=1)
        assert all(change.from_date <= first.date + timedelta(days=1) for change in result.changes)
    else:
        assert result.stop is None
        assert all(change.kind is not ChangeKind.stopped for change in result.changes)


def baseline(plan: Plan, logs: Sequence[DatedLog], day: date) -> float:
    """The rules' baseline, computed here on its own: the first week's logs up to ``day``,
    else the 7 days before ``day``, else the plan's pain."""
    start = plan.weeks[0].days[0].date
    first_week = [
        log.pain
        for log in logs
        if start <= log.date < start + timedelta(days=7) and log.date <= day
    ]
    before = [log.pain for log in logs if day - timedelta(days=7) <= log.date < day]
    pains = first_week or before
    return sum(pains) / len(pains) if pains else float(plan.assessment.pain_now)


@PROPERTY
@given(case=plan_and_logs())
def test_a_two_point_rise_never_progresses(case: Case) -> None:
    """After a log with pain 2 or more above the baseline, no change progresses from it, and
    until the next log every item is at the low end of its range (or its regression)."""
    plan, logs = case.plan, case.logs
    result = run(plan, logs, catalogue())
    applied = before_stop(logs, result)
    days = plan_days(result.plan)
    for index, log in enumerate(applied):
        if log.pain < baseline(plan, applied, log.date) + RULES.meaningful_change:
            continue
        after = log.date + timedelta(days=1)
        assert not any(
            c.kind is ChangeKind.progressed and c.from_date == after for c in result.changes
        )
        following = applied[index + 1].date if index + 1 < len(applied) else date.max
        for day in (d for d in days.values() if log.date < d.date <= following):
            for item in items(day):
                low = item_dose(catalogue().by_slug[item.slug], LOW_END, load=item.dose.load)
                assert not harder(item.dose, low), (log.date, day.date, item.slug)


def swapped_sides(logs: Sequence[DatedLog], plan: Plan) -> list[tuple[date, str, Side | None]]:
    per_side = {i.slug: i.dose.per_side for d in plan_days(plan).values() for i in items(d)}
    return [
        (log.date, pain.slug, pain.side if per_side[pain.slug] else None)
        for log in logs
        for pain in log.sharp_pain
    ]


def on_side(item: PlanItem, side: Side | None) -> bool:
    """Whether the item is done on ``side`` (None: done at all)."""
    if side is None:
        return True
    return item.only_side is None or item.only_side is side


@PROPERTY
@given(case=plan_and_logs())
def test_a_swapped_exercise_never_returns_on_that_side(
    case: Case,
) -> None:
    plan, logs = case.plan, case.logs
    result = run(plan, logs, catalogue())
    days = plan_days(result.plan)
    for logged, slug, side in swapped_sides(before_stop(logs, result), plan):
        for day in (d for d in days.values() if d.date > logged):
            for item in items(day):
                assert not (item.slug == slug and on_side(item, side)), (logged, day.date, slug)


@PROPERTY
@given(case=plan_and_logs(), seed=st.randoms(use_true_random=False))
def test_the_same_logs_give_the_same_plan(case: Case, seed: Any) -> None:
    plan, logs = case.plan, case.logs
    shuffled = list(logs)
    seed.shuffle(shuffled)

    first, second = run(plan, logs, catalogue()), run(plan, shuffled, catalogue())
    assert first == second
    assert first.plan.model_dump_json() == second.plan.model_dump_json()


@PROPERTY
@given(case=plan_and_logs())
def test_a_painful_side_is_never_given_more_volume(case: Case) -> None:
    """Against the generated plan, day by day: no item of the same session is harder, no
    side the plan made gentler (PG-9) takes extra volume, and a day stays within its
    minutes."""
    plan, logs = case.plan, case.logs
    result = run(plan, logs, catalogue())
    original = plan_days(plan)
    loads = loads_of(plan)
    for day in plan_days(result.plan).values():
        was = {(s.id, i.slug): i for s in original[day.date].sessions for i in s.items}
        for session in day.sessions:
            for item in session.items:
                before = was.get((session.id, item.slug))
                if before is None:
                    continue
                assert not harder(item.dose, before.dose, loads.get(item.slug, ())), (
                    day.date,
                    item.slug,
                )
                if before.gentler_side is not None:
                    assert item.extra_volume_side is not before.gentler_side
                if item.gentler_side_dose is not None:
                    assert not harder(item.gentler_side_dose, item.dose)
        assert day.minutes <= plan.inputs.minutes_per_day + 1e-9
