"""Progress: daily logs, plan adaptation by rules with sources (the pure core
``adaptation.py``), the log checks against a plan, revision diffs and re-test comparison.

What other domains may use; everything else in this package is its own.
"""

from app.progress.adaptation import Adaptation, AdaptationCatalogue, ScoredLog, adapt
from app.progress.adapter import Adapter, load_rules, local_today, scored_logs
from app.progress.checks import check_log, check_logs
from app.progress.dependencies import AdapterDep
from app.progress.diff import plan_diff
from app.progress.retest import compare_findings
from app.progress.rules import AdaptationRules
from app.progress.schemas import (
    AdaptedPlan,
    AdaptRequest,
    ChangeKind,
    DailyLogInput,
    DatedLog,
    FindingsComparison,
    PlanChange,
    PlanDifference,
    SharpPain,
)

__all__ = [
    "AdaptRequest",
    "Adaptation",
    "AdaptationCatalogue",
    "AdaptationRules",
    "AdaptedPlan",
    "Adapter",
    "AdapterDep",
    "ChangeKind",
    "DailyLogInput",
    "DatedLog",
    "FindingsComparison",
    "PlanChange",
    "PlanDifference",
    "ScoredLog",
    "SharpPain",
    "adapt",
    "check_log",
    "check_logs",
    "compare_findings",
    "load_rules",
    "local_today",
    "plan_diff",
    "scored_logs",
]
