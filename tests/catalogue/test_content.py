"""The content data files: faithful to the guide, and checked by the loader.

Pure tests: no database and no app. The guide's text is kept verbatim beside the content it
feeds, ``app/catalogue/data/hip-spine-guide.txt`` (its origin in the README there).
"""

import hashlib
import re
import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from app.catalogue.content import DATA_DIR, Content, ContentError, load_content
from app.catalogue.schemas import (
    Category,
    CountRange,
    ExercisePublic,
    MinutesRange,
    SessionKind,
    SourcedItem,
)

GUIDE_PATH = DATA_DIR / "hip-spine-guide.txt"

STRENGTH_CUE = "Control the motion, avoid momentum, and breathe steadily."
SHARP_PAIN_CAUTION = "Modify or skip any movement that provokes sharp or shooting pain."
HEADINGS = (
    "Quick Self-Assessments",
    "Mobilizing Your Hips: Foundational Drills",
    "Strengthening for Stability: Hip-Spine Synergy",
    "Integrating Variety: Daily Movement Mix",
    "Your 8-Week Hip-Spine Connection Plan",
    "Frequently Asked Questions",
)
MOBILITY_DRILLS = (
    "hip-flexor-lunge-stretch",
    "ninety-ninety-hip-switch",
    "piriformis-release",
    "deep-squat-hold",
)
MICRO_BREAKS = (
    "hip-circles",
    "seated-hip-opener",
    "standing-thoracic-rotation",
    "body-weight-squat",
    "childs-pose-variation",
)
EVENING_STRETCHES = (
    "evening-hip-flexor-stretch",
    "evening-piriformis-stretch",
    "evening-childs-pose-stretch",
)


# --- helpers ---------------------------------------------------------------------------------


@cache
def guide_text() -> str:
    assert GUIDE_PATH.is_file(), f"the guide is missing: {GUIDE_PATH}"
    return GUIDE_PATH.read_text(encoding="utf-8")


def normalise(text: str) -> str:
    return " ".join(text.split())


def guide_lines() -> list[str]:
    return [line.strip() for line in guide_text().splitlines()]


def section_lines(heading: str) -> list[str]:
    """The non-empty lines under ``heading``, up to the next of the guide's headings."""
    lines = guide_lines()
    start = lines.index(heading) + 1
    ends = [lines.index(other) for other in HEADINGS if lines.index(other) > start - 1]
    end = min(ends, default=len(lines))
    return [line for line in lines[start:end] if line]


def guide_faq() -> list[tuple[str, str]]:
    lines = section_lines("Frequently Asked Questions")
    return [(line, lines[index + 1]) for index, line in enumerate(lines) if line.endswith("?")]


def guide_plan_rows() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for line in section_lines("Your 8-Week Hip-Spine Connection Plan"):
        match = re.fullmatch(r"(?P<focus>[^|]+?) \| (?P<frequency>[^|]+?) \|", line)
        if match and match["focus"] != "Focus":
            rows.append((match["focus"], match["frequency"]))
    return rows


def guide_habits() -> dict[str, str]:
    """Habit name -> its sentence(s), from the daily-habits paragraph."""
    lines = section_lines("Integrating Variety: Daily Movement Mix")
    start = next(i for i, line in enumerate(lines) if line.startswith("Beyond exercise")) + 1
    habits: dict[str, str] = {}
    for line in lines[start:]:
        name, sep, text = line.partition(": ")
        if not sep:
            break
        habits[name] = text
    return habits


def guide_self_assessments() -> dict[str, str]:
    """Test name -> its text, from the Quick Self-Assessments section."""
    lines = section_lines("Quick Self-Assessments")
    return {
        line.removesuffix(":"): lines[index + 1]
        for index, line in enumerate(lines)
        if line.endswith("Test:")
    }


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def exercise(content: Content, slug: str) -> ExercisePublic:
    return next(item for item in content.exercises if item.slug == slug)


def count(value: int, upper: int | None = None) -> CountRange:
    return CountRange(minimum=value, maximum=value if upper is None else upper)


def minutes(value: float, upper: float | None = None) -> MinutesRange:
    return MinutesRange(minimum=value, maximum=value if upper is None else upper)


