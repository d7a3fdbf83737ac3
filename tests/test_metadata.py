"""Honest metadata: references resolve, placeholders are known, plan texts say their
jurisdiction, renamed rules keep a link, docs/sources.md lists what knowledge/sources.yaml does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from diagnoser.errors import IssueSeverity as Severity
from diagnoser.errors import KnowledgeBaseError
from diagnoser.kb.loader import lint_knowledge_base, load_knowledge_base

ROOT = Path(__file__).resolve().parent.parent


def _issues(rules: Path, knowledge: Path, severity: Severity = Severity.ERROR) -> list[str]:
    return [str(i) for i in lint_knowledge_base(rules, knowledge) if i.severity is severity]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


PRINTER_RULE = "hardware/printer-jam-or-offline.yaml"


def _first_reference(path: Path) -> str:
    return next(
        line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("  - ")
    )


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("seed/000_ebaed16f10db13dd.txt (IV.1)", "is neither a URL nor docs/sources.md#<id>"),
        ("docs/sources.md#sead (IV.1)", "which knowledge/sources.yaml does not list"),
        ("ftp://example.com/list", "is neither a URL"),
    ],
)
def test_a_reference_that_does_not_resolve_is_an_error(kb_copy, reference, message):
    rules, knowledge = kb_copy
    path = next(rules.rglob("*.yaml"))
    _edit(path, _first_reference(path), f'  - "{reference}"')
    errors = _issues(rules, knowledge)
    assert any(message in e and path.name in e and "[reference]" in e for e in errors), errors


def test_urls_and_listed_sources_resolve(kb_copy):
    rules, knowledge = kb_copy
    path = next(rules.rglob("*.yaml"))
    _edit(path, _first_reference(path), "  - https://example.com/list (table 2)")
    assert _issues(rules, knowledge) == []


def test_an_unknown_placeholder_is_an_error(kb_copy):
    rules, knowledge = kb_copy
    path = knowledge / "faults/network/network.disconnected.yaml"
    _edit(path, "{support.hotline}", "{support.hotlien}")
    errors = _issues(rules, knowledge)
    assert any(
        "network.disconnected.yaml:" in e and "unknown placeholder {support.hotlien}" in e
        for e in errors
    ), errors


def test_a_step_naming_a_foreign_platform_without_a_tag_is_a_warning(kb_copy):
    rules, knowledge = kb_copy
    path = knowledge / "faults/network/network.disconnected.yaml"
    text = path.read_text(encoding="utf-8")
    step = re.search(r"      en: (Call the network[^\n]*)", text)
    assert step is not None
    _edit(path, step.group(1), step.group(1) + " On India's IRP, retry later.")
    warnings = _issues(rules, knowledge, Severity.WARNING)
    assert any("names a platform of IN" in w and "[jurisdiction]" in w for w in warnings)
    _edit(path, "  - phase: contact\n", "  - phase: contact\n    jurisdictions: [IN]\n")
    assert not any("[jurisdiction]" in w for w in _issues(rules, knowledge, Severity.WARNING))


def test_a_step_naming_zatca_without_a_tag_is_a_warning(kb_copy):
    rules, knowledge = kb_copy
    path = knowledge / "faults/network/network.disconnected.yaml"
    text = path.read_text(encoding="utf-8")
    step = re.search(r"      en: (Call the network[^\n]*)", text)
    assert step is not None
    _edit(path, step.group(1), step.group(1) + " Report to ZATCA within 24 hours.")
    warnings = _issues(rules, knowledge, Severity.WARNING)
    assert any("names a platform of SA" in w and "[jurisdiction]" in w for w in warnings)
    _edit(path, "  - phase: contact\n", "  - phase: contact\n    jurisdictions: [SA]\n")
    assert not any("[jurisdiction]" in w for w in _issues(rules, knowledge, Severity.WARNING))


def test_a_renamed_rule_must_not_still_exist(kb_copy):
    rules, knowledge = kb_copy
    path = next(p for p in rules.rglob("*.yaml") if "cases" not in p.parts)
    other = next(p.stem for p in rules.rglob("*.yaml") if "cases" not in p.parts and p != path)
    _edit(path, "\nwhen:", f"\nrelated:\n  - {{id: {other}, type: renamed}}\nwhen:")
    errors = _issues(rules, knowledge)
    assert any(f"rule {other!r} still exists" in e and "[related]" in e for e in errors), errors
    _edit(path, f"{{id: {other}, type: renamed}}", "{id: an-old-name, type: renamed}")
    assert _issues(rules, knowledge) == []
    load_knowledge_base(rules, knowledge)  # and it loads


def test_a_rule_status_outside_the_lifecycle_is_an_error(kb_copy):
    rules, knowledge = kb_copy
    path = next(p for p in rules.rglob("*.yaml") if "cases" not in p.parts)
    text = path.read_text(encoding="utf-8")
    status = re.search(r"^status: \w+$", text, re.M)
    assert status is not None
    _edit(path, status.group(0), "status: production")
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge_base(rules, knowledge)
    assert "status: Input should be 'stable', 'test', 'experimental' or 'deprecated'" in str(
        info.value
    )


def test_docs_sources_lists_exactly_the_sources_the_lint_knows(shipped):
    """knowledge/sources.yaml ships with the package (an installed wheel has no docs/); the
    page that describes each source must stay in step with it."""
    headings = re.findall(r"^## (\S+)\s*$", (ROOT / "docs/sources.md").read_text("utf-8"), re.M)
    assert sorted(headings) == sorted(shipped.kb.sources)


def test_the_shipped_references_all_resolve(shipped):
    assert shipped.kb.sources
    issues = lint_knowledge_base(shipped.kb.rules_path, shipped.kb.knowledge_path)
    assert [str(i) for i in issues if i.code == "reference"] == []
