"""Plans: turn the request's assessment into an outcome the server vouches for, then run the
pure generator. The server always computes the triage: from answers it scores itself, from a
result token it signed, or from a stored assessment (``app.patients.service``)."""

import hashlib
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.assessments import (
    AssessmentAnswers,
    Assessments,
    Finding,
    ResultTokens,
    TestName,
    Triage,
    painful_findings,
)
from app.catalogue import CatalogueSnapshot
from app.core.bounded_cache import ThreadSafeByteBoundedCache
from app.core.errors import Conflict, UnprocessableContent
from app.plans import generator
from app.plans.schemas import (
    AssessmentInput,
    AssessmentSource,
    FromAnswers,
    Plan,
    PlanAssessment,
    PlanOptions,
    PlanRequest,
)
from app.plans.settings import GeneratorSettings, settings_version

# The default of ``PLAN_CACHE_MAX_BYTES``: a JSON plan is about 270 KB, so some 60 of them.
PLAN_CACHE_MAX_BYTES = 16 * 1024 * 1024
SETTINGS_FILE = Path(__file__).resolve().parent / "data" / "generator.yaml"


class RedFlagRefusal(Conflict):
    """409: an emergency or urgent triage means no plan (PG-8)."""

    code = "red_flag"


def load_settings(path: Path = SETTINGS_FILE) -> GeneratorSettings:
    with path.open(encoding="utf-8") as handle:
        return GeneratorSettings.model_validate(yaml.safe_load(handle))


@dataclass(frozen=True)
class ScoredBasis:
    """An assessment the server has scored or verified, ready to plan from."""

    source: AssessmentSource
    triage: Triage
    findings: Sequence[Finding]
    pain_now: int
    assessment_id: uuid.UUID | None = None


_RenderedKey = tuple[bytes, str, str, str, str]


@dataclass(frozen=True)
class Planner:
    settings: GeneratorSettings
    version: str
    cache_max_bytes: int = PLAN_CACHE_MAX_BYTES
    rendered_plans: ThreadSafeByteBoundedCache[_RenderedKey, bytes] = field(
        init=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "rendered_plans", ThreadSafeByteBoundedCache(self.cache_max_bytes))

    @classmethod
    def load(cls, *, cache_max_bytes: int = PLAN_CACHE_MAX_BYTES) -> "Planner":
        settings = load_settings()
        return cls(
            settings=settings, version=settings_version(settings), cache_max_bytes=cache_max_bytes
        )

    def rendered(
        self,
        request: PlanRequest,
        *,
        catalogue: CatalogueSnapshot,
        assessments: Assessments,
        media_type: str,
    ) -> bytes | None:
        """The bytes already rendered for this validated request and these versions, if kept."""
        return self.rendered_plans.get(self._key(request, catalogue, assessments, media_type))

    def render(
        self,
        request: PlanRequest,
        *,
        catalogue: CatalogueSnapshot,
        assessments: Assessments,
        tokens: ResultTokens,
        media_type: str,
        render: Callable[[Plan], bytes],
    ) -> bytes:
        """The plan for a validated request, rendered for ``media_type``, and kept.

        Generation is deterministic and costs tens of milliseconds, so the bytes are kept,
        bounded in bytes (``PLAN_CACHE_MAX_BYTES``) and keyed on the validated request's
        canonical JSON (its SHA-256: whitespace, key order and number spellings of one request
        share one entry, so padding a body makes no new one) and the dataset, ruleset and
        generator versions. Refusals and invalid requests raise and are never kept."""
        plan = self.preview(request, catalogue=catalogue, assessments=assessments, tokens=tokens)
        rendered = render(plan)
        key = self._key(request, catalogue, assessments, media_type)
        self.rendered_plans.put(key, rendered, sys.getsizeof(rendered) + _key_size(key))
        return rendered

    def _key(
        self,
        request: PlanRequest,
        catalogue: CatalogueSnapshot,
        assessments: Assessments,
        media_type: str,
    ) -> _RenderedKey:
        canonical = hashlib.sha256(request.model_dump_json().encode()).digest()
        return (canonical, catalogue.version, assessments.version, self.version, media_type)

    def preview(
        self,
        request: PlanRequest,
        *,
        catalogue: CatalogueSnapshot,
        assessments: Assessments,
        tokens: ResultTokens,
    ) -> Plan:
        basis = scored_basis(
            request.assessment, catalogue=catalogue, assessments=assessments, tokens=tokens
        )
        return self.plan(
            options_of(request),
            basis,
            request=request.model_dump(mode="json"),
            catalogue=catalogue,
            assessments=assessments,
        )

    def plan(
        self,
        options: PlanOptions,
        basis: ScoredBasis,
        *,
        request: Any,
        catalogue: CatalogueSnapshot,
        assessments: Assessments,
    ) -> Plan:
        """The plan for these options and this scored assessment; ``request`` is what the
        caller sent, hashed into the plan's ``input_hash``."""
        # The gentleness follows the highest pain the request reports (PG-6), and very severe
        # pain reported only here still sets the triage (IN-4).
        pain = max(options.pain_now, basis.pain_now)
        triage = assessments.with_reported_pain(basis.triage, pain)
        if triage.level.blocks_exercise:
            raise refusal(triage)
        outcome = generator.Outcome(
            assessment=PlanAssessment(
                source=basis.source,
                assessment_id=basis.assessment_id,
                triage=triage,
                findings=[finding.code for finding in basis.findings],
                pain_now=pain,
            ),
            findings=plan_findings(basis.findings, assessments),
            painful_movements=painful_movements(basis.findings, assessments),
        )
        try:
            return generator.generate(
                options,
                outcome,
                catalogue=catalogue,
                settings=self.settings,
                versions=generator.Versions(ruleset=assessments.version, generator=self.version),
                request_hash=generator.input_hash(request),
            )
        except generator.NotEnoughTime as short:
            raise UnprocessableContent(
                f"The plan needs at least {short.minimum_minutes} minutes a day: the daily "
                "mobilisation at every week's dose and the micro-breaks of the working hours.",
                errors=[
                    {
                        "loc": ["body", "minutes_per_day"],
                        "msg": f"Needs at least {short.minimum_minutes} minutes a day",
                        "type": "too_short",
                    }
                ],
                extensions={"minimum_minutes_per_day": short.minimum_minutes},
            ) from None


