"""The scoring core, pure: answers in, result out, checked against the guide and the ruleset.

The guide (Quick Self-Assessments, Frequently Asked Questions) is the yardstick: a leg that cannot
lift without arching, rotation tighter to one side, low-back strain before the glutes work, pain
beyond six weeks, sharp or shooting pain, and the red flags that mean seeking care promptly;
NICE NG59 and the NHS for the emergency signs and the other serious-pathology flags.
"""

import math
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.assessments import schemas
from app.assessments.ruleset import ANSWER_VALUES, PER_SIDE_TESTS
from app.assessments.schemas import (
    AssessmentAnswers,
    AssessmentResult,
    RecommendationReason,
    ScoreStatus,
    TriageLevel,
    TriageReason,
)
from app.assessments.scoring import red_flag_triage, score, with_reported_pain
from app.assessments.service import Assessments
from app.catalogue.content import Content
from app.catalogue.schemas import Category, Difficulty, Side
from app.catalogue.snapshot import CatalogueSnapshot
from tests.assessments.strategies import (
    NO_RED_FLAGS,
    RED_FLAG_FIELDS,
    assessment_answers,
    seeing_a_professional,
    with_a_red_flag,
    without_red_flags,
)

Scorer = Callable[[AssessmentAnswers], AssessmentResult]
NORMAL_ANSWER = {
    schemas.TestName.hip_extension: "normal",
    schemas.TestName.seated_rotation: "normal",
    schemas.TestName.bridge: "glutes_first",
}
WORSE_ANSWERS = {
    test: sorted(values - {NORMAL_ANSWER[test]}) for test, values in ANSWER_VALUES.items()
}
GENTLE_CATEGORIES = {
    Category.mobility,
    Category.micro_break,
    Category.flexibility,
    Category.breathing,
}
PROPERTY = settings(max_examples=200, deadline=None)


@pytest.fixture(scope="module")
def assessments() -> Assessments:
    return Assessments.load()


@pytest.fixture(scope="module")
def catalogue(content: Content) -> CatalogueSnapshot:
    return CatalogueSnapshot(
        version=content.version, exercises=content.exercises, guidance=content.guidance
    )


@pytest.fixture(scope="module")
def scorer(assessments: Assessments, catalogue: CatalogueSnapshot) -> Scorer:
    def run(answers: AssessmentAnswers) -> AssessmentResult:
        return score(
            answers, ruleset=assessments.ruleset, version=assessments.version, catalogue=catalogue
        )

    return run


def _per_side(overrides: dict[str, str] | str | None) -> dict[str, str] | str:
    if isinstance(overrides, str):
        return overrides
    return {"left": "normal", "right": "normal", **(overrides or {})}


def make_answers(
    *,
    hip_extension: dict[str, str] | str | None = None,
    seated_rotation: dict[str, str] | str | None = None,
    bridge: str = "glutes_first",
    pain_now: int = 0,
    pain_weeks: int = 0,
    sharp: bool = False,
    red_flags: Iterable[str] = (),
) -> AssessmentAnswers:
    """All normal, no pain, no red flag, except what is given. Per-side tests take the sides
    that differ from normal, or ``"skipped"``; the bridge takes its result or ``"skipped"``."""
    flagged = set(red_flags)
    return AssessmentAnswers.model_validate(
        {
            "tests": {
                "hip_extension": _per_side(hip_extension),
                "seated_rotation": _per_side(seated_rotation),
                "bridge": bridge if bridge == "skipped" else {"result": bridge},
            },
            "intake": {
                "pain_now": pain_now,
                "pain_weeks": pain_weeks,
                "sharp_or_shooting_pain": sharp,
            },
            "red_flags": {field: field in flagged for field in RED_FLAG_FIELDS},
        }
    )


def result_for(result: AssessmentResult, test: schemas.TestName) -> schemas.TestResult:
    return next(item for item in result.tests if item.test is test)


def is_gentle(category: str, difficulty: Difficulty) -> bool:
    return category in GENTLE_CATEGORIES and difficulty is Difficulty.beginner


# --- every rule ---------------------------------------------------------------------------------


def _rule_case(rule_id: str, answers: dict[str, Any], code: str, side: str | None) -> Any:
    return pytest.param(rule_id, answers, code, side, id=f"{rule_id}-{side or 'bridge'}")


