"""The scoring rules as data: their file shape, validation and version.

``data/ruleset.yaml`` holds every rule with its id and source (the guide, NICE or the NHS), the
points behind the hip-spine score and the triage advice. This module is pure: no database and
no files (``app.assessments.service`` reads the file).
"""

from collections.abc import Iterable
from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from app.assessments.schemas import (
    BridgeResult,
    FindingCode,
    HipExtensionResult,
    RedFlagAnswers,
    RotationResult,
    RuleId,
    TestName,
    TriageLevel,
)
from app.catalogue import Category, Difficulty, Slug, StrictModel, Target, Text
from app.core.versioning import content_version

FORMAT_VERSION = 2

ANSWER_VALUES: dict[TestName, frozenset[str]] = {
    TestName.hip_extension: frozenset(HipExtensionResult),
    TestName.seated_rotation: frozenset(RotationResult),
    TestName.bridge: frozenset(BridgeResult),
}
PER_SIDE_TESTS = frozenset({TestName.hip_extension, TestName.seated_rotation})


class TestScoring(StrictModel):
    test: TestName
    guide_slug: Slug = Field(description="The self-assessment's slug in the catalogue guidance.")
    max_points: int = Field(ge=1, description="Per side for tests done per side.")
    points: dict[str, int] = Field(description="Points for each answer.")
    meanings: dict[str, Text] = Field(description="What each answer means, for the person.")

    @model_validator(mode="after")
    def _points_for_every_answer(self) -> Self:
        expected = ANSWER_VALUES[self.test]
        if set(self.points) != expected or set(self.meanings) != expected:
            raise ValueError(f"{self.test}: points and meanings must cover {sorted(expected)}")
        if max(self.points.values()) != self.max_points or min(self.points.values()) < 0:
            raise ValueError(f"{self.test}: points must lie in 0..max_points and reach it")
        return self


class AnswerRule(StrictModel):
    """A test answer that produces a finding (per side where the test is per side)."""

    id: RuleId
    test: TestName
    answers: list[str] = Field(min_length=1)
    finding: Annotated[str, StringConstraints(pattern=r"^[a-z_.]+(\{side\})?$", max_length=80)] = (
        Field(description="The finding code; `{side}` is replaced by the side.")
    )
    summary: Text = Field(description="`{side}` is replaced by the side.")
    targets: list[Target] = Field(min_length=1)
    recommend: list[Slug] = Field(min_length=1, description="Exercises, best first.")
    source: Text

    @model_validator(mode="after")
    def _answers_exist(self) -> Self:
        unknown = set(self.answers) - ANSWER_VALUES[self.test]
        if unknown:
            raise ValueError(f"{self.id}: unknown answers {sorted(unknown)}")
        if (self.test in PER_SIDE_TESTS) != ("{side}" in self.finding):
            raise ValueError(f"{self.id}: per-side tests, and only they, need {{side}} in the code")
        return self


class IntakeRule(StrictModel):
    id: RuleId
    finding: FindingCode
    summary: Text
    triage: TriageLevel
    reason: Text = Field(
        description="The triage reason, naming the answer: {pain_now}, {pain_weeks} and "
        "{scored_tests} are replaced by the answers."
    )
    source: Text
    review: Text | None = None

    @model_validator(mode="after")
    def _no_red_flag_level(self) -> Self:
        if self.triage.blocks_exercise:
            raise ValueError(f"{self.id}: only red flags give {self.triage.value}")
        return self


class IntakeRules(StrictModel):
    persistent_pain: IntakeRule
    persistent_pain_weeks: int = Field(ge=1, description="Pain lasting longer than this.")
    sharp_or_shooting_pain: IntakeRule
    high_pain: IntakeRule
    high_pain_from: int = Field(ge=0, le=10)
    very_severe_pain: IntakeRule
    very_severe_pain_from: int = Field(ge=0, le=10)
    every_test_painful: IntakeRule
    every_test_painful_min_tests: int = Field(ge=1, le=len(TestName))

    def all(self) -> tuple[IntakeRule, ...]:
        return (
            self.persistent_pain,
            self.sharp_or_shooting_pain,
            self.high_pain,
            self.very_severe_pain,
            self.every_test_painful,
        )


