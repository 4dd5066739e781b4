"""Assessments: the definitions apps show, and stateless scoring. Nothing is stored here."""

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

from app.assessments import scoring
from app.assessments.ruleset import Ruleset, ruleset_version
from app.assessments.schemas import (
    AnswerOption,
    AssessmentAnswers,
    AssessmentDefinitions,
    AssessmentResult,
    Finding,
    Question,
    RedFlagQuestionPublic,
    ScoredAssessment,
    TestDefinition,
    Triage,
    TriageRulePublic,
)
from app.assessments.tokens import ResultTokens
from app.catalogue import CatalogueSnapshot
from app.http.conditional import Representation

RULESET_FILE = Path(__file__).resolve().parent / "data" / "ruleset.yaml"


def load_ruleset(path: Path = RULESET_FILE) -> Ruleset:
    with path.open(encoding="utf-8") as handle:
        return Ruleset.model_validate(yaml.safe_load(handle))


class RulesetMismatch(RuntimeError):
    """The ruleset names exercises or self-assessments the catalogue does not have."""


@dataclass(frozen=True)
class Assessments:
    """The loaded ruleset and its version; one per process."""

    ruleset: Ruleset
    version: str
    _definitions: dict[str, Representation] = field(default_factory=dict, compare=False)

    @classmethod
    def load(cls) -> "Assessments":
        ruleset = load_ruleset()
        return cls(ruleset=ruleset, version=ruleset_version(ruleset))

    def check_against(self, catalogue: CatalogueSnapshot) -> None:
        missing = sorted(self.ruleset.slugs() - catalogue.by_slug.keys())
        guides = {item.slug for item in catalogue.guidance.self_assessments}
        missing += sorted(s.guide_slug for s in self.ruleset.scoring if s.guide_slug not in guides)
        if missing:
            raise RulesetMismatch(f"ruleset names unknown catalogue items: {', '.join(missing)}")

    def score(self, answers: AssessmentAnswers, catalogue: CatalogueSnapshot) -> AssessmentResult:
        return scoring.score(
            answers, ruleset=self.ruleset, version=self.version, catalogue=catalogue
        )

    def scored(
        self, answers: AssessmentAnswers, catalogue: CatalogueSnapshot, tokens: ResultTokens
    ) -> ScoredAssessment:
        """The result with its signed token, for a client to plan from later."""
        result = self.score(answers, catalogue)
        token = tokens.issue(result, pain_now=answers.intake.pain_now)
        return ScoredAssessment(**dict(result), result_token=token)

    def with_reported_pain(self, triage: Triage, pain: int) -> Triage:
        return scoring.with_reported_pain(triage, pain, self.ruleset)

    @cached_property
    def findings_by_code(self) -> dict[str, Finding]:
        """Every finding the ruleset can produce, by code: what a stored or client-held result
        refers to when it lists codes. Built once per loaded ruleset."""
        return scoring.all_findings(self.ruleset)

    @cached_property
    def finding_codes(self) -> list[str]:
        """Every code a result can carry: its findings', and its triage reasons' red flags."""
        red_flags = (scoring.red_flag_code(flag.field) for flag in self.ruleset.red_flags)
        return sorted({*self.findings_by_code, *red_flags})

    def definitions(self, catalogue: CatalogueSnapshot) -> Representation:
        """Built once per catalogue version (it quotes the catalogue's self-assessments)."""
        cached = self._definitions.get(catalogue.version)
        if cached is None:
            self._definitions.clear()
            cached = self._definitions[catalogue.version] = Representation.of(
                build_definitions(self.ruleset, self.version, catalogue)
            )
        return cached


def build_definitions(
    ruleset: Ruleset, version: str, catalogue: CatalogueSnapshot
) -> AssessmentDefinitions:
    guides = {item.slug: item for item in catalogue.guidance.self_assessments}
    tests = []
    for entry in ruleset.scoring:
        guide = guides[entry.guide_slug]
        tests.append(
            TestDefinition(
                test=entry.test,
                name=guide.name,
                guide_slug=guide.slug,
                instructions=guide.instructions,
                sides=guide.sides,
                answers=[
                    AnswerOption(value=value, meaning=entry.meanings[value], points=points)
                    for value, points in entry.points.items()
                ],
                max_points=entry.max_points,
                poor_result_indicates=guide.poor_result_indicates,
                source_section=guide.source_section,
            )
        )
    return AssessmentDefinitions(
        ruleset_version=version,
        dataset_version=catalogue.version,
        tests=tests,
        intake_questions=[
            Question.model_validate(q.model_dump()) for q in ruleset.intake_questions
        ],
        red_flags=[
            RedFlagQuestionPublic(
                field=flag.field,
                rule_id=flag.rule_id,
                level=flag.level,
                question=flag.question,
                source=flag.source,
            )
            for flag in ruleset.red_flags
        ],
        triage_rules=[
            TriageRulePublic(
                rule_id=rule.id,
                level=rule.triage,
                finding=rule.finding,
                summary=rule.summary,
                source=rule.source,
                review=rule.review,
            )
            for rule in ruleset.intake_rules.all()
        ],
        score_formula=ruleset.score_formula,
        disclaimer=ruleset.disclaimer,
    )
