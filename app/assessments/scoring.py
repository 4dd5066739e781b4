"""Scoring: assessment answers in, result out. Pure: no database, no FastAPI, no clock.

Steps, each traced to a rule id in ``data/ruleset.yaml``:

1. red flags (RF-*) — any one gives ``seek_care_now`` and no exercises at all;
2. per-test findings (HE-*, SR-*, BR-*), per side where the test is per side;
3. intake findings (IN-*) — pain beyond six weeks or sharp/shooting pain gives
   ``see_professional`` and limits recommendations to gentle mobility;
4. target areas ranked by how many findings point at them;
5. recommendations ranked by their best target area, then the rule's own order;
   with no finding, the daily mobility routine (GEN-1);
6. the 0-100 hip-spine score from per-answer points (formula in the ruleset).

The same answers, ruleset and catalogue always give the same result.
"""

import math
from collections.abc import Iterable, Mapping
from typing import Protocol

from app.assessments.ruleset import (
    PER_SIDE_TESTS,
    AnswerRule,
    IntakeRule,
    Ruleset,
    TestScoring,
)
from app.assessments.schemas import (
    AssessmentAnswers,
    AssessmentResult,
    BridgeAnswer,
    Finding,
    HipExtensionAnswer,
    HipSpineScore,
    Recommendation,
    RecommendationReason,
    ScoreComponent,
    SeatedRotationAnswer,
    TargetArea,
    TestName,
    TestResult,
    TestStatus,
    Triage,
    TriageLevel,
    TriageReason,
)
from app.catalogue.schemas import ExercisePublic, Side, Target

_STATUS_SEVERITY = [
    TestStatus.normal,
    TestStatus.tighter,
    TestStatus.restricted,
    TestStatus.painful,
]
# Each answer of each test, as a status on the common scale.
_ANSWER_STATUS = {
    "normal": TestStatus.normal,
    "glutes_first": TestStatus.normal,
    "tighter": TestStatus.tighter,
    "restricted": TestStatus.restricted,
    "limited": TestStatus.restricted,
    "lumbar_before_glutes": TestStatus.restricted,
    "unable": TestStatus.restricted,
    "painful": TestStatus.painful,
}
_TARGET_ORDER = {target: index for index, target in enumerate(Target)}


class Catalogue(Protocol):
    """What scoring needs from the catalogue: the exercises by slug, and its version."""

    @property
    def by_slug(self) -> Mapping[str, ExercisePublic]: ...

    @property
    def version(self) -> str: ...


def score(
    answers: AssessmentAnswers, *, ruleset: Ruleset, version: str, catalogue: Catalogue
) -> AssessmentResult:
    test_answers = _answers_by_test(answers)
    red_flag_reasons = _red_flag_reasons(answers, ruleset)
    findings = [*_test_findings(test_answers, ruleset), *_intake_findings(answers, ruleset)]
    triage = _triage(red_flag_reasons, findings, ruleset)
    areas = _target_areas(findings)
    if triage.level is TriageLevel.seek_care_now:
        recommendations: list[Recommendation] = []
    else:
        recommendations = _recommendations(findings, areas, triage.level, ruleset, catalogue)
    return AssessmentResult(
        ruleset_version=version,
        dataset_version=catalogue.version,
        triage=triage,
        tests=[_test_result(test, test_answers.get(test)) for test in TestName],
        not_scored=[test for test in TestName if test not in test_answers],
        findings=findings,
        target_areas=areas,
        recommendations=recommendations,
        score=_score(test_answers, ruleset),
        disclaimer=ruleset.disclaimer,
    )


def _answers_by_test(answers: AssessmentAnswers) -> dict[TestName, dict[Side | None, str]]:
    """Each answered test as ``{side: answer}``; tests not done per side use the key None."""
    by_test: dict[TestName, dict[Side | None, str]] = {}
    tests = answers.tests
    if isinstance(tests.hip_extension, HipExtensionAnswer):
        hip = tests.hip_extension
        by_test[TestName.hip_extension] = {Side.left: hip.left, Side.right: hip.right}
    if isinstance(tests.seated_rotation, SeatedRotationAnswer):
        rotation = tests.seated_rotation
        by_test[TestName.seated_rotation] = {Side.right: rotation.right, Side.left: rotation.left}
    if isinstance(tests.bridge, BridgeAnswer):
        by_test[TestName.bridge] = {None: tests.bridge.result}
    return by_test


