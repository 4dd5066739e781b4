"""The scoring rules as data: their file shape, loading, validation and version.

``data/ruleset.yaml`` holds every rule with its id and source (the guide or NICE NG59), the
points behind the hip-spine score and the triage advice. This module is pure: no database.
"""

from pathlib import Path
from typing import Annotated, Self

import yaml
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
from app.catalogue.schemas import Category, Difficulty, Slug, StrictModel, Target, Text
from app.core.versioning import content_version

DATA_FILE = Path(__file__).resolve().parent / "data" / "ruleset.yaml"
FORMAT_VERSION = 1

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
    source: Text


class IntakeRules(StrictModel):
    persistent_pain: IntakeRule
    persistent_pain_weeks: int = Field(ge=1, description="Pain lasting longer than this.")
    sharp_or_shooting_pain: IntakeRule
    high_pain: IntakeRule
    high_pain_from: int = Field(ge=0, le=10)


class IntakeQuestion(StrictModel):
    field: str
    question: Text
    answer: Text
    source: Text


class RedFlagQuestion(StrictModel):
    field: str
    rule_id: RuleId
    question: Text
    source: Text


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
    self_care: Text
    see_professional: Text
    seek_care_now: Text


class Ruleset(StrictModel):
    format_version: int = Field(ge=FORMAT_VERSION, le=FORMAT_VERSION)
    disclaimer: Text
    score_formula: Text
    scoring: list[TestScoring]
    test_rules: list[AnswerRule]
    intake_questions: list[IntakeQuestion]
    intake_rules: IntakeRules
    red_flags: list[RedFlagQuestion]
    maintenance: Maintenance
    gentle: GentleExercises
    advice: TriageAdvice

    @model_validator(mode="after")
    def _covers_every_test_and_question(self) -> Self:
        if [s.test for s in self.scoring] != list(TestName):
            raise ValueError("scoring must list every test once, in order")
        if [q.field for q in self.red_flags] != list(RedFlagAnswers.model_fields):
            raise ValueError("red_flags must list every red-flag answer field, in order")
        intake = self.intake_rules
        ids = [
            *(rule.id for rule in self.test_rules),
            *(question.rule_id for question in self.red_flags),
            intake.persistent_pain.id,
            intake.sharp_or_shooting_pain.id,
            intake.high_pain.id,
            self.maintenance.rule_id,
        ]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        return self

    def slugs(self) -> set[str]:
        """Every exercise slug the rules can recommend."""
        named = {slug for rule in self.test_rules for slug in rule.recommend}
        return named | set(self.maintenance.recommend)


def load_ruleset(path: Path = DATA_FILE) -> Ruleset:
    with path.open(encoding="utf-8") as handle:
        return Ruleset.model_validate(yaml.safe_load(handle))


def ruleset_version(ruleset: Ruleset) -> str:
    """Any change to any rule gives a new version."""
    return content_version(ruleset.model_dump(mode="json"), format_version=FORMAT_VERSION)