TEST_RULE_CASES = [
    _rule_case(
        "HE-1", {"hip_extension": {"left": "restricted"}}, "hip_extension.restricted.left", "left"
    ),
    _rule_case(
        "HE-1",
        {"hip_extension": {"right": "restricted"}},
        "hip_extension.restricted.right",
        "right",
    ),
    _rule_case(
        "HE-2", {"hip_extension": {"left": "painful"}}, "hip_extension.painful.left", "left"
    ),
    _rule_case(
        "HE-2", {"hip_extension": {"right": "painful"}}, "hip_extension.painful.right", "right"
    ),
    _rule_case(
        "SR-1", {"seated_rotation": {"right": "tighter"}}, "rotation.tighter_right", "right"
    ),
    _rule_case("SR-1", {"seated_rotation": {"left": "tighter"}}, "rotation.tighter_left", "left"),
    _rule_case(
        "SR-2", {"seated_rotation": {"right": "limited"}}, "rotation.limited_right", "right"
    ),
    _rule_case("SR-2", {"seated_rotation": {"left": "limited"}}, "rotation.limited_left", "left"),
    _rule_case(
        "SR-3", {"seated_rotation": {"right": "painful"}}, "rotation.painful_right", "right"
    ),
    _rule_case("SR-3", {"seated_rotation": {"left": "painful"}}, "rotation.painful_left", "left"),
    _rule_case("BR-1", {"bridge": "lumbar_before_glutes"}, "bridge.lumbar_before_glutes", None),
    _rule_case("BR-2", {"bridge": "unable"}, "bridge.unable", None),
    _rule_case("BR-3", {"bridge": "painful"}, "bridge.painful", None),
]
INTAKE_RULE_CASES = [
    pytest.param("IN-1", {"pain_weeks": 7}, "intake.pain_beyond_six_weeks", id="IN-1-7-weeks"),
    pytest.param("IN-1", {"pain_weeks": 520}, "intake.pain_beyond_six_weeks", id="IN-1-520-weeks"),
    pytest.param("IN-2", {"sharp": True}, "intake.sharp_or_shooting_pain", id="IN-2"),
    pytest.param("IN-3", {"pain_now": 7}, "intake.high_pain", id="IN-3-pain-7"),
    pytest.param("IN-3", {"pain_now": 10}, "intake.high_pain", id="IN-3-pain-10"),
    pytest.param("IN-4", {"pain_now": 9}, "intake.very_severe_pain", id="IN-4-pain-9"),
    pytest.param("IN-4", {"pain_now": 10}, "intake.very_severe_pain", id="IN-4-pain-10"),
    pytest.param(
        "IN-5",
        {
            "hip_extension": {"left": "painful"},
            "seated_rotation": {"right": "painful"},
            "bridge": "painful",
        },
        "intake.every_test_painful",
        id="IN-5-three-tests",
    ),
    pytest.param(
        "IN-5",
        {"hip_extension": {"right": "painful"}, "seated_rotation": "skipped", "bridge": "painful"},
        "intake.every_test_painful",
        id="IN-5-two-tests",
    ),
]
RED_FLAG_CASES = [
    pytest.param(f"RF-{number}", field, id=f"RF-{number}-{field}")
    for number, field in enumerate(RED_FLAG_FIELDS, start=1)
]


class TestEveryRule:
    def test_the_cases_below_cover_every_rule_id(self, assessments: Assessments) -> None:
        ruleset = assessments.ruleset
        expected = {
            *(rule.id for rule in ruleset.test_rules),
            *(rule.id for rule in ruleset.intake_rules.all()),
            *(flag.rule_id for flag in ruleset.red_flags),
            ruleset.test_movements.rule_id,
            ruleset.maintenance.rule_id,
        }

        covered = {
            str(case.values[0]) for case in [*TEST_RULE_CASES, *INTAKE_RULE_CASES, *RED_FLAG_CASES]
        }

        # PM-1 and GEN-1 are covered by TestPainfulMovements and the maintenance test below.
        assert covered | {"PM-1", "GEN-1"} == expected

    @pytest.mark.parametrize(("rule_id", "answers", "code", "side"), TEST_RULE_CASES)
    def test_test_rule_gives_its_finding(
        self, scorer: Scorer, rule_id: str, answers: dict[str, Any], code: str, side: str | None
    ) -> None:
        result = scorer(make_answers(**answers))

        assert [(f.code, f.rule_id, f.side) for f in result.findings] == [(code, rule_id, side)]
        assert result.triage.level is TriageLevel.self_care

    @pytest.mark.parametrize(("rule_id", "intake", "code"), INTAKE_RULE_CASES)
    def test_intake_rule_gives_its_finding(
        self, scorer: Scorer, rule_id: str, intake: dict[str, Any], code: str
    ) -> None:
        result = scorer(make_answers(**intake))

        general = [(f.code, f.rule_id, f.test, f.side) for f in result.findings if f.test is None]
        assert (code, rule_id, None, None) in general

    def test_six_weeks_of_pain_is_not_beyond_six_weeks(self, scorer: Scorer) -> None:
        result = scorer(make_answers(pain_weeks=6))

        assert result.findings == []
        assert result.triage.level is TriageLevel.self_care

    def test_pain_six_of_ten_is_not_high(self, scorer: Scorer) -> None:
        result = scorer(make_answers(pain_now=6))

        assert result.findings == []

    @pytest.mark.parametrize("pain", [7, 8])
    def test_high_pain_below_nine_stays_self_care(self, scorer: Scorer, pain: int) -> None:
        result = scorer(make_answers(pain_now=pain))

        assert result.triage.level is TriageLevel.self_care
        assert result.triage.reasons == []

    @pytest.mark.parametrize(("rule_id", "field"), RED_FLAG_CASES)
    def test_red_flag_alone_gives_its_rule_and_level(
        self, scorer: Scorer, assessments: Assessments, rule_id: str, field: str
    ) -> None:
        flag = next(f for f in assessments.ruleset.red_flags if f.field == field)

        result = scorer(make_answers(red_flags=[field]))

        assert result.triage.level is flag.level
        assert result.triage.reasons == [
            TriageReason(rule_id=rule_id, finding=f"red_flag.{field}", text=flag.reason)
        ]

    def test_all_normal_gives_the_maintenance_routine(
        self, scorer: Scorer, assessments: Assessments
    ) -> None:
        maintenance = assessments.ruleset.maintenance

        result = scorer(make_answers())

        assert result.findings == []
        assert [r.slug for r in result.recommendations] == maintenance.recommend
        expected_reason = RecommendationReason(
            finding="general.no_restriction_found", rule_id="GEN-1", text=maintenance.text
        )
        assert all(r.reasons == [expected_reason] for r in result.recommendations)