def red_flag_code(field: str) -> str:
    """The code a triage reason gives the red flag answered yes in ``red_flags.<field>``."""
    return f"red_flag.{field}"


def _red_flag_reasons(answers: AssessmentAnswers, ruleset: Ruleset) -> list[TriageReason]:
    return [
        TriageReason(rule_id=flag.rule_id, finding=red_flag_code(flag.field), text=flag.question)
        for flag in ruleset.red_flags
        if getattr(answers.red_flags, flag.field)
    ]


def _test_findings(
    test_answers: Mapping[TestName, Mapping[Side | None, str]], ruleset: Ruleset
) -> list[Finding]:
    return [
        finding_from_rule(rule, side)
        for test, answers in test_answers.items()
        for side, answer in answers.items()
        for rule in ruleset.test_rules
        if rule.test is test and answer in rule.answers
    ]


def finding_from_rule(rule: AnswerRule, side: Side | None) -> Finding:
    side_name = side.value if side is not None else ""
    return Finding(
        code=rule.finding.format(side=side_name),
        rule_id=rule.id,
        test=rule.test,
        side=side,
        summary=rule.summary.format(side=side_name),
        targets=rule.targets,
        source=rule.source,
    )


def _intake_findings(answers: AssessmentAnswers, ruleset: Ruleset) -> list[Finding]:
    rules = ruleset.intake_rules
    triggered = [
        (answers.intake.pain_weeks > rules.persistent_pain_weeks, rules.persistent_pain),
        (answers.intake.sharp_or_shooting_pain, rules.sharp_or_shooting_pain),
        (answers.intake.pain_now >= rules.high_pain_from, rules.high_pain),
    ]
    return [intake_finding(rule) for hit, rule in triggered if hit]


def all_findings(ruleset: Ruleset) -> dict[str, Finding]:
    """Every finding the ruleset can produce, by code."""
    findings = {
        finding.code: finding
        for rule in ruleset.test_rules
        for side in ((Side.left, Side.right) if rule.test in PER_SIDE_TESTS else (None,))
        for finding in [finding_from_rule(rule, side)]
    }
    intake = ruleset.intake_rules
    for rule in (intake.persistent_pain, intake.sharp_or_shooting_pain, intake.high_pain):
        findings[rule.finding] = intake_finding(rule)
    findings[ruleset.maintenance.finding] = maintenance_finding(ruleset)
    return findings


def intake_finding(rule: IntakeRule) -> Finding:
    return _general_finding(rule.finding, rule.id, rule.summary, rule.source)


def maintenance_finding(ruleset: Ruleset) -> Finding:
    maintenance = ruleset.maintenance
    return _general_finding(
        maintenance.finding, maintenance.rule_id, maintenance.text, maintenance.source
    )


def _general_finding(code: str, rule_id: str, summary: str, source: str) -> Finding:
    """A finding about the person as a whole: no test, no side, no target area."""
    return Finding(
        code=code, rule_id=rule_id, test=None, side=None, summary=summary, targets=[], source=source
    )


def _triage(
    red_flag_reasons: list[TriageReason], findings: Iterable[Finding], ruleset: Ruleset
) -> Triage:
    if red_flag_reasons:
        return Triage(
            level=TriageLevel.seek_care_now,
            reasons=red_flag_reasons,
            advice=ruleset.advice.seek_care_now,
        )
    intake = ruleset.intake_rules
    professional = {
        rule.id
        for rule in (intake.persistent_pain, intake.sharp_or_shooting_pain, intake.high_pain)
        if rule.triage is TriageLevel.see_professional
    }
    reasons = [
        TriageReason(rule_id=f.rule_id, finding=f.code, text=f.summary)
        for f in findings
        if f.rule_id in professional
    ]
    if reasons:
        return Triage(
            level=TriageLevel.see_professional,
            reasons=reasons,
            advice=ruleset.advice.see_professional,
        )
    return Triage(level=TriageLevel.self_care, reasons=[], advice=ruleset.advice.self_care)


def _target_areas(findings: Iterable[Finding]) -> list[TargetArea]:
    codes_by_area: dict[Target, list[str]] = {}
    for finding in findings:
        for target in finding.targets:
            codes_by_area.setdefault(target, []).append(finding.code)
    ordered = sorted(
        codes_by_area.items(), key=lambda item: (-len(item[1]), _TARGET_ORDER[item[0]])
    )
    return [
        TargetArea(area=area, rank=rank, weight=len(codes), findings=codes)
        for rank, (area, codes) in enumerate(ordered, start=1)
    ]


