"""check_log, as the store reuses it: a log's date from the path, fields under the body."""

from datetime import timedelta

from app.plans.schemas import Plan
from app.progress.checks import check_log
from tests.progress.conftest import log, on


def test_a_log_the_plan_holds_has_no_problem(plan: Plan) -> None:
    assert check_log(plan, log(plan, 3), today=on(3)) == []


def test_a_date_located_in_the_path(plan: Plan) -> None:
    problems = check_log(plan, log(plan, 3), today=on(2), date_at=("path", "date"))

    assert [(p["loc"], p["type"]) for p in problems] == [(["path", "date"], "future_date")]


def test_after_the_plans_last_day(plan: Plan) -> None:
    last = log(plan, 55).model_copy(update={"date": on(56), "sessions_done": []})

    problems = check_log(plan, last, today=on(56) + timedelta(days=3))

    assert [(p["loc"], p["type"]) for p in problems] == [(["body", "date"], "outside_plan")]


def test_a_session_of_another_day(plan: Plan) -> None:
    other_day = log(plan, 4).sessions_done
    problems = check_log(plan, log(plan, 3).model_copy(update={"sessions_done": other_day}), on(9))

    assert {p["type"] for p in problems} == {"unknown_session"}
    assert [p["loc"] for p in problems] == [
        ["body", "sessions_done", index] for index in range(len(other_day))
    ]
