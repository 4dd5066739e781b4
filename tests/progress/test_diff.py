"""What changed between two revisions of a plan (plan_diff), on real adaptations."""

from app.catalogue.schemas import Side
from app.catalogue.snapshot import CatalogueSnapshot
from app.plans.schemas import Plan
from app.progress.diff import plan_diff
from app.progress.schemas import DifferenceKind
from tests.progress.conftest import log, on, run, steady


def test_the_same_plan_has_no_difference(plan: Plan) -> None:
    assert plan_diff(plan, plan) == []


def test_a_one_sided_swap_is_a_changed_item_and_an_added_one(
    plan: Plan, catalogue: CatalogueSnapshot
) -> None:
    logs = [
        *steady(plan, range(15)),
        log(plan, 15, sharp_pain=[{"slug": "clamshell", "side": "left"}]),
    ]
    result = run(plan, logs, catalogue)
    [change] = result.changes

    differences = plan_diff(plan, result.plan)

    assert {d.date for d in differences} == set(change.dates)
    assert all(d.date > on(15) for d in differences)
    changed = [d for d in differences if d.kind is DifferenceKind.changed]
    assert changed
    assert all(d.slug == "clamshell" for d in changed)
    assert all(d.after is not None and d.after.only_side is Side.right for d in changed)
    added = [d for d in differences if d.kind is DifferenceKind.added]
    assert added
    assert {d.slug for d in added} == {change.replacement}
    assert all(d.session_id.endswith(".strength") for d in differences)


def test_relief_first_is_a_reordered_session(plan: Plan, catalogue: CatalogueSnapshot) -> None:
    logs = [*steady(plan, range(3)), log(plan, 3, relief_movements=["standing-thoracic-rotation"])]
    result = run(plan, logs, catalogue)

    differences = plan_diff(plan, result.plan)

    assert differences
    assert {d.kind for d in differences} == {DifferenceKind.reordered}
    assert {d.session_id.split(".")[1] for d in differences} <= {
        "micro_break",
        "evening_flexibility",
    }


def test_removed_items_are_listed_from_the_earlier_revision(
    plan: Plan, catalogue: CatalogueSnapshot
) -> None:
    logs = [
        *steady(plan, range(9)),
        log(plan, 9, sharp_pain=[{"slug": "glute-bridge", "side": None}]),
    ]
    result = run(plan, logs, catalogue)

    removed = [d for d in plan_diff(plan, result.plan) if d.kind is DifferenceKind.removed]

    assert removed
    assert {d.slug for d in removed} == {"glute-bridge"}
    assert all(d.before is not None and d.after is None for d in removed)
    reverse = plan_diff(result.plan, plan)
    assert {d.slug for d in reverse if d.kind is DifferenceKind.added} >= {"glute-bridge"}
