"""What changed between two revisions of a plan, item by item. Pure."""

from datetime import date

from app.plans import Plan, PlanItem, PlanSession
from app.progress.schemas import DifferenceKind, PlanDifference


def plan_diff(before: Plan, after: Plan) -> list[PlanDifference]:
    """Every item added, removed or changed, and every session reordered, by date and session
    (the order of ``after``, then sessions only ``before`` holds)."""
    old_days = {day.date: day for week in before.weeks for day in week.days}
    new_days = {day.date: day for week in after.weeks for day in week.days}
    differences: list[PlanDifference] = []
    for day in sorted(old_days.keys() | new_days.keys()):
        old = {s.id: s for s in old_days[day].sessions} if day in old_days else {}
        new = {s.id: s for s in new_days[day].sessions} if day in new_days else {}
        for session_id in [*new, *(i for i in old if i not in new)]:
            differences += _session_diff(day, session_id, old.get(session_id), new.get(session_id))
    return differences


def _session_diff(
    day: date, session_id: str, old: PlanSession | None, new: PlanSession | None
) -> list[PlanDifference]:
    old_items = {item.slug: item for item in old.items} if old else {}
    new_items = {item.slug: item for item in new.items} if new else {}

    def difference(
        kind: DifferenceKind, slug: str | None, was: PlanItem | None, now: PlanItem | None
    ) -> PlanDifference:
        return PlanDifference(
            date=day, session_id=session_id, kind=kind, slug=slug, before=was, after=now
        )

    found = [
        difference(DifferenceKind.added, slug, None, item)
        if slug not in old_items
        else difference(DifferenceKind.changed, slug, old_items[slug], item)
        for slug, item in new_items.items()
        if old_items.get(slug) != item
    ]
    found += [
        difference(DifferenceKind.removed, slug, item, None)
        for slug, item in old_items.items()
        if slug not in new_items
    ]
    same = [slug for slug in new_items if slug in old_items]
    if not found and same != [slug for slug in old_items if slug in new_items]:
        found.append(difference(DifferenceKind.reordered, None, None, None))
    return found
