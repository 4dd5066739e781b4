"""Plan preview: turn the request's assessment into an outcome, then run the pure generator."""

from collections.abc import Callable
from dataclasses import dataclass, field

from app.assessments.schemas import Triage, TriageLevel
from app.assessments.service import Assessments
from app.catalogue.snapshot import CatalogueSnapshot
from app.core.errors import Conflict, UnprocessableContent
from app.core.memo import BytesMemo
from app.plans import generator
from app.plans.schemas import FromAnswers, Plan, PlanRequest

PLAN_CACHE_ENTRIES = 64


@dataclass(frozen=True)
class Planner:
    settings: generator.GeneratorSettings
    version: str
    _rendered: BytesMemo = field(
        default_factory=lambda: BytesMemo(PLAN_CACHE_ENTRIES), compare=False
    )

    @classmethod
    def load(cls) -> "Planner":
        settings = generator.load_settings()
        return cls(settings=settings, version=generator.settings_version(settings))

    def rendered(
        self,
        body: bytes,
        *,
        catalogue: CatalogueSnapshot,
        assessments: Assessments,
        media_type: str,
    ) -> bytes | None:
        """The bytes already made for this body and these versions, if any."""
        return self._rendered.get(self._key(body, catalogue, assessments, media_type))

    def render(
        self,
        body: bytes,
        parse: Callable[[bytes], PlanRequest],
        *,
        catalogue: CatalogueSnapshot,
        assessments: Assessments,
        media_type: str,
        render: Callable[[Plan], bytes],
    ) -> bytes:
        """The plan for a JSON request body, rendered for ``media_type``. Generation is
        deterministic, so the bytes are memoised on the body and the dataset, ruleset and
        generator versions: a repeat is neither validated nor generated again."""
        return self._rendered.get_or_make(
            self._key(body, catalogue, assessments, media_type),
            lambda: render(self.preview(parse(body), catalogue=catalogue, assessments=assessments)),
        )

    def _key(
        self, body: bytes, catalogue: CatalogueSnapshot, assessments: Assessments, media_type: str
    ) -> tuple[bytes, str, str, str, str]:
        return (body, catalogue.version, assessments.version, self.version, media_type)

    def preview(
        self, request: PlanRequest, *, catalogue: CatalogueSnapshot, assessments: Assessments
    ) -> Plan:
        triage, outcome = self._outcome(request, catalogue, assessments)
        try:
            return generator.generate(
                request,
                outcome,
                catalogue=catalogue,
                settings=self.settings,
                versions=generator.Versions(ruleset=assessments.version, generator=self.version),
            )
        except generator.PlanRefused:
            raise Conflict(
                "No plan while a red flag is present: seek medical care promptly.",
                extensions={"triage": triage.model_dump(mode="json")},
            ) from None
        except generator.NotEnoughTime as short:
            raise UnprocessableContent(
                f"The plan needs at least {short.minimum_minutes:g} minutes a day: the daily "
                "mobilisation and the micro-breaks of the working hours.",
                errors=[
                    {
                        "loc": ["body", "minutes_per_day"],
                        "msg": f"Needs at least {short.minimum_minutes:g} minutes a day",
                        "type": "too_short",
                    }
                ],
                extensions={"minimum_minutes_per_day": short.minimum_minutes},
            ) from None

    def _outcome(
        self, request: PlanRequest, catalogue: CatalogueSnapshot, assessments: Assessments
    ) -> tuple[Triage, generator.Outcome]:
        if isinstance(request.assessment, FromAnswers):
            result = assessments.score(request.assessment.answers, catalogue)
            triage, findings = result.triage, result.findings
        else:
            known = assessments.findings_by_code
            codes = request.assessment.findings
            findings = [known[code] for code in codes if code in known]
            # The other codes are red flags (a result's triage reasons): never a plan.
            red_flag = len(findings) < len(codes)
            level = TriageLevel.seek_care_now if red_flag else request.assessment.triage
            triage = Triage(
                level=level, reasons=[], advice=getattr(assessments.ruleset.advice, level.value)
            )
        outcome = generator.Outcome(
            triage=triage.level,
            findings=tuple(
                generator.PlanFinding(
                    code=f.code, summary=f.summary, side=f.side, targets=tuple(f.targets)
                )
                for f in findings
            ),
        )
        return triage, outcome