def _recommendations(
    findings: list[Finding],
    areas: list[TargetArea],
    level: TriageLevel,
    ruleset: Ruleset,
    catalogue: Catalogue,
) -> list[Recommendation]:
    area_rank = {area.area: area.rank for area in areas}
    rules = {rule.id: rule for rule in ruleset.test_rules}
    keyed: dict[str, tuple[tuple[int, int], list[RecommendationReason]]] = {}
    for finding in findings:
        rule = rules.get(finding.rule_id)
        if rule is None:  # intake findings shape triage, not exercise choice
            continue
        best_area = min(area_rank[target] for target in rule.targets)
        for position, slug in enumerate(rule.recommend):
            reason = RecommendationReason(
                finding=finding.code, rule_id=rule.id, text=finding.summary
            )
            key, reasons = keyed.get(slug, ((best_area, position), []))
            keyed[slug] = (min(key, (best_area, position)), [*reasons, reason])
    if level is TriageLevel.see_professional:
        keyed = {
            slug: entry
            for slug, entry in keyed.items()
            if _is_gentle(catalogue.by_slug[slug], ruleset)
        }
    if not keyed:
        # No finding, or only findings whose exercises are not gentle enough for the triage:
        # the daily mobility routine (GEN-1), which the guide calls its gentler mobilizers.
        maintenance = ruleset.maintenance
        reason = RecommendationReason(
            finding=maintenance.finding, rule_id=maintenance.rule_id, text=maintenance.text
        )
        keyed = {slug: ((0, i), [reason]) for i, slug in enumerate(maintenance.recommend)}
    ranked = sorted(keyed.items(), key=lambda item: (item[1][0], item[0]))
    return [
        _recommendation(rank, catalogue.by_slug[slug], reasons)
        for rank, (slug, (_key, reasons)) in enumerate(ranked, start=1)
    ]


def _is_gentle(exercise: ExercisePublic, ruleset: Ruleset) -> bool:
    return (
        exercise.category in ruleset.gentle.categories
        and exercise.difficulty in ruleset.gentle.difficulties
    )


def _recommendation(
    rank: int, exercise: ExercisePublic, reasons: list[RecommendationReason]
) -> Recommendation:
    return Recommendation(
        rank=rank,
        slug=exercise.slug,
        name=exercise.name,
        category=exercise.category,
        dose=exercise.dose,
        reasons=reasons,
    )


def _test_result(test: TestName, answers: Mapping[Side | None, str] | None) -> TestResult:
    if answers is None:
        return TestResult(
            test=test, status=TestStatus.not_scored, sides={}, affected_sides=[], tighter_side=None
        )
    statuses = {side: _ANSWER_STATUS[answer] for side, answer in answers.items()}
    worst = max(statuses.values(), key=_STATUS_SEVERITY.index)
    sides = {side: status for side, status in statuses.items() if side is not None}
    affected = [side for side, status in sides.items() if status is not TestStatus.normal]
    tighter_side = None
    if test is TestName.seated_rotation and len(set(sides.values())) > 1:
        tighter_side = max(sides, key=lambda side: _STATUS_SEVERITY.index(sides[side]))
    return TestResult(
        test=test,
        status=worst,
        sides=sides,
        affected_sides=sorted(affected),
        tighter_side=tighter_side,
    )


def _score(
    test_answers: Mapping[TestName, Mapping[Side | None, str]], ruleset: Ruleset
) -> HipSpineScore:
    scoring: dict[TestName, TestScoring] = {entry.test: entry for entry in ruleset.scoring}
    components = [
        ScoreComponent(
            test=test,
            side=side,
            answer=answer,
            points=scoring[test].points[answer],
            max_points=scoring[test].max_points,
        )
        for test in TestName
        for side, answer in test_answers.get(test, {}).items()
    ]
    earned = sum(component.points for component in components)
    possible = sum(component.max_points for component in components)
    return HipSpineScore(
        # Half up, as the published formula says (Python's round() would go half to even).
        value=math.floor(100 * earned / possible + 0.5) if possible else None,
        formula=ruleset.score_formula,
        earned=earned,
        possible=possible,
        components=components,
    )