# --- the guide's own descriptions ---------------------------------------------------------------


class TestGuideScenarios:
    @pytest.mark.parametrize("side", ["left", "right"])
    def test_leg_that_cannot_lift_without_arching(
        self, scorer: Scorer, catalogue: CatalogueSnapshot, side: str
    ) -> None:
        result = scorer(make_answers(hip_extension={side: "restricted"}))

        hip = result_for(result, schemas.TestName.hip_extension)
        assert hip.status is schemas.TestStatus.restricted
        assert hip.sides[Side(side)] is schemas.TestStatus.restricted
        assert hip.affected_sides == [Side(side)]
        assert [f.code for f in result.findings] == [f"hip_extension.restricted.{side}"]
        assert {"hip_flexors", "core"} <= {area.area.value for area in result.target_areas}
        first = result.recommendations[0]
        assert first.slug == "hip-flexor-lunge-stretch"
        assert first.reasons == [
            RecommendationReason(
                finding=f"hip_extension.restricted.{side}",
                rule_id="HE-1",
                text=f"The {side} leg cannot lift into extension without arching the lower back.",
            )
        ]
        assert first.dose == catalogue.by_slug["hip-flexor-lunge-stretch"].dose

    @pytest.mark.parametrize("side", ["left", "right"])
    def test_rotation_tighter_to_one_side(self, scorer: Scorer, side: str) -> None:
        result = scorer(make_answers(seated_rotation={side: "tighter"}))

        rotation = result_for(result, schemas.TestName.seated_rotation)
        assert rotation.tighter_side is Side(side)
        assert rotation.status is schemas.TestStatus.tighter
        assert rotation.affected_sides == [Side(side)]
        assert [f.code for f in result.findings] == [f"rotation.tighter_{side}"]
        assert [(a.area.value, a.rank) for a in result.target_areas] == [
            ("hip_rotators", 1),
            ("thoracic_spine", 2),
        ]
        assert result.recommendations[0].slug == "ninety-ninety-hip-switch"

    def test_low_back_strain_before_the_glutes_work(self, scorer: Scorer) -> None:
        result = scorer(make_answers(bridge="lumbar_before_glutes"))

        bridge = result_for(result, schemas.TestName.bridge)
        assert bridge.status is schemas.TestStatus.restricted
        assert bridge.sides == {}
        assert [f.code for f in result.findings] == ["bridge.lumbar_before_glutes"]
        assert [(a.area.value, a.rank) for a in result.target_areas] == [
            ("glutes", 1),
            ("core", 2),
        ]
        assert result.recommendations[0].slug == "glute-bridge"
        assert result.recommendations[0].reasons[0].rule_id == "BR-1"

    @pytest.mark.parametrize(("rule_id", "field"), RED_FLAG_CASES)
    def test_red_flag_means_no_exercises_and_no_score(
        self, scorer: Scorer, rule_id: str, field: str
    ) -> None:
        result = scorer(
            make_answers(
                hip_extension={"left": "restricted"},
                seated_rotation={"right": "tighter"},
                bridge="lumbar_before_glutes",
                red_flags=[field],
            )
        )

        assert result.triage.level in (TriageLevel.emergency, TriageLevel.urgent)
        assert result.recommendations == []
        assert [reason.rule_id for reason in result.triage.reasons] == [rule_id]
        assert result.score.status is ScoreStatus.not_applicable
        assert result.score.value is None
        assert result.score.components == []
        # The findings stay: a clinician reading the result still sees what the tests showed.
        assert len(result.findings) == 3

    def test_every_emergency_sign_is_listed_most_urgent_first(self, scorer: Scorer) -> None:
        result = scorer(make_answers(red_flags=RED_FLAG_FIELDS))

        assert result.triage.level is TriageLevel.emergency
        assert [r.rule_id for r in result.triage.reasons] == [
            "RF-4",
            "RF-5",
            "RF-6",
            "RF-7",
            "RF-8",
        ]
        assert result.recommendations == []


# --- triage -------------------------------------------------------------------------------------

