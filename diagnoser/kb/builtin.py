"""The built-in rules: an error code the catalogs document for a fault supports that fault."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .models import RuleSpec

if TYPE_CHECKING:
    from .knowledge import KnowledgeBase

CODE_RULE_PREFIX = "code."


def code_rules(kb: KnowledgeBase) -> list[RuleSpec]:
    """Built-in rules: an error code documented for a fault supports that fault.

    The certainty comes from the catalog entry, carried by the code_fault fact. Built once per
    knowledge base (and kept with it in the compiled cache).
    """
    faults = sorted({f for s in kb.systems.values() for e in s.codes for f in e.faults})
    kept = kb._code_rules
    if kept is not None and [r.then.fault for r in kept] == faults:
        return list(kept)
    rules = [
        RuleSpec.model_validate(
            {
                "id": f"{CODE_RULE_PREFIX}{fault}",
                "title": f"An error code documented as {fault}",
                "status": "stable",
                "author": "diagnoser",
                "date": dt.date(2026, 11, 24),
                "references": ["knowledge/systems/"],
                "when": {"all": [{"symptom": "code_fault", "equals": fault}]},
                "then": {
                    "fault": fault,
                    "certainty": 1.0,
                    "because": {
                        "zh": "工单中的错误代码在错误代码目录中对应此故障",
                        "en": "an error code in the ticket is documented as this fault",
                    },
                },
            }
        )
        for fault in faults
    ]
    kb._code_rules = tuple(rules)
    return rules
