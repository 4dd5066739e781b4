"""A re-test's findings against the first assessment's (PG-11)."""

from app.progress.retest import compare_findings


def test_resolved_persisting_and_new_in_the_order_given() -> None:
    first = [
        "hip_extension.restricted.right",
        "rotation.tighter_right",
        "bridge.lumbar_before_glutes",
    ]
    later = ["bridge.lumbar_before_glutes", "hip_extension.painful.left", "rotation.tighter_right"]

    comparison = compare_findings(first, later)

    assert comparison.resolved == ["hip_extension.restricted.right"]
    assert comparison.persisting == ["rotation.tighter_right", "bridge.lumbar_before_glutes"]
    assert comparison.new == ["hip_extension.painful.left"]


def test_nothing_found_either_time() -> None:
    comparison = compare_findings([], [])

    assert (comparison.resolved, comparison.persisting, comparison.new) == ([], [], [])
