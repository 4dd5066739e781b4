"""The progress summary of one patient: pure, on plain data (no database, web or files).

Pain is the day's typical pain (NPRS, 0-10). Its change from baseline (the plan's first week,
as the adaptation's baseline in app/progress/data/adaptation.yaml) is labelled by the 2-point
rule: a change of 2 points or more is the smallest that patients rate as meaningful (Farrar JT
et al. Pain 2001;94:149-158; Salaffi F et al. Eur J Pain 2004;8:283-291)."""

import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from pydantic import Field

from app.assessments import FindingCode, Triage
from app.catalogue import SessionKind, Side, StrictModel
from app.progress.retest import compare_findings
from app.progress.schemas import FindingsComparison

MEANINGFUL_CHANGE = 2.0
ROLLING_DAYS = 7
CHANGE_SOURCE = (
    "NPRS minimal clinically important change of 2 points: Farrar JT et al. Pain "
    "2001;94:149-158; Salaffi F et al. Eur J Pain 2004;8:283-291."
)


@dataclass(frozen=True)
class DayLog:
    date: date
    pain: int
    sessions_done: Sequence[str]
    relief_movements: Sequence[str]
    sharp_pain: Sequence[tuple[str, Side | None]]
    triage: Triage | None  # the server's triage of the log's red-flag answers


@dataclass(frozen=True)
class PlannedSession:
    date: date
    week: int
    kind: SessionKind
    id: str


@dataclass(frozen=True)
class OutcomeScore:
    instrument: str
    timepoint: str
    taken_on: date
    score: float
    higher_is_better: bool


@dataclass(frozen=True)
class AssessmentFindings:
    """A stored assessment's findings: the first is the baseline, each later one a re-test."""

    assessment_id: uuid.UUID
    taken_on: date
    findings: Sequence[FindingCode]


class ChangeLabel(StrEnum):
    improved = "improved"
    worse = "worse"
    no_meaningful_change = "no_meaningful_change"


class PainPoint(StrictModel):
    date: date
    pain: int
    rolling_mean: float = Field(
        description="The mean pain of the logs in the 7 days ending this day."
    )


class Baseline(StrictModel):
    pain: float
    first: date = Field(description="The first day the baseline covers.")
    last: date


class PainChange(StrictModel):
    baseline: Baseline
    current: float = Field(description="The mean pain of the 7 days ending with the last log.")
    difference: float = Field(description="current minus baseline (negative: less pain).")
    label: ChangeLabel
    source: str


class Adherence(StrictModel):
    planned: int = Field(ge=0, description="Sessions planned on the days so far.")
    done: int = Field(ge=0, description="Of those, logged as done.")
    percent: float | None = Field(description="done / planned × 100; null if none planned.")


class WeekAdherence(Adherence):
    week: int


class KindAdherence(Adherence):
    kind: SessionKind


class ReliefMovement(StrictModel):
    slug: str
    days: int = Field(description="Days the movement was logged as bringing relief.")


class SharpPainReport(StrictModel):
    date: date
    slug: str
    side: Side | None


class RedFlagReport(StrictModel):
    date: date
    triage: Triage


class OutcomePoint(StrictModel):
    instrument: str
    timepoint: str
    taken_on: date
    score: float
    higher_is_better: bool


class RetestReport(StrictModel):
    assessment_id: uuid.UUID = Field(description="The later stored assessment (the re-test).")
    taken_on: date
    compared_with: uuid.UUID = Field(description="The patient's first stored assessment.")
    findings: FindingsComparison


class ProgressSummary(StrictModel):
    as_of: date = Field(description="Today in the plan's time zone.")
    days_since_last_log: int | None = Field(description="Null when nothing is logged.")
    pain: list[PainPoint] = Field(description="One point per logged day, oldest first.")
    change: PainChange | None = Field(
        description="Null until there is a baseline and a log after it."
    )
    adherence: Adherence
    adherence_by_week: list[WeekAdherence]
    adherence_by_kind: list[KindAdherence]
    relief_movements: list[ReliefMovement] = Field(description="Most days first.")
    sharp_pain: list[SharpPainReport]
    red_flags: list[RedFlagReport]
    outcomes: list[OutcomePoint] = Field(description="Oldest first.")
    retests: list[RetestReport] = Field(
        description="Each stored assessment after the first (the weeks 4 and 8 re-tests), its "
        "findings compared with the first's: resolved, persisting, new. Oldest first."
    )


