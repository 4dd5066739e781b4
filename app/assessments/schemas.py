"""Assessment answers, the scoring result, and the ruleset's data-file shape.

The answers are typed per test, so a wrong side, an unknown test or a value outside the
guide's vocabulary is a 422 naming the field. Nothing is guessed: every test is answered or
explicitly ``"skipped"``, and every red-flag question is answered. All of it is expressed in
the JSON Schema itself, so clients can validate before sending.
"""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StrictBool, StringConstraints

from app.catalogue import Category, Dose, Side, Slug, StrictModel, Target, Text
from app.core.types import JsonInt, NamedSchema

FINDING_CODE_SCHEMA = "FindingCode"
# One named schema wherever a finding is referred to by its code; the contract lists the codes
# the loaded ruleset can produce as its enum (``app.assessments.openapi``), since they are data.
FindingCode = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z_]+(\.[a-z_]+)*$", max_length=80),
    NamedSchema(
        FINDING_CODE_SCHEMA,
        {
            "type": "string",
            "description": "A finding's stable code: what a result found, and on which side.",
            "examples": ["hip_extension.restricted.left"],
        },
    ),
]
RuleId = Annotated[str, StringConstraints(pattern=r"^[A-Z]+-[0-9]+$", max_length=16)]
RESULT_TOKEN_MAX_LENGTH = 4096


class TestName(StrEnum):
    hip_extension = "hip_extension"
    seated_rotation = "seated_rotation"
    bridge = "bridge"


class HipExtensionResult(StrEnum):
    normal = "normal"
    restricted = "restricted"
    painful = "painful"


class RotationResult(StrEnum):
    normal = "normal"
    tighter = "tighter"
    limited = "limited"
    painful = "painful"


class BridgeResult(StrEnum):
    glutes_first = "glutes_first"
    lumbar_before_glutes = "lumbar_before_glutes"
    unable = "unable"
    painful = "painful"


class HipExtensionAnswer(StrictModel):
    """Per leg lifted: `normal` (lifts without arching the lower back), `restricted` (cannot
    lift without arching, or cannot lift), `painful` (lifting hurts)."""

    left: HipExtensionResult
    right: HipExtensionResult


class SeatedRotationAnswer(StrictModel):
    """Per rotation direction: `normal`, `tighter` (feels tighter than the other way),
    `limited` (clearly limited range), `painful`. `tighter` both ways means no side difference:
    there is no `tighter_side` and neither side gets more work than the other."""

    right: RotationResult
    left: RotationResult


class BridgeAnswer(StrictModel):
    """`glutes_first` (glutes work before any low-back strain), `lumbar_before_glutes` (strain
    in the lower back before the glutes activate), `unable`, `painful`."""

    result: BridgeResult


Skipped = Literal["skipped"]


class TestAnswers(StrictModel):
    """Every test is required: answer it, or send `"skipped"` to score a partial assessment."""

    hip_extension: HipExtensionAnswer | Skipped
    seated_rotation: SeatedRotationAnswer | Skipped
    bridge: BridgeAnswer | Skipped


class Intake(StrictModel):
    pain_now: JsonInt = Field(
        ge=0, le=10, description="Current pain on the 0-10 numeric rating scale (NPRS)."
    )
    pain_weeks: JsonInt = Field(ge=0, le=520, description="How many weeks the pain has lasted.")
    sharp_or_shooting_pain: StrictBool = Field(
        description="Does any movement cause sharp or shooting pain?"
    )


class RedFlagAnswers(StrictModel):
    """Every question must be answered; see `GET /v1/assessments` for the wording, the triage
    each answer gives and the sources."""

    numbness: StrictBool
    weakness: StrictBool
    bladder_or_bowel_changes: StrictBool
    saddle_numbness: StrictBool
    urinary_difficulty_or_incontinence: StrictBool
    progressive_leg_weakness: StrictBool
    both_legs_affected: StrictBool
    serious_accident: StrictBool
    fever_or_unwell: StrictBool
    unexplained_weight_loss: StrictBool
    history_of_cancer: StrictBool
    constant_night_pain: StrictBool


class AssessmentAnswers(StrictModel):
    tests: TestAnswers
    intake: Intake
    red_flags: RedFlagAnswers


# --- result ------------------------------------------------------------------------------------


class TriageLevel(StrEnum):
    """Most urgent first. `emergency`: same-day emergency care (the cauda-equina signs);
    `urgent`: prompt medical assessment (the other red flags); both mean no exercise plan.
    `see_professional`: gentle mobility only until a professional has assessed;
    `self_care`: the routine at a comfortable level."""

    emergency = "emergency"
    urgent = "urgent"
    see_professional = "see_professional"
    self_care = "self_care"

    @property
    def blocks_exercise(self) -> bool:
        return self in (TriageLevel.emergency, TriageLevel.urgent)