TEST_PROFILES = [
    pytest.param({}, id="all-normal"),
    pytest.param({"hip_extension": {"left": "restricted"}}, id="hip-restricted-left"),
    pytest.param({"hip_extension": {"left": "painful", "right": "painful"}}, id="hip-painful"),
    pytest.param({"seated_rotation": {"right": "tighter"}}, id="rotation-tighter-right"),
    pytest.param({"seated_rotation": {"left": "limited"}}, id="rotation-limited-left"),
    pytest.param({"seated_rotation": {"right": "painful"}}, id="rotation-painful-right"),
    pytest.param({"bridge": "lumbar_before_glutes"}, id="bridge-lumbar_before_glutes"),
    pytest.param({"bridge": "unable"}, id="bridge-unable"),
    pytest.param({"bridge": "painful"}, id="bridge-painful"),
    pytest.param(
        {
            "hip_extension": {"left": "restricted", "right": "painful"},
            "seated_rotation": {"right": "limited", "left": "tighter"},
            "bridge": "lumbar_before_glutes",
        },
        id="everything-poor",
    ),
    pytest.param(
        {"hip_extension": "skipped", "seated_rotation": "skipped", "bridge": "skipped"},
        id="all-skipped",
    ),
]
PROFESSIONAL_INTAKES = [
    pytest.param({"pain_weeks": 7}, id="pain-7-weeks"),
    pytest.param({"pain_weeks": 520}, id="pain-520-weeks"),
    pytest.param({"sharp": True}, id="sharp-pain"),
    pytest.param({"pain_now": 9}, id="pain-9-of-10"),
]


class TestTriage:
    def test_self_care_without_flags_long_pain_or_sharp_pain(
        self, scorer: Scorer, assessments: Assessments
    ) -> None:
        result = scorer(
            make_answers(hip_extension={"right": "restricted"}, pain_now=5, pain_weeks=6)
        )

        assert result.triage.level is TriageLevel.self_care
        assert result.triage.reasons == []
        assert result.triage.advice == assessments.ruleset.advice.self_care
        assert result.recommendations

    def test_pain_beyond_six_weeks_sees_a_professional(
        self, scorer: Scorer, assessments: Assessments
    ) -> None:
        result = scorer(make_answers(pain_weeks=7))

        assert result.triage.level is TriageLevel.see_professional
        assert result.triage.reasons == [
            TriageReason(
                rule_id="IN-1",
                finding="intake.pain_beyond_six_weeks",
                text="Your pain has lasted 7 weeks, longer than six weeks.",
            )
        ]
        assert result.triage.advice == assessments.ruleset.advice.see_professional
        assert result.triage.advice.startswith("See a GP or physiotherapist")

    def test_sharp_or_shooting_pain_sees_a_professional(
        self, scorer: Scorer, assessments: Assessments
    ) -> None:
        result = scorer(make_answers(sharp=True))

        assert result.triage.level is TriageLevel.see_professional
        assert result.triage.reasons == [
            TriageReason(
                rule_id="IN-2",
                finding="intake.sharp_or_shooting_pain",
                text="You said a movement causes sharp or shooting pain.",
            )
        ]

    def test_both_professional_reasons_are_listed(self, scorer: Scorer) -> None:
        result = scorer(make_answers(pain_weeks=12, sharp=True))

        assert [r.rule_id for r in result.triage.reasons] == ["IN-1", "IN-2"]

    @pytest.mark.parametrize("intake", PROFESSIONAL_INTAKES)
    @pytest.mark.parametrize("tests", TEST_PROFILES)
    def test_see_professional_keeps_to_gentle_exercises_and_still_offers_some(
        self,
        scorer: Scorer,
        catalogue: CatalogueSnapshot,
        tests: dict[str, Any],
        intake: dict[str, Any],
    ) -> None:
        """FAQ: "Modify or skip any movement that provokes sharp or shooting pain. Focus on
        gentler mobilizers" — so there are gentle mobilizers to focus on."""
        result = scorer(make_answers(**tests, **intake))

        assert result.triage.level is TriageLevel.see_professional
        assert result.recommendations, "see_professional must still offer gentle mobilizers"
        for recommendation in result.recommendations:
            exercise = catalogue.by_slug[recommendation.slug]
            assert is_gentle(recommendation.category, exercise.difficulty), recommendation.slug

    @pytest.mark.parametrize("intake", PROFESSIONAL_INTAKES)
    def test_a_red_flag_beats_see_professional(
        self, scorer: Scorer, intake: dict[str, Any]
    ) -> None:
        result = scorer(make_answers(**intake, red_flags=["weakness"]))

        assert result.triage.level is TriageLevel.urgent
        assert [r.rule_id for r in result.triage.reasons] == ["RF-2"]
        assert result.recommendations == []

    def test_an_emergency_sign_beats_an_urgent_one(self, scorer: Scorer) -> None:
        result = scorer(make_answers(red_flags=["history_of_cancer", "saddle_numbness"]))

        assert result.triage.level is TriageLevel.emergency
        assert [r.rule_id for r in result.triage.reasons] == ["RF-4"]

    def test_very_severe_pain_sees_a_professional_naming_the_pain(self, scorer: Scorer) -> None:
        result = scorer(make_answers(pain_now=9))

        assert result.triage.level is TriageLevel.see_professional
        assert result.triage.reasons == [
            TriageReason(
                rule_id="IN-4",
                finding="intake.very_severe_pain",
                text="You rated your pain 9 out of 10, which is very severe.",
            )
        ]

    def test_pain_9_with_every_test_painful_is_not_self_care(self, scorer: Scorer) -> None:
        """The issue's persona: both rules apply, and each says which answer set it."""
        result = scorer(
            make_answers(
                hip_extension={"left": "painful", "right": "painful"},
                seated_rotation={"left": "painful", "right": "painful"},
                bridge="painful",
                pain_now=9,
            )
        )

        assert result.triage.level is TriageLevel.see_professional
        assert [(r.rule_id, r.text) for r in result.triage.reasons] == [
            ("IN-4", "You rated your pain 9 out of 10, which is very severe."),
            ("IN-5", "All 3 self-tests you did were painful."),
        ]

    def test_every_test_painful_at_low_pain_sees_a_professional(self, scorer: Scorer) -> None:
        result = scorer(
            make_answers(
                hip_extension={"left": "painful"},
                seated_rotation={"right": "painful"},
                bridge="painful",
                pain_now=3,
            )
        )

        assert result.triage.level is TriageLevel.see_professional
        assert [r.rule_id for r in result.triage.reasons] == ["IN-5"]

    def test_one_painful_test_of_one_done_is_not_every_test(self, scorer: Scorer) -> None:
        result = scorer(
            make_answers(hip_extension="skipped", seated_rotation="skipped", bridge="painful")
        )

        assert result.triage.level is TriageLevel.self_care

    def test_two_painful_tests_and_one_free_is_not_every_test(self, scorer: Scorer) -> None:
        result = scorer(
            make_answers(hip_extension={"left": "painful"}, seated_rotation={"right": "painful"})
        )

        assert result.triage.level is TriageLevel.self_care

    @pytest.mark.parametrize(
        ("level", "first_sentence"),
        [
            (TriageLevel.emergency, "Go to an emergency department now"),
            (TriageLevel.urgent, "Get a medical assessment promptly"),
            (TriageLevel.see_professional, "See a GP or physiotherapist"),
            (TriageLevel.self_care, "Start the routine at a comfortable level"),
        ],
    )
    def test_the_advice_says_what_to_do_first(
        self, assessments: Assessments, level: TriageLevel, first_sentence: str
    ) -> None:
        assert assessments.ruleset.advice.for_level(level).startswith(first_sentence)