class IntakeQuestion(StrictModel):
    field: str
    question: Text
    answer: Text
    source: Text


class RedFlagQuestion(StrictModel):
    field: str
    rule_id: RuleId
    level: TriageLevel
    question: Text
    reason: Text = Field(description="What the triage says when the answer is yes.")
    source: Text
    review: Text | None = None

    @model_validator(mode="after")
    def _a_red_flag_level(self) -> Self:
        if not self.level.blocks_exercise:
            raise ValueError(f"{self.rule_id}: a red flag is emergency or urgent")
        return self


class Movement(StrictModel):
    exercises: list[Slug] = Field(min_length=1, description="Exercises that repeat the movement.")
    sided: list[Slug] = Field(
        description="Of those, the ones whose per-side work loads the test's side (the leg "
        "lifted, the direction turned)."
    )

    @model_validator(mode="after")
    def _sided_among_exercises(self) -> Self:
        if not set(self.sided) <= set(self.exercises):
            raise ValueError("sided exercises must be among the exercises")
        return self


class TestMovements(StrictModel):
    """PM-1: which exercises repeat each self-test's movement. A painful test makes them
    gentler or leaves them out; a stiff side's extra volume goes only to the `sided` ones."""

    rule_id: RuleId
    text: Text
    source: Text
    review: Text
    tests: dict[TestName, Movement]

    def provoking(self, tests: Iterable[TestName]) -> set[str]:
        """The exercises that repeat any of these tests' movements."""
        return {slug for test in tests for slug in self.tests[test].exercises}


class Maintenance(StrictModel):
    rule_id: RuleId
    finding: FindingCode
    text: Text
    recommend: list[Slug] = Field(min_length=1)
    source: Text


class GentleExercises(StrictModel):
    """What 'gentle mobility' means when triage limits the recommendations."""

    categories: list[Category] = Field(min_length=1)
    difficulties: list[Difficulty] = Field(min_length=1)
    source: Text


class TriageAdvice(StrictModel):
    emergency: Text
    urgent: Text
    see_professional: Text
    self_care: Text

    def for_level(self, level: TriageLevel) -> str:
        advice: str = getattr(self, level.value)
        return advice


class Ruleset(StrictModel):
    format_version: int = Field(ge=FORMAT_VERSION, le=FORMAT_VERSION)
    disclaimer: Text
    score_formula: Text
    scoring: list[TestScoring]
    test_rules: list[AnswerRule]
    intake_questions: list[IntakeQuestion]
    intake_rules: IntakeRules
    red_flags: list[RedFlagQuestion]
    test_movements: TestMovements
    maintenance: Maintenance
    gentle: GentleExercises
    advice: TriageAdvice

    @model_validator(mode="after")
    def _covers_every_test_and_question(self) -> Self:
        if [s.test for s in self.scoring] != list(TestName):
            raise ValueError("scoring must list every test once, in order")
        if [q.field for q in self.red_flags] != list(RedFlagAnswers.model_fields):
            raise ValueError("red_flags must list every red-flag answer field, in order")
        if set(self.test_movements.tests) != set(TestName):
            raise ValueError("test_movements must name every test")
        ids = [
            *(rule.id for rule in self.test_rules),
            *(question.rule_id for question in self.red_flags),
            *(rule.id for rule in self.intake_rules.all()),
            self.test_movements.rule_id,
            self.maintenance.rule_id,
        ]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        return self

    def slugs(self) -> set[str]:
        """Every exercise slug the rules name."""
        named = {slug for rule in self.test_rules for slug in rule.recommend}
        moving = self.test_movements.provoking(TestName)
        return named | moving | set(self.maintenance.recommend)


def ruleset_version(ruleset: Ruleset) -> str:
    """Any change to any rule gives a new version."""
    return content_version(ruleset.model_dump(mode="json"), format_version=FORMAT_VERSION)