def _key_size(key: _RenderedKey) -> int:
    return sum(sys.getsizeof(part) for part in key)


def options_of(request: PlanOptions) -> PlanOptions:
    """The personalisation a request carries, without its assessment."""
    return PlanOptions.model_validate(request.model_dump(include=set(PlanOptions.model_fields)))


def scored_basis(
    assessment: AssessmentInput,
    *,
    catalogue: CatalogueSnapshot,
    assessments: Assessments,
    tokens: ResultTokens,
) -> ScoredBasis:
    """Answers scored here, or a result token this server signed for the current versions."""
    if isinstance(assessment, FromAnswers):
        return scored_answers(
            assessment.answers,
            AssessmentSource.answers,
            assessments=assessments,
            catalogue=catalogue,
        )
    claims = tokens.verify(
        assessment.token, ruleset_version=assessments.version, dataset_version=catalogue.version
    )
    known = assessments.findings_by_code
    return ScoredBasis(
        source=AssessmentSource.result_token,
        triage=claims.triage,
        findings=[known[code] for code in claims.findings],
        pain_now=claims.pain_now,
    )


def scored_answers(
    answers: AssessmentAnswers,
    source: AssessmentSource,
    *,
    assessments: Assessments,
    catalogue: CatalogueSnapshot,
    assessment_id: uuid.UUID | None = None,
) -> ScoredBasis:
    result = assessments.score(answers, catalogue)
    return ScoredBasis(
        source=source,
        triage=result.triage,
        findings=result.findings,
        pain_now=answers.intake.pain_now,
        assessment_id=assessment_id,
    )


def refusal(triage: Triage) -> RedFlagRefusal:
    return RedFlagRefusal(
        f"No plan with triage {triage.level.value}. {triage.advice}",
        extensions={"triage": triage.model_dump(mode="json")},
    )


def plan_findings(
    findings: Sequence[Finding], assessments: Assessments
) -> tuple[generator.PlanFinding, ...]:
    painful = {f.code for f in painful_findings(findings, assessments.ruleset)}
    movements = assessments.ruleset.test_movements.tests
    return tuple(
        generator.PlanFinding(
            code=f.code,
            summary=f.summary,
            side=f.side,
            targets=tuple(f.targets),
            # A side a test found restricted, tighter or limited, rather than painful.
            stiff=f.side is not None and f.code not in painful,
            sided_exercises=frozenset(movements[f.test].sided if f.test else ()),
        )
        for f in findings
    )


def painful_movements(
    findings: Sequence[Finding], assessments: Assessments
) -> tuple[generator.PainfulMovement, ...]:
    """Each painful self-test, once, with the sides it hurt on and the exercises that repeat
    its movement (PM-1)."""
    by_test: dict[TestName, list[Finding]] = {}
    for finding in painful_findings(findings, assessments.ruleset):
        if finding.test is not None:
            by_test.setdefault(finding.test, []).append(finding)
    movements = assessments.ruleset.test_movements.tests
    return tuple(
        generator.PainfulMovement(
            finding=painful[0].code,
            summary="; ".join(f.summary.rstrip(".") for f in painful) + ".",
            sides=frozenset(f.side for f in painful if f.side is not None),
            exercises=frozenset(movements[test].exercises),
            sided=frozenset(movements[test].sided),
        )
        for test, painful in by_test.items()
    )
