"""Self-assessment: answers scored against the ruleset, red-flag triage, signed result tokens.

What other domains may use; everything else in this package is its own.
"""

from app.assessments.dependencies import AssessmentsDep, ResultTokensDep
from app.assessments.schemas import (
    FINDING_CODE_SCHEMA,
    RESULT_TOKEN_MAX_LENGTH,
    AssessmentAnswers,
    AssessmentResult,
    Finding,
    FindingCode,
    RedFlagAnswers,
    RuleId,
    TestName,
    Triage,
    TriageLevel,
)
from app.assessments.scoring import painful_findings, red_flag_triage
from app.assessments.service import Assessments
from app.assessments.tokens import ResultTokens

__all__ = [
    "FINDING_CODE_SCHEMA",
    "RESULT_TOKEN_MAX_LENGTH",
    "AssessmentAnswers",
    "AssessmentResult",
    "Assessments",
    "AssessmentsDep",
    "Finding",
    "FindingCode",
    "RedFlagAnswers",
    "ResultTokens",
    "ResultTokensDep",
    "RuleId",
    "TestName",
    "Triage",
    "TriageLevel",
    "painful_findings",
    "red_flag_triage",
]
