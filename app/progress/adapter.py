"""Adaptation as a service: the rules loaded from their data file, the logs' red flags scored,
and the stateless `POST /v1/plans/adapt` (a plan request plus the logs an app kept gives the
adapted plan; nothing is stored). The core it runs is ``app.progress.adaptation``."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from app.assessments import Assessments, ResultTokens, red_flag_triage
from app.catalogue import CatalogueSnapshot
from app.core.errors import UnprocessableContent
from app.plans import Plan, Planner, refusal
from app.progress.adaptation import Adaptation, ScoredLog, adapt
from app.progress.checks import check_logs
from app.progress.rules import AdaptationRules, rules_version
from app.progress.schemas import AdaptedPlan, AdaptRequest, DatedLog

RULES_FILE = Path(__file__).resolve().parent / "data" / "adaptation.yaml"


def load_rules(path: Path = RULES_FILE) -> AdaptationRules:
    with path.open(encoding="utf-8") as handle:
        return AdaptationRules.model_validate(yaml.safe_load(handle))


def scored_logs(logs: Sequence[DatedLog], assessments: Assessments) -> list[ScoredLog]:
    """Each log with the triage its red-flag answers give (the server's, never the client's)."""
    return [
        ScoredLog(log=log, triage=red_flag_triage(log.red_flags, assessments.ruleset))
        for log in logs
    ]


def local_today(plan: Plan) -> date:
    """Today in the plan's time zone."""
    return datetime.now(ZoneInfo(plan.inputs.time_zone)).date()


@dataclass(frozen=True)
class Adapter:
    rules: AdaptationRules
    version: str

    @classmethod
    def load(cls) -> "Adapter":
        rules = load_rules()
        return cls(rules=rules, version=rules_version(rules))

    def adapt(
        self, plan: Plan, logs: Sequence[ScoredLog], *, catalogue: CatalogueSnapshot
    ) -> Adaptation:
        return adapt(plan, logs, rules=self.rules, catalogue=catalogue)

    def adapt_request(
        self,
        request: AdaptRequest,
        *,
        planner: Planner,
        catalogue: CatalogueSnapshot,
        assessments: Assessments,
        tokens: ResultTokens,
        today: date | None = None,
    ) -> AdaptedPlan:
        """The plan the request's preview gives, adapted by its logs. A red flag, in the
        assessment or in any log, refuses (409 ``red_flag`` with the triage) before anything
        else is checked; a log the plan cannot hold is a 422 naming its field."""
        plan = planner.preview(
            request.plan, catalogue=catalogue, assessments=assessments, tokens=tokens
        )
        scored = scored_logs(request.logs, assessments)
        flagged = [log for log in sorted(scored, key=lambda s: s.date) if log.triage is not None]
        if flagged and flagged[0].triage is not None:
            raise refusal(flagged[0].triage)
        problems = check_logs(plan, request.logs, today or local_today(plan))
        if problems:
            raise UnprocessableContent(
                "A log does not fit the plan: " + "; ".join(p["msg"] for p in problems[:3]),
                errors=problems,
            )
        result = self.adapt(plan, scored, catalogue=catalogue)
        return AdaptedPlan(plan=result.plan, changes=result.changes)
