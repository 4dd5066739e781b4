"""The pure progress summary: pain series, change by the 2-point rule, adherence, relief
movements, sharp pain, red flags and outcomes."""

import uuid
from datetime import date, timedelta

from app.assessments.schemas import Triage, TriageLevel
from app.catalogue.schemas import SessionKind, Side
from app.progress.summary import (
    AssessmentFindings,
    ChangeLabel,
    DayLog,
    OutcomeScore,
    PlannedSession,
    baseline_window,
    summarise,
)

START = date(2026, 11, 2)


def log(day: int, pain: int, **fields: object) -> DayLog:
    values: dict[str, object] = {
        "sessions_done": (),
        "relief_movements": (),
        "sharp_pain": (),
        "triage": None,
        **fields,
    }
    return DayLog(date=START + timedelta(days=day), pain=pain, **values)  # type: ignore[arg-type]


def planned(days: int) -> list[PlannedSession]:
    return [
        PlannedSession(
            date=START + timedelta(days=day),
            week=day // 7 + 1,
            kind=kind,
            id=f"{(START + timedelta(days=day)).isoformat()}.{kind.value}",
        )
        for day in range(days)
        for kind in (SessionKind.morning_mobility, SessionKind.strength)
    ]


def test_pain_series_has_a_seven_day_rolling_mean() -> None:
    logs = [log(day, pain) for day, pain in enumerate([2, 4, 6, 8, 2, 4, 6, 8])]
    summary = summarise(logs, [], [], plan_start=START, today=START + timedelta(days=8))
    assert [point.pain for point in summary.pain] == [2, 4, 6, 8, 2, 4, 6, 8]
    assert summary.pain[1].rolling_mean == 3.0
    # day 7 covers days 1-7: 4 6 8 2 4 6 8
    assert summary.pain[7].rolling_mean == round(38 / 7, 2)
    assert summary.days_since_last_log == 1


def test_change_from_baseline_follows_the_two_point_rule() -> None:
    steady = [log(day, 4) for day in range(7)]
    for later, label in ((6, ChangeLabel.worse), (5, ChangeLabel.no_meaningful_change)):
        logs = steady + [log(day, later) for day in range(7, 14)]
        change = summarise(logs, [], [], plan_start=START, today=START + timedelta(days=14)).change
        assert change is not None
        assert change.baseline.pain == 4.0
        assert change.label is label
        assert "Farrar" in change.source
    better = steady + [log(day, 2) for day in range(7, 14)]
    change = summarise(better, [], [], plan_start=START, today=START + timedelta(days=14)).change
    assert change is not None
    assert change.label is ChangeLabel.improved
    # Only the first week logged: nothing to compare yet.
    assert summarise(steady, [], [], plan_start=START, today=START).change is None


def test_the_baseline_is_the_plans_first_week_else_the_first_week_logged() -> None:
    logs = [log(0, 3), log(9, 7)]
    assert baseline_window(logs, START) == (START, START + timedelta(days=6))
    assert baseline_window(logs[1:], START) == (
        START + timedelta(days=9),
        START + timedelta(days=15),
    )


def test_adherence_counts_planned_sessions_up_to_today() -> None:
    sessions = planned(14)
    logs = [
        log(day, 3, sessions_done=(f"{(START + timedelta(days=day)).isoformat()}.strength",))
        for day in range(7)
    ]
    summary = summarise(logs, sessions, [], plan_start=START, today=START + timedelta(days=9))
    assert summary.adherence.planned == 20
    assert summary.adherence.done == 7
    assert [(w.week, w.planned, w.done) for w in summary.adherence_by_week] == [
        (1, 14, 7),
        (2, 6, 0),
    ]
    by_kind = {k.kind: (k.planned, k.done, k.percent) for k in summary.adherence_by_kind}
    assert by_kind[SessionKind.strength] == (10, 7, 70.0)
    assert by_kind[SessionKind.morning_mobility] == (10, 0, 0.0)


def test_relief_sharp_pain_red_flags_and_outcomes_are_reported() -> None:
    triage = Triage(level=TriageLevel.urgent, reasons=[], advice="See a doctor today.")
    logs = [
        log(0, 3, relief_movements=("cat-cow", "childs-pose")),
        log(1, 3, relief_movements=("childs-pose",), sharp_pain=(("deep-squat", Side.left),)),
        log(2, 3, triage=triage),
    ]
    outcomes = [
        OutcomeScore("peg", "week_4", START + timedelta(days=2), 4.0, False),
        OutcomeScore("peg", "baseline", START, 6.0, False),
    ]
    summary = summarise(logs, [], outcomes, plan_start=START, today=START + timedelta(days=2))
    assert [(r.slug, r.days) for r in summary.relief_movements] == [
        ("childs-pose", 2),
        ("cat-cow", 1),
    ]
    assert [(s.slug, s.side) for s in summary.sharp_pain] == [("deep-squat", Side.left)]
    assert [r.date for r in summary.red_flags] == [START + timedelta(days=2)]
    assert [o.timepoint for o in summary.outcomes] == ["baseline", "week_4"]


def test_each_later_assessment_is_compared_with_the_first() -> None:
    first, week_4 = uuid.uuid4(), uuid.uuid4()
    assessments = [
        AssessmentFindings(first, START, ["hip_extension.restricted.right", "bridge.lumbar_first"]),
        AssessmentFindings(
            week_4, START + timedelta(days=21), ["bridge.lumbar_first", "rotation.tighter_left"]
        ),
    ]
    summary = summarise([], [], [], plan_start=START, today=START, assessments=assessments)
    [retest] = summary.retests
    assert retest.assessment_id == week_4
    assert retest.compared_with == first
    assert retest.findings.resolved == ["hip_extension.restricted.right"]
    assert retest.findings.persisting == ["bridge.lumbar_first"]
    assert retest.findings.new == ["rotation.tighter_left"]
    assert (
        summarise([], [], [], plan_start=START, today=START, assessments=assessments[:1]).retests
        == []
    )