class TestReportedPain:
    """A plan request's own pain: the highest reported sets the triage too (IN-4)."""

    def test_very_severe_pain_reported_later_sees_a_professional(
        self, scorer: Scorer, assessments: Assessments
    ) -> None:
        triage = scorer(make_answers(pain_now=2)).triage

        later = with_reported_pain(triage, 10, assessments.ruleset)

        assert later.level is TriageLevel.see_professional
        assert [(r.rule_id, r.text) for r in later.reasons] == [
            ("IN-4", "You rated your pain 10 out of 10, which is very severe.")
        ]

    def test_pain_below_nine_changes_nothing(
        self, scorer: Scorer, assessments: Assessments
    ) -> None:
        triage = scorer(make_answers(pain_now=2)).triage

        assert with_reported_pain(triage, 8, assessments.ruleset) == triage

    def test_a_red_flag_stays_a_red_flag(self, scorer: Scorer, assessments: Assessments) -> None:
        triage = scorer(make_answers(red_flags=["fever_or_unwell"])).triage

        assert with_reported_pain(triage, 10, assessments.ruleset) == triage

    def test_see_professional_gains_the_reason_once(
        self, scorer: Scorer, assessments: Assessments
    ) -> None:
        triage = scorer(make_answers(pain_weeks=8)).triage

        later = with_reported_pain(triage, 9, assessments.ruleset)
        again = with_reported_pain(later, 10, assessments.ruleset)

        assert [r.rule_id for r in later.reasons] == ["IN-1", "IN-4"]
        assert again == later