class TestStatus(StrEnum):
    normal = "normal"
    tighter = "tighter"
    restricted = "restricted"
    painful = "painful"
    not_scored = "not_scored"


class TestResult(StrictModel):
    test: TestName
    status: TestStatus = Field(description="The worst result across sides.")
    sides: dict[Side, TestStatus] = Field(
        description="Per side, for tests done per side; empty otherwise."
    )
    affected_sides: list[Side] = Field(
        description="Sides that are restricted, tighter or painful (more than one when both)."
    )
    tighter_side: Side | None = Field(
        description="Seated rotation: the direction that is worse when only one is."
    )


class Finding(StrictModel):
    code: FindingCode
    rule_id: RuleId
    test: TestName | None
    side: Side | None
    summary: Text
    targets: list[Target]
    source: Text


class TargetArea(StrictModel):
    area: Target
    rank: int = Field(ge=1)
    weight: int = Field(ge=1, description="How many findings point at this area.")
    findings: list[FindingCode]


class RecommendationReason(StrictModel):
    finding: FindingCode
    rule_id: RuleId
    text: Text


class Recommendation(StrictModel):
    rank: int = Field(ge=1)
    slug: Slug
    name: Text
    category: Category
    dose: Dose
    reasons: list[RecommendationReason] = Field(min_length=1)


class ScoreComponent(StrictModel):
    test: TestName
    side: Side | None
    answer: str
    points: int = Field(ge=0)
    max_points: int = Field(ge=1)


class ScoreStatus(StrEnum):
    scored = "scored"
    not_scored = "not_scored"
    not_applicable = "not_applicable"


class HipSpineScore(StrictModel):
    status: ScoreStatus = Field(
        description="`not_scored` when every test was skipped; `not_applicable` with an "
        "emergency or urgent triage, when no score is given beside the red flag."
    )
    value: int | None = Field(ge=0, le=100, description="Null unless `status` is `scored`.")
    formula: Text
    earned: int = Field(ge=0)
    possible: int = Field(ge=0)
    components: list[ScoreComponent]


class TriageReason(StrictModel):
    rule_id: RuleId
    finding: FindingCode | None
    text: Text = Field(description="The answer that set the triage, in plain words.")


class Triage(StrictModel):
    level: TriageLevel
    reasons: list[TriageReason] = Field(
        description="Every answer that set this level; empty for `self_care`."
    )
    advice: Text = Field(description="What to do; the first sentence says it.")


class AssessmentResult(StrictModel):
    ruleset_version: str = Field(examples=["1-5b7e0c2d9a11"])
    dataset_version: str = Field(examples=["1-2f707157041b"])
    triage: Triage
    tests: list[TestResult]
    not_scored: list[TestName]
    findings: list[Finding]
    target_areas: list[TargetArea]
    recommendations: list[Recommendation]
    score: HipSpineScore
    disclaimer: Text


class ScoredAssessment(AssessmentResult):
    result_token: str = Field(
        max_length=RESULT_TOKEN_MAX_LENGTH,
        description="This result, signed by the server: send it back as "
        '`{"kind": "result_token", "token": ...}` to plan from it without sending the answers '
        "again. It holds the triage, the findings and the pain, and is valid while "
        "`ruleset_version` and `dataset_version` are current.",
    )


# --- definitions -------------------------------------------------------------------------------


class AnswerOption(StrictModel):
    value: str
    meaning: Text
    points: int = Field(ge=0)


class TestDefinition(StrictModel):
    test: TestName
    name: Text
    guide_slug: Slug
    instructions: list[Text]
    sides: list[Side] = Field(description="Answer each of these separately; empty if not per side.")
    answers: list[AnswerOption]
    max_points: int = Field(ge=1, description="Per side for tests done per side.")
    poor_result_indicates: Text
    source_section: Text


class Question(StrictModel):
    field: str = Field(description="The answer's field name in the request.")
    question: Text
    answer: Text
    source: Text


class RedFlagQuestionPublic(StrictModel):
    field: str = Field(description="The answer's field name under `red_flags`.")
    rule_id: RuleId
    level: TriageLevel = Field(description="The triage a yes gives: emergency or urgent.")
    question: Text
    source: Text = Field(description="The guide, or NICE and the NHS for the other flags.")


class TriageRulePublic(StrictModel):
    """A rule that sets the triage from the intake answers or the test results."""

    rule_id: RuleId
    level: TriageLevel
    finding: FindingCode
    summary: Text
    source: Text
    review: Text | None = Field(
        description="Set when no public source states the rule as written: it needs a "
        "clinician's review."
    )


class AssessmentDefinitions(StrictModel):
    ruleset_version: str
    dataset_version: str
    tests: list[TestDefinition]
    intake_questions: list[Question]
    red_flags: list[RedFlagQuestionPublic]
    triage_rules: list[TriageRulePublic]
    score_formula: Text
    disclaimer: Text
