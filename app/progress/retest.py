"""A re-test (PG-11: the three self-tests again in weeks 4 and 8) against the first assessment.

Pure: finding codes in, the comparison out, each list in the order its findings were given.
"""

from collections.abc import Sequence

from app.assessments import FindingCode
from app.progress.schemas import FindingsComparison


def compare_findings(
    first: Sequence[FindingCode], later: Sequence[FindingCode]
) -> FindingsComparison:
    """Findings of the first assessment the re-test no longer has (resolved), has again
    (persisting), and has that the first did not (new)."""
    before, after = dict.fromkeys(first), dict.fromkeys(later)
    return FindingsComparison(
        resolved=[code for code in before if code not in after],
        persisting=[code for code in before if code in after],
        new=[code for code in after if code not in before],
    )