class TestPainfulMovements:
    """PM-1: a movement that repeats a painful test is never recommended ahead of one that
    does not, and says why it needs care."""

    @pytest.mark.parametrize(
        ("answers", "repeats"),
        [
            (
                {"hip_extension": {"left": "restricted", "right": "painful"}},
                {"hip-flexor-lunge-stretch", "evening-hip-flexor-stretch", "glute-bridge"},
            ),
            (
                {"seated_rotation": {"right": "painful", "left": "limited"}},
                {"standing-thoracic-rotation", "ninety-ninety-hip-switch", "hip-circles"},
            ),
            (
                {"bridge": "painful", "hip_extension": {"left": "restricted"}},
                {"glute-bridge", "glute-bridge-march", "hip-hinge-deadlift"},
            ),
        ],
    )
    def test_movements_that_repeat_the_painful_test_come_last_with_a_caution(
        self, scorer: Scorer, answers: dict[str, Any], repeats: set[str]
    ) -> None:
        result = scorer(make_answers(**answers))

        ranked = [r.slug for r in result.recommendations]
        provoking = [slug for slug in ranked if slug in repeats]
        assert provoking, "the stiff side's own exercises are still recommended"
        assert ranked[0] not in repeats
        assert ranked[-len(provoking) :] == provoking
        for recommendation in result.recommendations:
            cautions = [r for r in recommendation.reasons if r.rule_id == "PM-1"]
            assert bool(cautions) == (recommendation.slug in repeats), recommendation.slug
            assert all("skip it if it hurts" in r.text for r in cautions)

    def test_painful_hip_extension_alone_recommends_no_hip_flexor_stretch(
        self, scorer: Scorer
    ) -> None:
        result = scorer(make_answers(hip_extension={"right": "painful"}))

        assert [r.slug for r in result.recommendations] == [
            "piriformis-release",
            "childs-pose-variation",
            "diaphragmatic-breathing",
        ]


# --- per side -----------------------------------------------------------------------------------


class TestPerSide:
    def test_left_and_right_restrictions_are_told_apart(self, scorer: Scorer) -> None:
        left = scorer(make_answers(hip_extension={"left": "restricted"}))
        right = scorer(make_answers(hip_extension={"right": "restricted"}))

        assert [f.code for f in left.findings] == ["hip_extension.restricted.left"]
        assert [f.code for f in right.findings] == ["hip_extension.restricted.right"]
        assert result_for(left, schemas.TestName.hip_extension).affected_sides == [Side.left]
        assert result_for(right, schemas.TestName.hip_extension).affected_sides == [Side.right]

    def test_both_legs_restricted(self, scorer: Scorer) -> None:
        result = scorer(make_answers(hip_extension={"left": "restricted", "right": "restricted"}))

        hip = result_for(result, schemas.TestName.hip_extension)
        assert hip.affected_sides == [Side.left, Side.right]
        assert hip.sides == {
            Side.left: schemas.TestStatus.restricted,
            Side.right: schemas.TestStatus.restricted,
        }
        assert {f.code for f in result.findings} == {
            "hip_extension.restricted.left",
            "hip_extension.restricted.right",
        }
        first = result.recommendations[0]
        assert {reason.finding for reason in first.reasons} == {
            "hip_extension.restricted.left",
            "hip_extension.restricted.right",
        }

    @pytest.mark.parametrize("value", ["normal", "tighter", "limited", "painful"])
    def test_rotation_equal_both_ways_has_no_tighter_side(self, scorer: Scorer, value: str) -> None:
        result = scorer(make_answers(seated_rotation={"left": value, "right": value}))

        rotation = result_for(result, schemas.TestName.seated_rotation)
        assert rotation.tighter_side is None
        expected_affected = [] if value == "normal" else [Side.left, Side.right]
        assert rotation.affected_sides == expected_affected

    @pytest.mark.parametrize(
        ("right", "left", "tighter_side"),
        [
            ("tighter", "normal", Side.right),
            ("normal", "tighter", Side.left),
            ("tighter", "limited", Side.left),
            ("limited", "tighter", Side.right),
            ("painful", "tighter", Side.right),
            ("limited", "painful", Side.left),
        ],
    )
    def test_worse_rotation_side_is_the_tighter_side(
        self, scorer: Scorer, right: str, left: str, tighter_side: Side
    ) -> None:
        result = scorer(make_answers(seated_rotation={"right": right, "left": left}))

        assert result_for(result, schemas.TestName.seated_rotation).tighter_side is tighter_side

    def test_hip_extension_has_no_tighter_side(self, scorer: Scorer) -> None:
        result = scorer(make_answers(hip_extension={"left": "restricted"}))

        assert result_for(result, schemas.TestName.hip_extension).tighter_side is None


# --- partial assessments ------------------------------------------------------------------------


class TestPartialAssessment:
    @pytest.mark.parametrize(
        ("test", "max_possible"),
        [
            (schemas.TestName.hip_extension, 30),
            (schemas.TestName.seated_rotation, 30),
            (schemas.TestName.bridge, 40),
        ],
    )
    def test_skipped_test_is_not_scored(
        self, scorer: Scorer, test: schemas.TestName, max_possible: int
    ) -> None:
        full = scorer(make_answers())

        skipped: dict[str, Any] = {test.value: "skipped"}
        result = scorer(make_answers(**skipped))

        assert result.not_scored == [test]
        assert result_for(result, test) == schemas.TestResult(
            test=test,
            status=schemas.TestStatus.not_scored,
            sides={},
            affected_sides=[],
            tighter_side=None,
        )
        assert all(component.test is not test for component in result.score.components)
        assert result.score.possible == full.score.possible - max_possible
        assert result.score.earned == full.score.earned - max_possible
        assert result.score.value == 100

    def test_skipped_poor_answer_would_not_lower_the_score(self, scorer: Scorer) -> None:
        partial = scorer(make_answers(hip_extension={"left": "painful"}, bridge="skipped"))

        assert partial.score.earned == 15 + 0 + 30
        assert partial.score.possible == 60
        assert partial.score.value == 75

    def test_all_skipped_has_no_score(self, scorer: Scorer) -> None:
        result = scorer(
            make_answers(hip_extension="skipped", seated_rotation="skipped", bridge="skipped")
        )

        assert result.not_scored == list(schemas.TestName)
        assert result.score.status is ScoreStatus.not_scored
        assert result.score.value is None
        assert (result.score.earned, result.score.possible) == (0, 0)
        assert result.score.components == []
        assert all(item.status is schemas.TestStatus.not_scored for item in result.tests)


