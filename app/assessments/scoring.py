"""Scoring: assessment answers in, result out. Pure: no database, no FastAPI, no files, no clock.

Steps, each traced to a rule id in ``data/ruleset.yaml``:

1. red flags (RF-*): the most urgent answered flag sets the triage, ``emergency`` (same-day
   emergency care) or ``urgent`` (prompt medical assessment); either means no exercises and no
   score;
2. per-test findings (HE-*, SR-*, BR-*), per side where the test is per side;
3. intake findings (IN-*): pain beyond six weeks, sharp or shooting pain, very severe pain or
   every test painful give ``see_professional`` and limit recommendations to gentle mobility;
4. target areas ranked by how many findings point at them;
5. recommendations ranked by their best target area, then the rule's own order, never a
   movement that repeats a painful test ahead of one that does not (PM-1); with no finding,
   the daily mobility routine (GEN-1);
6. the 0-100 hip-spine score from per-answer points (formula in the ruleset).

The same answers, ruleset and catalogue always give the same result.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
    RedFlagAnswers,
    ScoreComponent,
    ScoreStatus,
    SeatedRotationAnswer,
    TargetArea,
    TestName,
    TestResult,
    TestStatus,
    Triage,
    TriageLevel,
    TriageReason,
)
from app.catalogue import ExercisePublic, Side, Target

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
_URGENCY = list(TriageLevel)  # most urgent first


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
    findings = [
        *_test_findings(test_answers, ruleset),
        *_intake_findings(answers, test_answers, ruleset),
    ]
    triage = _triage(answers, test_answers, findings, ruleset)
    areas = _target_areas(findings)
    blocked = triage.level.blocks_exercise
    return AssessmentResult(
        ruleset_version=version,
        dataset_version=catalogue.version,
        triage=triage,
        tests=[_test_result(test, test_answers.get(test)) for test in TestName],
        not_scored=[test for test in TestName if test not in test_answers],
        findings=findings,
        target_areas=areas,
        recommendations=[]
        if blocked
        else _recommendations(findings, areas, triage.level, ruleset, catalogue),
        score=_no_score(ruleset) if blocked else _score(test_answers, ruleset),
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


def _intake_findings(
    answers: AssessmentAnswers,
    test_answers: Mapping[TestName, Mapping[Side | None, str]],
    ruleset: Ruleset,
) -> list[Finding]:
    rules, intake = ruleset.intake_rules, answers.intake
    every_test_painful = len(test_answers) >= rules.every_test_painful_min_tests and (
        _painful_tests(test_answers) == set(test_answers)
    )
    triggered = [
        (intake.pain_weeks > rules.persistent_pain_weeks, rules.persistent_pain),
        (intake.sharp_or_shooting_pain, rules.sharp_or_shooting_pain),
        (intake.pain_now >= rules.high_pain_from, rules.high_pain),
        (intake.pain_now >= rules.very_severe_pain_from, rules.very_severe_pain),
        (every_test_painful, rules.every_test_painful),
    ]
    return [intake_finding(rule) for hit, rule in triggered if hit]


def _painful_tests(test_answers: Mapping[TestName, Mapping[Side | None, str]]) -> set[TestName]:
    """Tests painful on at least one side."""
    return {
        test
        for test, answers in test_answers.items()
        if any(_ANSWER_STATUS[answer] is TestStatus.painful for answer in answers.values())
    }


def all_findings(ruleset: Ruleset) -> dict[str, Finding]:
    """Every finding the ruleset can produce, by code."""
    findings = {
        finding.code: finding
        for rule in ruleset.test_rules
        for side in ((Side.left, Side.right) if rule.test in PER_SIDE_TESTS else (None,))
        for finding in [finding_from_rule(rule, side)]
    }
    for rule in ruleset.intake_rules.all():
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


# --- triage ------------------------------------------------------------------------------------


def _triage(
    answers: AssessmentAnswers,
    test_answers: Mapping[TestName, Mapping[Side | None, str]],
    findings: Iterable[Finding],
    ruleset: Ruleset,
) -> Triage:
    """The most urgent level any answer gives, with every answer that gives that level."""
    reasons = [
        *_red_flag_reasons(answers.red_flags, ruleset),
        *_intake_reasons(answers, test_answers, findings, ruleset),
    ]
    levels = [level for level, _reason in reasons]
    level = min(levels, key=_URGENCY.index, default=TriageLevel.self_care)
    return Triage(
        level=level,
        reasons=[reason for reason_level, reason in reasons if reason_level is level],
        advice=ruleset.advice.for_level(level),
    )


def red_flag_triage(red_flags: RedFlagAnswers, ruleset: Ruleset) -> Triage | None:
    """The triage the red-flag answers alone give when it is emergency or urgent (the most
    urgent answered flag, with every flag of that level, as the assessment words them); None
    when no answer stops exercise. For the red-flag questions asked again in a progress log."""
    reasons = _red_flag_reasons(red_flags, ruleset)
    if not reasons:
        return None
    level = reasons[0][0]  # most urgent first
    if not level.blocks_exercise:
        return None
    return Triage(
        level=level,
        reasons=[reason for reason_level, reason in reasons if reason_level is level],
        advice=ruleset.advice.for_level(level),
    )


def _red_flag_reasons(
    red_flags: RedFlagAnswers, ruleset: Ruleset
) -> list[tuple[TriageLevel, TriageReason]]:
    flagged = [flag for flag in ruleset.red_flags if getattr(red_flags, flag.field)]
    # Most urgent first, then in the questionnaire's order.
    flagged.sort(key=lambda flag: _URGENCY.index(flag.level))
    return [
        (
            flag.level,
            TriageReason(rule_id=flag.rule_id, finding=red_flag_code(flag.field), text=flag.reason),
        )
        for flag in flagged
    ]


def _intake_reasons(
    answers: AssessmentAnswers,
    test_answers: Mapping[TestName, Mapping[Side | None, str]],
    findings: Iterable[Finding],
    ruleset: Ruleset,
) -> list[tuple[TriageLevel, TriageReason]]:
    rules = {rule.id: rule for rule in ruleset.intake_rules.all()}
    values = {
        "pain_now": answers.intake.pain_now,
        "pain_weeks": answers.intake.pain_weeks,
        "scored_tests": len(test_answers),
    }
    return [
        (rule.triage, _reason(rule, **values))
        for finding in findings
        if (rule := rules.get(finding.rule_id)) is not None
        and rule.triage is not TriageLevel.self_care
    ]


def _reason(rule: IntakeRule, **answers: int) -> TriageReason:
    return TriageReason(rule_id=rule.id, finding=rule.finding, text=rule.reason.format(**answers))


def with_reported_pain(triage: Triage, pain: int, ruleset: Ruleset) -> Triage:
    """The triage once a later report of pain is taken into account (a plan request's
    ``pain_now``): very severe pain (IN-4) gives at least ``see_professional``."""
    rule = ruleset.intake_rules.very_severe_pain
    if pain < ruleset.intake_rules.very_severe_pain_from or triage.level.blocks_exercise:
        return triage
    if any(reason.rule_id == rule.id for reason in triage.reasons):
        return triage
    reason = _reason(rule, pain_now=pain, pain_weeks=0, scored_tests=0)
    if triage.level is TriageLevel.see_professional:
        return triage.model_copy(update={"reasons": [*triage.reasons, reason]})
    return Triage(level=rule.triage, reasons=[reason], advice=ruleset.advice.for_level(rule.triage))


# --- what to work on ---------------------------------------------------------------------------


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


@dataclass
class _Candidate:
    """An exercise some finding recommends, with what decides its rank."""

    slug: str
    best_area_rank: int
    position_in_rule: int
    reasons: list[RecommendationReason] = field(default_factory=list)


def _recommendations(
    findings: list[Finding],
    areas: list[TargetArea],
    level: TriageLevel,
    ruleset: Ruleset,
    catalogue: Catalogue,
) -> list[Recommendation]:
    """The exercises the test findings recommend, ranked: those that repeat no painful test
    first (PM-1), then by their best target area and the rule's own order, then by slug.
    ``see_professional`` keeps the gentle ones; with nothing left, the daily routine (GEN-1)."""
    candidates = _candidates_from_findings(findings, areas, ruleset)
    if level is TriageLevel.see_professional:
        candidates = [c for c in candidates if _is_gentle(catalogue.by_slug[c.slug], ruleset)]
    if not candidates:
        candidates = _maintenance_candidates(ruleset)
    painful = painful_findings(findings, ruleset)
    for candidate in candidates:
        candidate.reasons.extend(_caution(candidate.slug, painful, ruleset))
    ranked = sorted(
        candidates,
        key=lambda c: (
            _repeats_a_painful_test(c.slug, painful, ruleset),
            c.best_area_rank,
            c.position_in_rule,
            c.slug,
        ),
    )
    return [
        _recommendation(rank, catalogue.by_slug[candidate.slug], candidate.reasons)
        for rank, candidate in enumerate(ranked, start=1)
    ]


def _candidates_from_findings(
    findings: list[Finding], areas: list[TargetArea], ruleset: Ruleset
) -> list[_Candidate]:
    """One candidate per exercise, carrying every finding that recommends it. Intake findings
    shape the triage, not the choice of exercise."""
    area_rank = {area.area: area.rank for area in areas}
    rules = {rule.id: rule for rule in ruleset.test_rules}
    by_slug: dict[str, _Candidate] = {}
    for finding in findings:
        rule = rules.get(finding.rule_id)
        if rule is None:
            continue
        best_area = min(area_rank[target] for target in rule.targets)
        for position, slug in enumerate(rule.recommend):
            candidate = by_slug.setdefault(slug, _Candidate(slug, best_area, position))
            candidate.best_area_rank = min(candidate.best_area_rank, best_area)
            candidate.position_in_rule = min(candidate.position_in_rule, position)
            candidate.reasons.append(
                RecommendationReason(finding=finding.code, rule_id=rule.id, text=finding.summary)
            )
    return list(by_slug.values())


def _maintenance_candidates(ruleset: Ruleset) -> list[_Candidate]:
    """No finding, or none whose exercises are gentle enough for the triage: the daily
    mobility routine, which the guide calls its gentler mobilizers."""
    maintenance = ruleset.maintenance
    reason = RecommendationReason(
        finding=maintenance.finding, rule_id=maintenance.rule_id, text=maintenance.text
    )
    return [
        _Candidate(slug, best_area_rank=0, position_in_rule=position, reasons=[reason])
        for position, slug in enumerate(maintenance.recommend)
    ]


def painful_findings(findings: Iterable[Finding], ruleset: Ruleset) -> list[Finding]:
    """The test findings of a painful answer."""
    painful_rules = {
        rule.id for rule in ruleset.test_rules if TestStatus.painful in _statuses(rule.answers)
    }
    return [finding for finding in findings if finding.rule_id in painful_rules]


def _statuses(answers: Iterable[str]) -> set[TestStatus]:
    return {_ANSWER_STATUS[answer] for answer in answers}


def _repeats_a_painful_test(slug: str, painful: Iterable[Finding], ruleset: Ruleset) -> bool:
    tests = {finding.test for finding in painful if finding.test is not None}
    return slug in ruleset.test_movements.provoking(tests)


def _caution(slug: str, painful: Iterable[Finding], ruleset: Ruleset) -> list[RecommendationReason]:
    """PM-1's reason beside an exercise that repeats a painful test's movement."""
    movements = ruleset.test_movements
    return [
        RecommendationReason(
            finding=finding.code,
            rule_id=movements.rule_id,
            text=f"It repeats a movement that was painful ({finding.summary.rstrip('.')}): "
            "do it gently, in a pain-free range, and skip it if it hurts.",
        )
        for finding in painful
        if finding.test is not None and slug in movements.tests[finding.test].exercises
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


# --- results and the score ---------------------------------------------------------------------


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
        status=ScoreStatus.scored if possible else ScoreStatus.not_scored,
        # Half up, as the published formula says (Python's round() would go half to even).
        value=math.floor(100 * earned / possible + 0.5) if possible else None,
        formula=ruleset.score_formula,
        earned=earned,
        possible=possible,
        components=components,
    )


def _no_score(ruleset: Ruleset) -> HipSpineScore:
    """Beside an emergency or urgent triage: no number an app could show next to a red flag."""
    return HipSpineScore(
        status=ScoreStatus.not_applicable,
        value=None,
        formula=ruleset.score_formula,
        earned=0,
        possible=0,
        components=[],
    )