def guidance_items(content: Content) -> list[SourcedItem]:
    guidance = content.guidance
    return [
        *guidance.self_assessments,
        *guidance.habits,
        *guidance.faq,
        *guidance.safety_rules,
        *guidance.red_flags,
        *guidance.sessions,
        *guidance.plan_template,
        guidance.progress_log_advice,
    ]


def broken_copy(tmp_path: Path, edit_exercises: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the data directory whose exercises file ``edit_exercises`` has changed."""
    data_dir = tmp_path / "data"
    shutil.copytree(DATA_DIR, data_dir)
    path = data_dir / "exercises.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit_exercises({item["slug"]: item for item in document["exercises"]})
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return data_dir


# --- the guide itself ------------------------------------------------------------------------


def test_guide_is_present_and_parses() -> None:
    assert len(guide_faq()) == 8
    assert len(guide_plan_rows()) == 8
    assert len(guide_habits()) == 5
    assert len(guide_self_assessments()) == 3


# --- exercises: the catalogue ---------------------------------------------------------------


def test_guide_is_the_verbatim_copy_its_note_describes() -> None:
    """The guide is quoted, never edited: its hash is the one recorded beside it."""
    note = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert hashlib.sha256(GUIDE_PATH.read_bytes()).hexdigest() in note


def test_catalogue_lists_the_expected_exercises_in_guide_order(content: Content) -> None:
    assert [item.slug for item in content.exercises] == [
        *MOBILITY_DRILLS,
        "glute-bridge",
        "glute-bridge-march",
        "clamshell",
        "hip-hinge-deadlift",
        "pallof-press",
        *MICRO_BREAKS,
        "diaphragmatic-breathing",
        "guided-meditation",
        "walking",
        "cycling",
        *EVENING_STRETCHES,
    ]


def test_every_exercise_source_text_occurs_in_guide(content: Content) -> None:
    guide = normalise(guide_text())
    for item in content.exercises:
        assert normalise(item.source_text) in guide, item.slug


def test_every_exercise_source_section_is_a_guide_heading(content: Content) -> None:
    lines = set(guide_lines())
    for item in content.exercises:
        assert item.source_section in HEADINGS, item.slug
        assert item.source_section in lines, item.slug


def test_every_exercise_cautions_against_sharp_pain(content: Content) -> None:
    for item in content.exercises:
        assert SHARP_PAIN_CAUTION in item.cautions, item.slug


def test_every_exercise_is_listed_by_each_of_its_sessions(content: Content) -> None:
    sessions = {session.kind: session for session in content.guidance.sessions}
    assert set(sessions) == set(SessionKind)
    for item in content.exercises:
        for kind in item.sessions:
            assert item.slug in sessions[kind].exercises, (item.slug, kind)


def test_estimated_durations_are_flagged(content: Content) -> None:
    for item in content.exercises:
        if item.category in {Category.mobility, Category.strength, Category.flexibility}:
            assert item.dose.duration_is_estimate, item.slug
        else:
            assert not item.dose.duration_is_estimate, item.slug


# --- exercises: the guide's doses -----------------------------------------------------------


def test_mobility_drills_are_daily_with_8_to_12_slow_reps(content: Content) -> None:
    assert [i.slug for i in content.exercises if i.category == Category.mobility] == list(
        MOBILITY_DRILLS
    )
    for slug in MOBILITY_DRILLS:
        dose = exercise(content, slug).dose
        assert dose.frequency.times_per_week == count(7), slug
        assert "5–10 minutes" in dose.text, slug
        if slug != "deep-squat-hold":
            assert dose.reps == count(8, 12), slug
            assert "8–12 slow, controlled repetitions" in dose.text, slug
    assert exercise(content, "hip-flexor-lunge-stretch").dose.per_side


def test_morning_mobility_fits_five_to_ten_minutes(content: Content) -> None:
    session = next(s for s in content.guidance.sessions if s.kind == "morning_mobility")
    assert session.duration_minutes == minutes(5, 10)
    assert session.exercises == list(MOBILITY_DRILLS)
    durations = [exercise(content, slug).dose.duration_minutes for slug in MOBILITY_DRILLS]
    assert sum(d.minimum for d in durations) >= 5
    assert sum(d.maximum for d in durations) <= 10


def test_deep_squat_hold_is_held_20_to_30_seconds(content: Content) -> None:
    dose = exercise(content, "deep-squat-hold").dose
    assert dose.hold_seconds == count(20, 30)
    assert "Hold 20–30 seconds" in dose.text


def test_glute_bridge_march_is_2_to_3_sets_of_10_marches_per_side(content: Content) -> None:
    dose = exercise(content, "glute-bridge-march").dose
    assert (dose.sets, dose.reps, dose.per_side) == (count(2, 3), count(10), True)
    assert dose.text == "2–3×10 marches per side"


def test_clamshell_is_2_sets_of_12_per_side(content: Content) -> None:
    dose = exercise(content, "clamshell").dose
    assert (dose.sets, dose.reps, dose.per_side) == (count(2), count(12), True)
    assert dose.text == "2×12 reps per side"


def test_hip_hinge_deadlift_is_2_sets_of_10_with_light_weights_or_household_object(
    content: Content,
) -> None:
    item = exercise(content, "hip-hinge-deadlift")
    assert (item.dose.sets, item.dose.reps, item.dose.per_side) == (count(2), count(10), False)
    assert item.equipment == ["light_weights", "household_object"]


def test_pallof_press_is_2_to_3_sets_of_10_per_side_with_resistance_band(
    content: Content,
) -> None:
    item = exercise(content, "pallof-press")
    assert (item.dose.sets, item.dose.reps, item.dose.per_side) == (count(2, 3), count(10), True)
    assert item.equipment == ["resistance_band"]
    assert "chest height" in " ".join(item.steps)


def test_plain_glute_bridge_comes_from_the_bridge_test_and_says_its_dose_is_not_the_guides(
    content: Content,
) -> None:
    item = exercise(content, "glute-bridge")
    assert item.source_section == "Quick Self-Assessments"
    assert item.source_text == "Lie on your back, knees bent. Lift hips into a bridge."
    assert item.progressions == ["glute-bridge-march"]
    assert exercise(content, "glute-bridge-march").regressions == ["glute-bridge"]
    assert (item.dose.sets, item.dose.reps) == (count(2, 3), count(10))
    assert item.dose.frequency.times_per_week == count(3)
    assert "does not set a separate dose" in item.dose.text


def test_strength_exercises_are_three_times_per_week(content: Content) -> None:
    strength = [item for item in content.exercises if item.category == Category.strength]
    assert len(strength) == 5
    for item in strength:
        assert item.dose.frequency.times_per_week == count(3), item.slug
        assert item.sessions == ["strength"], item.slug


def test_strength_cue_on_every_strength_exercise(content: Content) -> None:
    assert STRENGTH_CUE in normalise(guide_text())
    for item in content.exercises:
        if item.category == Category.strength:
            assert STRENGTH_CUE in item.cues, item.slug


def test_micro_breaks_take_under_a_minute_every_30_to_45_minutes_of_sitting(
    content: Content,
) -> None:
    assert [i.slug for i in content.exercises if i.category == Category.micro_break] == list(
        MICRO_BREAKS
    )
    for slug in MICRO_BREAKS:
        dose = exercise(content, slug).dose
        assert dose.duration_minutes.maximum <= 1, slug
        assert not dose.duration_is_estimate, slug
        assert dose.frequency.every_minutes_of_sitting == count(30, 45), slug


def test_micro_breaks_are_per_side_where_the_guide_switches_sides(content: Content) -> None:
    per_side = {slug: exercise(content, slug).dose.per_side for slug in MICRO_BREAKS}
    assert per_side == {
        "hip-circles": True,
        "seated-hip-opener": True,
        "standing-thoracic-rotation": True,
        "body-weight-squat": False,
        "childs-pose-variation": True,
    }


def test_body_weight_squat_is_8_to_10_reps_and_leads_to_the_deep_squat_hold(
    content: Content,
) -> None:
    item = exercise(content, "body-weight-squat")
    assert item.dose.reps == count(8, 10)
    assert item.sessions == ["micro_break", "strength"]
    assert item.progressions == ["deep-squat-hold"]
    assert exercise(content, "deep-squat-hold").regressions == ["body-weight-squat"]


def test_walking_and_cycling_are_20_to_30_minutes_4_times_a_week(content: Content) -> None:
    for slug in ("walking", "cycling"):
        item = exercise(content, slug)
        assert item.category == Category.cardio, slug
        assert item.dose.duration_minutes == minutes(20, 30), slug
        assert not item.dose.duration_is_estimate, slug
        assert item.dose.frequency.times_per_week == count(4), slug
    assert exercise(content, "walking").equipment == []
    assert exercise(content, "cycling").equipment == ["bicycle"]


def test_breathing_and_meditation_take_five_minutes(content: Content) -> None:
    for slug in ("diaphragmatic-breathing", "guided-meditation"):
        item = exercise(content, slug)
        assert item.category == Category.breathing, slug
        assert item.dose.duration_minutes == minutes(5), slug
        assert not item.dose.duration_is_estimate, slug
        assert "mind_body" in item.sessions, slug


def test_evening_stretches_say_the_guide_sets_no_evening_dose(content: Content) -> None:
    for slug in EVENING_STRETCHES:
        item = exercise(content, slug)
        assert item.category == Category.flexibility, slug
        assert item.sessions == ["evening_flexibility"], slug
        assert item.dose.hold_seconds == count(20, 30), slug
        assert item.dose.per_side, slug
        assert item.dose.duration_is_estimate, slug
        assert "The guide sets no dose" in item.dose.text, slug
        assert item.source_text == "Evening flexibility & release | Daily", slug


# --- guidance ----------------------------------------------------------------------------------


def test_every_guidance_source_text_occurs_in_guide(content: Content) -> None:
    guide = normalise(guide_text())
    for item in guidance_items(content):
        assert normalise(item.source_text) in guide, item


def test_every_guidance_source_section_is_a_guide_heading(content: Content) -> None:
    for item in guidance_items(content):
        assert item.source_section in HEADINGS, item


def test_faq_answers_are_the_guides_verbatim(content: Content) -> None:
    data = [(entry.question, entry.answer) for entry in content.guidance.faq]
    assert data == guide_faq()
    answers = " ".join(answer for _, answer in data)
    assert "ice (up to 15 minutes)" in answers
    assert "heat (15–20 minutes)" in answers
    assert "every 30–45 minutes" in answers


def test_plan_template_is_the_guides_eight_rows_in_order(content: Content) -> None:
    weeks = content.guidance.plan_template
    assert [(week.focus, week.frequency.text) for week in weeks] == guide_plan_rows()
    assert [week.frequency.times_per_week for week in weeks] == [
        count(7),
        count(3),
        count(3),
        count(4),
        count(3),
        count(7),
        None,
        None,
    ]
    assert weeks[0].frequency.text == "Mobilizers daily; micro-breaks hourly"
    assert weeks[3].frequency.text == "4× per week, 20–30 min"


def test_plan_template_introduces_each_session_once(content: Content) -> None:
    added = [kind for week in content.guidance.plan_template for kind in week.adds_sessions]
    assert sorted(added) == sorted(SessionKind)
    by_week = {week.week: week.adds_sessions for week in content.guidance.plan_template}
    assert by_week[1] == ["morning_mobility", "micro_break"]
    assert by_week[2] == ["strength"]
    assert by_week[4] == ["cardio"]
    assert by_week[6] == ["evening_flexibility"]


def test_plan_template_features_the_exercises_each_row_names(content: Content) -> None:
    featured = {week.week: week.featured_exercises for week in content.guidance.plan_template}
    assert featured[1] == [*MOBILITY_DRILLS, *MICRO_BREAKS]
    assert featured[2] == ["pallof-press", "glute-bridge"]
    assert featured[3] == ["clamshell", "body-weight-squat"]
    assert featured[4] == ["walking", "cycling"]
    assert featured[5] == ["glute-bridge-march", "hip-hinge-deadlift"]


def test_habits_are_the_guides_five(content: Content) -> None:
    habits = content.guidance.habits
    guide = guide_habits()
    assert [habit.name for habit in habits] == list(guide)
    assert [habit.slug for habit in habits] == [
        "desk-setup",
        "chair-breaks",
        "driving",
        "footwear",
        "mind-body",
    ]
    for habit in habits:
        assert habit.source_text == f"{habit.name}: {guide[habit.name]}"
    covered = {slug for week in content.guidance.plan_template for slug in week.habit_focus}
    assert covered == {habit.slug for habit in habits}


def test_self_assessments_are_the_guides_three_tests(content: Content) -> None:
    tests = {test.name: test for test in content.guidance.self_assessments}
    guide = guide_self_assessments()
    assert list(tests) == list(guide)
    for name, text in guide.items():
        assert tests[name].poor_result_indicates in text
        assert text.endswith(tests[name].poor_result_indicates)
    assert tests["Hip Extension Test"].poor_result_indicates == (
        "Pain or inability indicates hip or core restrictions."
    )
    assert tests["Seated Rotation Test"].poor_result_indicates == (
        "Limited rotation suggests hip or thoracic stiffness."
    )
    assert tests["Bridge Test"].poor_result_indicates == (
        "If you feel strain in the lower back before glute activation, your hips or core need work."
    )
    assert [test.sides for test in tests.values()] == [["left", "right"], ["right", "left"], []]


def test_red_flags_are_numbness_weakness_and_bladder_bowel_changes(content: Content) -> None:
    flags = content.guidance.red_flags
    assert [flag.slug for flag in flags] == ["numbness", "weakness", "bladder-bowel-changes"]
    for flag in flags:
        assert flag.source == "the guide"
        assert flag.source_section == "Frequently Asked Questions"
        assert "(numbness, weakness, bladder/bowel changes)" in flag.source_text


def test_safety_rules_cover_pain_time_limit_red_flags_and_control(content: Content) -> None:
    rules = {rule.slug: rule.rule for rule in content.guidance.safety_rules}
    assert {
        "skip-sharp-pain",
        "six-weeks-professional-evaluation",
        "red-flags-seek-care",
        "control-the-motion",
    } <= set(rules)
    assert rules["skip-sharp-pain"].startswith(SHARP_PAIN_CAUTION)
    assert "six weeks" in rules["six-weeks-professional-evaluation"]
    assert "numbness, weakness, bladder/bowel changes" in rules["red-flags-seek-care"]
    assert rules["control-the-motion"] == STRENGTH_CUE


def test_progress_log_advice_is_the_guides(content: Content) -> None:
    assert content.guidance.progress_log_advice.source_text == (
        "Keep a simple log noting pain levels (0–10), hip mobility, and which movements bring the"
        " most relief. Adjust intensity to match your progress."
    )


# --- the loader ------------------------------------------------------------------------------


def test_dataset_version_is_stable_across_loads() -> None:
    assert load_content().version == load_content().version


def test_dataset_version_changes_when_a_dose_changes(tmp_path: Path) -> None:
    def edit(exercises: dict[str, Any]) -> None:
        exercises["clamshell"]["dose"]["reps"] = {"minimum": 15, "maximum": 15}

    changed = load_content(broken_copy(tmp_path, edit))

    assert exercise(changed, "clamshell").dose.reps == count(15)
    assert changed.version != load_content().version


def test_loader_rejects_an_unknown_key(tmp_path: Path) -> None:
    def edit(exercises: dict[str, Any]) -> None:
        exercises["clamshell"]["colour"] = "red"

    with pytest.raises(ValidationError, match="colour"):
        load_content(broken_copy(tmp_path, edit))


def test_loader_rejects_a_dangling_progression(tmp_path: Path) -> None:
    def edit(exercises: dict[str, Any]) -> None:
        exercises["clamshell"]["progressions"] = ["hip-twirl"]

    with pytest.raises(ContentError, match="'hip-twirl' is not an exercise"):
        load_content(broken_copy(tmp_path, edit))


def test_loader_rejects_a_non_mutual_link(tmp_path: Path) -> None:
    def edit(exercises: dict[str, Any]) -> None:
        exercises["glute-bridge-march"]["regressions"] = []

    with pytest.raises(ContentError, match="glute-bridge-march: must list 'glute-bridge'"):
        load_content(broken_copy(tmp_path, edit))
