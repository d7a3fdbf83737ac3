"""The public surface names the types results carry: one of each, not look-alikes."""

from __future__ import annotations

import diagnoser


def test_the_exported_severity_is_the_one_results_carry(mini):
    result = mini.diagnose({"id": "s", "error_codes": ["1001"]})
    assert result.diagnoses
    assert type(result.diagnoses[0].severity) is diagnoser.Severity
    reasons = [r for r in result.priority_reasons if r.severity is not None]
    assert all(type(r.severity) is diagnoser.Severity for r in reasons)
    # the knowledge-base issue severity is another thing and says so by its name
    assert diagnoser.IssueSeverity is not diagnoser.Severity