# --- the score ----------------------------------------------------------------------------------


class TestScore:
    def test_all_normal_scores_100(self, scorer: Scorer) -> None:
        result = scorer(make_answers())

        assert result.score.value == 100
        assert (result.score.earned, result.score.possible) == (100, 100)

    def test_components_are_published_per_side_and_sum_up(self, scorer: Scorer) -> None:
        result = scorer(
            make_answers(
                hip_extension={"right": "restricted"},
                seated_rotation={"right": "tighter"},
                bridge="lumbar_before_glutes",
            )
        )

        assert [
            (c.test.value, c.side, c.answer, c.points, c.max_points)
            for c in result.score.components
        ] == [
            ("hip_extension", Side.left, "normal", 15, 15),
            ("hip_extension", Side.right, "restricted", 5, 15),
            ("seated_rotation", Side.right, "tighter", 10, 15),
            ("seated_rotation", Side.left, "normal", 15, 15),
            ("bridge", None, "lumbar_before_glutes", 15, 40),
        ]
        assert result.score.earned == sum(c.points for c in result.score.components) == 60
        assert result.score.possible == sum(c.max_points for c in result.score.components) == 100
        assert result.score.value == 60

    def test_worst_answers_score_zero(self, scorer: Scorer) -> None:
        result = scorer(
            make_answers(
                hip_extension={"left": "painful", "right": "painful"},
                seated_rotation={"left": "painful", "right": "painful"},
                bridge="painful",
            )
        )

        assert result.score.value == 0

    def test_value_is_the_rounded_percentage(self, scorer: Scorer) -> None:
        result = scorer(make_answers(hip_extension={"left": "restricted"}, bridge="skipped"))

        assert (result.score.earned, result.score.possible) == (50, 60)
        assert result.score.value == round(100 * 50 / 60) == 83

    def test_pain_does_not_change_the_score(self, scorer: Scorer) -> None:
        calm = scorer(make_answers(seated_rotation={"left": "limited"}))
        painful = scorer(
            make_answers(
                seated_rotation={"left": "limited"}, pain_now=10, pain_weeks=52, sharp=True
            )
        )

        assert painful.score == calm.score
        assert painful.score.status is ScoreStatus.scored

    def test_a_red_flag_leaves_no_number_to_show(self, scorer: Scorer) -> None:
        """No app can show 100/100 beside a cauda-equina sign."""
        result = scorer(make_answers(red_flags=["saddle_numbness"]))

        assert result.score.status is ScoreStatus.not_applicable
        assert (result.score.value, result.score.earned, result.score.possible) == (None, 0, 0)


# --- properties ---------------------------------------------------------------------------------


def with_answer(
    answers: AssessmentAnswers, test: schemas.TestName, side: Side, value: str
) -> AssessmentAnswers:
    """The same answers with one test (on ``side`` if per side) answered ``value``."""
    data = answers.model_dump(mode="json")
    if test in PER_SIDE_TESTS:
        current = data["tests"][test.value]
        sides = {"left": "normal", "right": "normal"} if current == "skipped" else current
        data["tests"][test.value] = {**sides, side.value: value}
    else:
        data["tests"][test.value] = {"result": value}
    return AssessmentAnswers.model_validate(data)