def summarise(
    logs: Sequence[DayLog],
    planned: Sequence[PlannedSession],
    outcomes: Sequence[OutcomeScore],
    *,
    plan_start: date | None,
    today: date,
    assessments: Sequence[AssessmentFindings] = (),
) -> ProgressSummary:
    ordered = sorted(logs, key=lambda log: log.date)
    points = _pain_series(ordered)
    total, by_week, by_kind = _adherence(ordered, [s for s in planned if s.date <= today])
    return ProgressSummary(
        as_of=today,
        days_since_last_log=(today - ordered[-1].date).days if ordered else None,
        pain=points,
        change=_change(ordered, points, plan_start),
        adherence=total,
        adherence_by_week=by_week,
        adherence_by_kind=by_kind,
        relief_movements=[
            ReliefMovement(slug=slug, days=days)
            for slug, days in sorted(
                Counter(slug for log in ordered for slug in set(log.relief_movements)).items(),
                key=lambda item: (-item[1], item[0]),
            )
        ],
        sharp_pain=[
            SharpPainReport(date=log.date, slug=slug, side=side)
            for log in ordered
            for slug, side in log.sharp_pain
        ],
        red_flags=[
            RedFlagReport(date=log.date, triage=log.triage)
            for log in ordered
            if log.triage is not None
        ],
        outcomes=[
            OutcomePoint(
                instrument=o.instrument,
                timepoint=o.timepoint,
                taken_on=o.taken_on,
                score=o.score,
                higher_is_better=o.higher_is_better,
            )
            for o in sorted(outcomes, key=lambda o: o.taken_on)
        ],
        retests=_retests(assessments),
    )


def _retests(assessments: Sequence[AssessmentFindings]) -> list[RetestReport]:
    """``assessments`` oldest first."""
    if not assessments:
        return []
    first = assessments[0]
    return [
        RetestReport(
            assessment_id=later.assessment_id,
            taken_on=later.taken_on,
            compared_with=first.assessment_id,
            findings=compare_findings(first.findings, later.findings),
        )
        for later in assessments[1:]
    ]


def _mean(values: Sequence[int]) -> float:
    return round(sum(values) / len(values), 2)


def _window(logs: Sequence[DayLog], first: date, last: date) -> list[int]:
    return [log.pain for log in logs if first <= log.date <= last]


def _pain_series(logs: Sequence[DayLog]) -> list[PainPoint]:
    return [
        PainPoint(
            date=log.date,
            pain=log.pain,
            rolling_mean=_mean(
                _window(logs, log.date - timedelta(days=ROLLING_DAYS - 1), log.date)
            ),
        )
        for log in logs
    ]


def baseline_window(logs: Sequence[DayLog], plan_start: date | None) -> tuple[date, date] | None:
    """The plan's first 7 days when any is logged (as the adaptation's baseline, AD-2), else
    the first 7 days logged."""
    if not logs:
        return None
    if plan_start is not None:
        first_week = (plan_start, plan_start + timedelta(days=ROLLING_DAYS - 1))
        if _window(logs, *first_week):
            return first_week
    first = logs[0].date
    return first, first + timedelta(days=ROLLING_DAYS - 1)


def _change(
    logs: Sequence[DayLog], points: Sequence[PainPoint], plan_start: date | None
) -> PainChange | None:
    window = baseline_window(logs, plan_start)
    if window is None or logs[-1].date <= window[1]:
        return None
    baseline = Baseline(pain=_mean(_window(logs, *window)), first=window[0], last=window[1])
    current = points[-1].rolling_mean
    difference = round(current - baseline.pain, 2)
    if difference <= -MEANINGFUL_CHANGE:
        label = ChangeLabel.improved
    elif difference >= MEANINGFUL_CHANGE:
        label = ChangeLabel.worse
    else:
        label = ChangeLabel.no_meaningful_change
    return PainChange(
        baseline=baseline,
        current=current,
        difference=difference,
        label=label,
        source=CHANGE_SOURCE,
    )


def _percent(done: int, planned: int) -> float | None:
    return round(100 * done / planned, 1) if planned else None


def _adherence(
    logs: Sequence[DayLog], planned: Sequence[PlannedSession]
) -> tuple[Adherence, list[WeekAdherence], list[KindAdherence]]:
    done_ids = {(log.date, session) for log in logs for session in log.sessions_done}
    by_week: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    by_kind: dict[SessionKind, list[int]] = defaultdict(lambda: [0, 0])
    for session in planned:
        done = (session.date, session.id) in done_ids
        for tally in (by_week[session.week], by_kind[session.kind]):
            tally[0] += 1
            tally[1] += done
    total_planned = len(planned)
    total_done = sum(tally[1] for tally in by_week.values())
    kinds = list(SessionKind)
    return (
        Adherence(
            planned=total_planned, done=total_done, percent=_percent(total_done, total_planned)
        ),
        [
            WeekAdherence(week=week, planned=p, done=d, percent=_percent(d, p))
            for week, (p, d) in sorted(by_week.items())
        ],
        [
            KindAdherence(kind=kind, planned=p, done=d, percent=_percent(d, p))
            for kind, (p, d) in sorted(by_kind.items(), key=lambda item: kinds.index(item[0]))
        ],
    )