class TestProperties:
    @PROPERTY
    @given(answers=with_a_red_flag())
    def test_any_red_flag_means_no_exercises_and_no_score(
        self, scorer: Scorer, answers: AssessmentAnswers
    ) -> None:
        result = scorer(answers)

        assert result.triage.level in (TriageLevel.emergency, TriageLevel.urgent)
        assert result.recommendations == []
        assert result.score.status is ScoreStatus.not_applicable
        assert result.score.value is None
        assert {r.rule_id for r in result.triage.reasons} <= {f"RF-{n}" for n in range(1, 13)}

    @PROPERTY
    @given(answers=assessment_answers)
    def test_nothing_that_repeats_a_painful_test_comes_first(
        self, scorer: Scorer, assessments: Assessments, answers: AssessmentAnswers
    ) -> None:
        result = scorer(answers)

        painful_tests = {t.test for t in result.tests if t.status is schemas.TestStatus.painful}
        repeats = assessments.ruleset.test_movements.provoking(painful_tests)
        ranked = [r.slug for r in result.recommendations]
        first_repeat = next((i for i, slug in enumerate(ranked) if slug in repeats), len(ranked))
        assert all(slug in repeats for slug in ranked[first_repeat:])

    @PROPERTY
    @given(answers=assessment_answers)
    def test_recommendations_are_catalogue_exercises_at_their_catalogue_dose(
        self, scorer: Scorer, catalogue: CatalogueSnapshot, answers: AssessmentAnswers
    ) -> None:
        result = scorer(answers)

        for recommendation in result.recommendations:
            assert recommendation.slug in catalogue.by_slug
            exercise = catalogue.by_slug[recommendation.slug]
            assert recommendation.dose == exercise.dose
            assert recommendation.name == exercise.name
            assert recommendation.category == exercise.category.value
        assert len({r.slug for r in result.recommendations}) == len(result.recommendations)

    @PROPERTY
    @given(
        answers=without_red_flags,
        test=st.sampled_from(list(schemas.TestName)),
        side=st.sampled_from(list(Side)),
        data=st.data(),
    )
    def test_a_worse_answer_never_raises_the_score(
        self,
        scorer: Scorer,
        answers: AssessmentAnswers,
        test: schemas.TestName,
        side: Side,
        data: st.DataObject,
    ) -> None:
        worse_value = data.draw(st.sampled_from(WORSE_ANSWERS[test]), label="worse answer")
        normal = scorer(with_answer(answers, test, side, NORMAL_ANSWER[test]))
        worse = scorer(with_answer(answers, test, side, worse_value))

        assert normal.not_scored == worse.not_scored
        assert normal.score.possible == worse.score.possible
        assert normal.score.value is not None
        assert worse.score.value is not None
        assert worse.score.earned <= normal.score.earned
        assert worse.score.value <= normal.score.value

    @PROPERTY
    @given(answers=assessment_answers)
    def test_scoring_is_deterministic(self, scorer: Scorer, answers: AssessmentAnswers) -> None:
        copy = AssessmentAnswers.model_validate(answers.model_dump())

        first, second, of_copy = scorer(answers), scorer(answers), scorer(copy)

        assert first == second == of_copy
        assert first.model_dump_json() == second.model_dump_json() == of_copy.model_dump_json()

    @PROPERTY
    @given(answers=assessment_answers)
    def test_ranks_are_contiguous_from_one(
        self, scorer: Scorer, answers: AssessmentAnswers
    ) -> None:
        result = scorer(answers)

        assert [r.rank for r in result.recommendations] == list(
            range(1, len(result.recommendations) + 1)
        )
        assert [a.rank for a in result.target_areas] == list(range(1, len(result.target_areas) + 1))

    @PROPERTY
    @given(answers=seeing_a_professional())
    def test_see_professional_recommends_only_gentle_exercises(
        self, scorer: Scorer, catalogue: CatalogueSnapshot, answers: AssessmentAnswers
    ) -> None:
        result = scorer(answers)

        assert result.triage.level is TriageLevel.see_professional
        for recommendation in result.recommendations:
            exercise = catalogue.by_slug[recommendation.slug]
            assert is_gentle(recommendation.category, exercise.difficulty), recommendation.slug

    @PROPERTY
    @given(answers=without_red_flags)
    def test_score_is_the_rounded_share_of_its_components(
        self, scorer: Scorer, answers: AssessmentAnswers
    ) -> None:
        result = scorer(answers)
        components = result.score.components

        assert result.score.earned == sum(c.points for c in components)
        assert result.score.possible == sum(c.max_points for c in components)
        if result.score.possible:
            share = 100 * result.score.earned / result.score.possible
            assert result.score.value == math.floor(share + 0.5)  # halves round up
        else:
            assert result.score.value is None
        scored = [t for t in schemas.TestName if t not in result.not_scored]
        assert sorted({c.test for c in components}) == sorted(scored)


# --- the red flags of a progress log --------------------------------------------------------


@PROPERTY
@given(answers=with_a_red_flag())
def test_a_logs_red_flags_give_the_assessments_red_flag_triage(
    answers: AssessmentAnswers, assessments: Assessments, catalogue: CatalogueSnapshot
) -> None:
    """A red flag asked again in a progress log gives the triage, reasons and advice the
    assessment gives the same red-flag answers (whatever else the assessment found)."""
    triage = red_flag_triage(answers.red_flags, assessments.ruleset)
    result = score(
        answers,
        ruleset=assessments.ruleset,
        version=assessments.version,
        catalogue=catalogue,
    )

    assert triage is not None
    assert triage.level.blocks_exercise
    assert triage == result.triage


def test_a_log_without_red_flags_has_no_triage(assessments: Assessments) -> None:
    assert red_flag_triage(NO_RED_FLAGS, assessments.ruleset) is None


def test_a_cauda_equina_sign_in_a_log_is_an_emergency_above_an_urgent_flag(
    assessments: Assessments,
) -> None:
    flags = NO_RED_FLAGS.model_copy(
        update={"saddle_numbness": True, "unexplained_weight_loss": True}
    )
    triage = red_flag_triage(flags, assessments.ruleset)

    assert triage is not None
    assert triage.level is TriageLevel.emergency
    assert [reason.finding for reason in triage.reasons] == ["red_flag.saddle_numbness"]
