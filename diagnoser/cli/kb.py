"""Knowledge commands: `explain` a fault, rule or symptom, look up `codes`; the `kb` group's
`lint`, `test`, `show` and `learn`.

Each command reads the knowledge base given by --rules/--knowledge (default: the shipped one)
and exits 0 when it found what was asked, 1 when it did not (with close matches as
suggestions) or `kb lint` / `kb test` found problems, 3 when the knowledge base is invalid and
4 when an option or an input file names or holds what cannot be used.
"""

from __future__ import annotations

import difflib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from ..intake.codes import canonical_code
from ..kb.builtin import code_rules
from ..kb.casetest import load_cases
from ..kb.index import RuleIndex
from ..kb.knowledge import KnowledgeBase
from ..kb.models import Condition, ErrorCode, Fault, Group, RuleSpec, Symptom
from ..report import detect_language
from ..result import SCHEMA_VERSION
from ._common import (
    EXIT_INPUT,
    EXIT_NOTHING,
    EXIT_OK,
    fail,
    kb_options,
    kb_paths,
    load_kb,
    make_diagnoser,
)

FORMATS = click.Choice(["text", "json"])


def _lang_option(func: Any) -> Any:
    return click.option(
        "--lang",
        type=click.Choice(["zh", "en"]),
        help="Language of the text output (default: the locale's).",
    )(func)


def _format_option(func: Any) -> Any:
    return click.option("--format", "-f", "fmt", type=FORMATS, default="text", show_default=True)(
        func
    )


def _all_rules(kb: KnowledgeBase) -> RuleIndex:
    """The rules of the knowledge base (deprecated ones too) and the built-in `code.<fault>`
    rules, by id."""
    return RuleIndex(sorted([*kb.rules.values(), *code_rules(kb)], key=lambda r: r.id))


def _where(kb: KnowledgeBase, kind: str, ident: str) -> str | None:
    location = kb.location(kind, ident)
    return str(location) if location else None


def _suggest(name: str, choices: list[str], n: int = 3) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=n, cutoff=0.5)
    if not close:
        return ""
    quoted = [repr(c) for c in close]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f"; did you mean {listed}?"


def _emit_json(data: dict[str, Any]) -> None:
    click.echo(json.dumps({"schema_version": SCHEMA_VERSION, **data}, ensure_ascii=False, indent=2))


# --- explain -----------------------------------------------------------------------------------


class _Text:
    """Collects the lines of a text explanation."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.lines: list[str] = []

    def add(self, line: str = "") -> None:
        self.lines.append(line)

    def section(self, title_zh: str, title_en: str) -> None:
        self.add()
        self.add(title_zh if self.lang == "zh" else title_en)

    def t(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def __str__(self) -> str:
        return "\n".join(self.lines) + "\n"


def _cond_text(kb: KnowledgeBase, cond: Condition, lang: str) -> str:
    symptom = kb.symptoms.get(cond.symptom)
    name = f" ({symptom.name.get(lang)})" if symptom else ""
    return cond.describe() + name


def _group_text(out: _Text, kb: KnowledgeBase, group: Group, indent: int) -> None:
    pad = " " * indent
    for key, zh, en in (("all", "全部满足：", "all of:"), ("any", "满足其一：", "any of:")):
        items = getattr(group, key)
        if not items:
            continue
        out.add(pad + out.t(zh, en))
        for item in items:
            if isinstance(item, Condition):
                out.add(f"{pad}  - {_cond_text(kb, item, out.lang)}")
            else:
                out.add(f"{pad}  - " + out.t("一组：", "a group:"))
                _group_text(out, kb, item, indent + 4)
    if group.none:
        out.add(pad + out.t("且都不成立：", "none of:"))
        for cond in group.none:
            out.add(f"{pad}  - {_cond_text(kb, cond, out.lang)}")


def _fault_rules(rules: RuleIndex, fault_id: str) -> list[RuleSpec]:
    return list(rules.concluding(fault_id))


def _fault_codes(kb: KnowledgeBase, fault_id: str) -> list[dict[str, Any]]:
    return [
        {
            "system": system_id,
            "code": entry.code,
            "message": entry.message.model_dump(),
            "certainty": entry.certainty,
        }
        for system_id, system in sorted(kb.systems.items())
        for entry in system.codes
        if fault_id in entry.faults
    ]


def _explain_fault(kb: KnowledgeBase, rules: RuleIndex, fault: Fault, fmt: str, lang: str) -> None:
    concluding = _fault_rules(rules, fault.id)
    codes = _fault_codes(kb, fault.id)
    if fmt == "json":
        _emit_json(
            {
                "kind": "fault",
                **fault.model_dump(mode="json"),
                "category": fault.category,
                "location": _where(kb, "fault", fault.id),
                "rules": [
                    {
                        "id": r.id,
                        "status": r.status.value,
                        "certainty": r.then.certainty,
                        "because": r.then.because.model_dump(),
                    }
                    for r in concluding
                ],
                "codes": codes,
            }
        )
        return
    out = _Text(lang)
    category = kb.categories.get(fault.category)
    out.add(f"{fault.id} — {fault.title.get(lang)}")
    out.add(
        out.t("类别", "category")
        + f": {fault.category}"
        + (f" ({category.name.get(lang)})" if category else "")
        + "  "
        + out.t("严重程度", "severity")
        + f": {fault.severity.value}"
    )
    where = _where(kb, "fault", fault.id)
    if where:
        out.add(out.t("定义于", "defined at") + f" {where}")
    out.add()
    out.add(fault.description.get(lang))
    out.section("常见原因", "Causes")
    for cause in fault.causes:
        out.add(f"  - [{cause.kind.value}] {cause.text.get(lang)}")
    out.section("得出此故障的规则", "Rules that conclude it")
    if not concluding:
        out.add("  " + out.t("（无）", "(none)"))
    for rule in concluding:
        out.add(f"  - {rule.id} @{rule.then.certainty:g} ({rule.status.value})")
        out.add(f"      {rule.then.because.get(lang)}")
    out.section("指向此故障的错误代码", "Error codes that point at it")
    if not codes:
        out.add("  " + out.t("（无）", "(none)"))
    for code in codes:
        message = code["message"][lang]
        out.add(f"  - {code['system']} {code['code']}: {message} @{code['certainty']:g}")
    out.section("应急处理", "Emergency plan")
    for i, step in enumerate(fault.emergency_steps, 1):
        out.add(f"  {i}. [{step.phase.value}] {step.text.get(lang)}")
    for items, zh, en in (
        (fault.workaround, "临时替代方案", "Workaround"),
        (fault.recovery, "恢复", "Recovery"),
        (fault.prevention, "预防", "Prevention"),
    ):
        if items:
            out.section(zh, en)
            for item in items:
                out.add(f"  - {item.get(lang)}")
    if fault.customer_notice:
        out.section("告知客户", "Customer notice")
        out.add(f"  {fault.customer_notice.get(lang)}")
    out.section("出处", "References")
    for ref in fault.references:
        out.add(f"  - {ref}")
    click.echo(str(out), nl=False)


def _rule_cases(kb: KnowledgeBase, rule_id: str) -> list[dict[str, Any]]:
    if kb.rules_path is None or rule_id not in kb.rules:
        return []
    cases, _ = load_cases(kb.rules_path, set(kb.rules))
    return [
        {
            "name": c.case.name,
            "fires": c.case.fires,
            "certainty": c.case.certainty,
            "known_gap": c.case.known_gap,
            "location": str(c.location),
        }
        for c in cases
        if c.rule == rule_id
    ]


def _explain_rule(kb: KnowledgeBase, rule: RuleSpec, fmt: str, lang: str) -> None:
    builtin = rule.id not in kb.rules
    cases = _rule_cases(kb, rule.id)
    if fmt == "json":
        _emit_json(
            {
                "kind": "rule",
                **rule.model_dump(mode="json", by_alias=True, exclude_none=True),
                "builtin": builtin,
                "location": None if builtin else _where(kb, "rule", rule.id),
                "cases": cases,
            }
        )
        return
    out = _Text(lang)
    out.add(f"{rule.id} — {rule.title}")
    meta = [
        out.t("状态", "status") + f": {rule.status.value}",
        out.t("作者", "author") + f": {rule.author}",
        out.t("日期", "date") + f": {rule.date.isoformat()}",
    ]
    if rule.modified:
        meta.append(out.t("修改", "modified") + f": {rule.modified.isoformat()}")
    out.add(" · ".join(meta))
    if rule.tags:
        out.add(out.t("标签", "tags") + ": " + ", ".join(rule.tags))
    if builtin:
        out.add(out.t("内置规则（来自错误代码目录）", "built in (from the error-code catalogs)"))
    else:
        where = _where(kb, "rule", rule.id)
        if where:
            out.add(out.t("定义于", "defined at") + f" {where}")
    if rule.description:
        out.add()
        out.add(rule.description)
    out.section("条件", "When")
    _group_text(out, kb, rule.when, 2)
    out.section("结论", "Then")
    if rule.then.fault:
        fault = kb.faults.get(rule.then.fault)
        title = f" ({fault.title.get(lang)})" if fault else ""
        out.add(
            "  "
            + out.t("故障", "fault")
            + f" {rule.then.fault}{title}, "
            + out.t("确定度", "certainty")
            + f" {rule.then.certainty:g}"
        )
    else:
        value = "" if rule.then.value is True else f" = {rule.then.value}"
        out.add(
            "  "
            + out.t("推出症状", "derives")
            + f" {rule.then.derive}{value}, "
            + out.t("确定度", "certainty")
            + f" {rule.then.certainty:g}"
        )
    out.add("  " + out.t("理由", "because") + f": {rule.then.because.get(lang)}")
    if rule.falsepositives:
        out.section("可能误判", "False positives")
        for item in rule.falsepositives:
            out.add(f"  - {item}")
    out.section("出处", "References")
    for ref in rule.references:
        out.add(f"  - {ref}")
    if not builtin:
        out.section("测试用例", "Cases")
        if not cases:
            out.add("  " + out.t("（无）", "(none)"))
        for case in cases:
            mark = out.t("触发", "fires") if case["fires"] else out.t("不触发", "must not fire")
            if case["certainty"] is not None:
                mark += f" {case['certainty']:g}"
            gap = f" [{out.t('已知缺口', 'known gap')}]" if case["known_gap"] else ""
            out.add(f"  - {mark}: {case['name']}{gap} ({case['location']})")
    click.echo(str(out), nl=False)


def _explain_symptom(
    kb: KnowledgeBase, rules: RuleIndex, symptom: Symptom, fmt: str, lang: str
) -> None:
    used = [
        {
            "rule": rule_id,
            "absent": use.absent,
            "concludes": then.fault or f"derive:{then.derive}",
        }
        for rule_id in rules.testing(symptom.id)
        for then in [rules.rules[rule_id].then]
        for use in rules.conditions(rule_id)
        if use.symptom == symptom.id
    ]
    used = [dict(t) for t in {tuple(sorted(u.items())) for u in used}]
    used.sort(key=lambda u: (u["rule"], u["absent"]))
    derived_by = [r.id for r in rules.deriving(symptom.id)]
    if fmt == "json":
        _emit_json(
            {
                "kind": "symptom",
                **symptom.model_dump(mode="json", exclude_none=True),
                "location": _where(kb, "symptom", symptom.id),
                "used_by": used,
                "derived_by": derived_by,
            }
        )
        return
    out = _Text(lang)
    out.add(f"{symptom.id} — {symptom.name.get(lang)} ({symptom.kind.value})")
    where = _where(kb, "symptom", symptom.id)
    if where:
        out.add(out.t("定义于", "defined at") + f" {where}")
    if symptom.description:
        out.add(symptom.description.get(lang))
    if symptom.question:
        out.add(
            out.t("电话里这样问", "asked on the phone as")
            + f": {symptom.question.get(lang)} ("
            + out.t("成本", "cost")
            + f" {symptom.cost})"
        )
    out.add(out.t("文本模式", "text patterns") + f": {len(symptom.patterns.all())}")
    out.section("用到它的规则", "Rules that test it")
    if not used:
        out.add("  " + out.t("（无）", "(none)"))
    for use in used:
        role = (
            out.t("需要没有", "needs it absent") if use["absent"] else out.t("需要有", "needs it")
        )
        out.add(f"  - {use['rule']} ({role}) → {use['concludes']}")
    if derived_by:
        out.section("推出它的规则", "Rules that derive it")
        for rule_id in derived_by:
            out.add(f"  - {rule_id}")
    click.echo(str(out), nl=False)


@click.command()
@click.argument("ident", metavar="FAULT_ID|RULE_ID")
@_format_option
@_lang_option
@kb_options
def explain(
    ident: str, fmt: str, lang: str | None, rules: Path | None, knowledge: Path | None
) -> None:
    """What a fault, a rule (or a symptom) of the knowledge base is, and how it is used.

    For a fault: its description, causes, the rules and error codes leading to it and its
    emergency plan. For a rule: its conditions, conclusion, certainty, reasons, references and
    fixture cases. A symptom id shows its question and the rules that test it.
    """
    kb = load_kb(rules, knowledge)
    lang = lang or detect_language("")
    everything = _all_rules(kb)
    if ident in kb.faults:
        _explain_fault(kb, everything, kb.faults[ident], fmt, lang)
    elif ident in everything.rules:
        _explain_rule(kb, everything.rules[ident], fmt, lang)
    elif ident in kb.symptoms:
        _explain_symptom(kb, everything, kb.symptoms[ident], fmt, lang)
    else:
        names = [*kb.faults, *kb.rules, *kb.symptoms]
        fail(f"no fault, rule or symptom {ident!r}{_suggest(ident, names)}", EXIT_NOTHING)
    sys.exit(EXIT_OK)


# --- codes -------------------------------------------------------------------------------------


def _rule_codes(rules: RuleIndex) -> dict[str, list[RuleSpec]]:
    """Canonical code -> the rules that test `error_code` against it."""
    out: dict[str, list[RuleSpec]] = {}
    for rule_id in rules.testing("error_code"):
        rule = rules.rules[rule_id]
        for use in rules.conditions(rule_id):
            cond = use.condition
            if cond.symptom == "error_code" and cond.operator in ("equals", "in"):
                values = cond.operand if cond.operator == "in" else (cond.operand,)
                for value in values:
                    found = out.setdefault(canonical_code(str(value)), [])
                    if rule not in found:
                        found.append(rule)
    return out


def _catalog(
    kb: KnowledgeBase, system: str | None, fault: str | None
) -> list[tuple[str, ErrorCode]]:
    """(system, entry) of every catalogued code, by system then catalog order, filtered."""
    return [
        (system_id, entry)
        for system_id, profile in sorted(kb.systems.items())
        if system is None or system_id == system
        for entry in profile.codes
        if fault is None or fault in entry.faults
    ]


def _matches(kb: KnowledgeBase, system_id: str, entry: ErrorCode, words: list[str]) -> bool:
    """Whether every word of a search occurs in the code, its message, its faults or system."""
    haystack = " ".join(
        [
            entry.code,
            canonical_code(entry.code),
            entry.message.zh,
            entry.message.en,
            system_id,
            *entry.faults,
            *(
                kb.faults[f].title.get(lang)
                for f in entry.faults
                if f in kb.faults
                for lang in ("zh", "en")
            ),
        ]
    ).casefold()
    return all(word in haystack for word in words)


def _list_codes(
    kb: KnowledgeBase,
    query: str | None,
    found: list[tuple[str, ErrorCode]],
    fmt: str,
    lang: str,
) -> None:
    if fmt == "json":
        _emit_json(
            {
                "query": query,
                "count": len(found),
                "codes": [
                    {
                        "system": system_id,
                        "code": entry.code,
                        "message": entry.message.model_dump(),
                        "faults": list(entry.faults),
                        "certainty": entry.certainty,
                        "references": list(entry.references),
                    }
                    for system_id, entry in found
                ],
            }
        )
        return
    out = _Text(lang)
    width = max((len(e.code) for _, e in found), default=4)
    current = None
    for system_id, entry in found:
        if system_id != current:
            if current is not None:
                out.add()
            out.add(f"{system_id} — {kb.systems[system_id].name.get(lang)}")
            current = system_id
        out.add(f"  {entry.code:<{width}}  {entry.message.get(lang)}")
        out.add(f"  {'':<{width}}  → {', '.join(entry.faults)} @{entry.certainty:g}")
    out.add()
    systems = len({s for s, _ in found})
    out.add(
        out.t(
            f"共 {len(found)} 个错误代码，{systems} 个系统",
            f"{len(found)} code(s) in {systems} system(s)",
        )
    )
    click.echo(str(out), nl=False)


@click.command()
@click.argument("query", required=False)
@click.option("--system", help="Only this system's codes (a system id of the knowledge base).")
@click.option("--fault", help="Only codes pointing at this fault id.")
@_format_option
@_lang_option
@kb_options
def codes(
    query: str | None,
    system: str | None,
    fault: str | None,
    fmt: str,
    lang: str | None,
    rules: Path | None,
    knowledge: Path | None,
) -> None:
    """List, search or look up the error-code catalogs of the invoicing systems.

    Without QUERY: every code (of --system, pointing at --fault). A QUERY that is a catalogued
    code shows what it means in each system (E1001 and 错误代码1001 mean 1001); any other QUERY
    searches codes, messages (zh/en), fault ids and titles: every word must occur.
    """
    kb = load_kb(rules, knowledge)
    lang = lang or detect_language(query or "")
    if system is not None and system not in kb.systems:
        fail(f"unknown system {system!r}{_suggest(system, list(kb.systems))}", EXIT_INPUT)
    if fault is not None and fault not in kb.faults:
        fail(f"unknown fault {fault!r}{_suggest(fault, list(kb.faults))}", EXIT_INPUT)
    code = (query or "").strip()
    canonical = canonical_code(code) if code else ""
    exact = bool(canonical) and bool(
        kb.code_meanings(canonical) or _rule_codes(kb.rule_index()).get(canonical)
    )
    if not exact or fault is not None:
        listed = _catalog(kb, system, fault)
        words = code.casefold().split()
        found = [(s, e) for s, e in listed if _matches(kb, s, e, words)]
        if not found:
            where = (f" of {system!r}" if system else "") + (
                f" pointing at {fault!r}" if fault else ""
            )
            if not code:
                fail(f"no error code{where}", EXIT_NOTHING)
            known = {canonical_code(e.code) for _, e in listed}
            if canonical and len(words) == 1 and any(c.isdigit() for c in canonical):
                known |= set(_rule_codes(_all_rules(kb))) if not (system or fault) else set()
                shown = f"{code!r}" + (f" (read as {canonical!r})" if canonical != code else "")
                fail(
                    f"unknown error code {shown}{where}{_suggest(canonical, sorted(known))}",
                    EXIT_NOTHING,
                )
            fail(f"no error code{where} matches {code!r}", EXIT_NOTHING)
        _list_codes(kb, query, found, fmt, lang)
        sys.exit(EXIT_OK)
    everywhere = kb.code_meanings(canonical)
    meanings = [(s, e) for s, e in everywhere if system is None or s == system]
    testing = _rule_codes(kb.rule_index()).get(canonical, [])
    if not meanings and not (testing and system is None):
        if everywhere:
            others = ", ".join(s for s, _ in everywhere)
            fail(
                f"error code {canonical!r} is not in the catalog of {system!r}; "
                f"it is documented for: {others}",
                EXIT_NOTHING,
            )
        known = {canonical_code(e.code) for s in kb.systems.values() for e in s.codes}
        known |= set(_rule_codes(_all_rules(kb)))
        shown = f"{code!r}" + (f" (read as {canonical!r})" if canonical != code else "")
        fail(f"unknown error code {shown}{_suggest(canonical, sorted(known))}", EXIT_NOTHING)
    data: dict[str, Any] = {
        "input": code,
        "code": canonical,
        "meanings": [
            {
                "system": system_id,
                "system_name": kb.systems[system_id].name.model_dump(),
                "code": entry.code,
                "message": entry.message.model_dump(),
                "faults": list(entry.faults),
                "certainty": entry.certainty,
                "note": entry.note.model_dump() if entry.note else None,
                "references": list(entry.references),
            }
            for system_id, entry in meanings
        ],
        "rules": [
            {"id": r.id, "concludes": r.then.fault or f"derive:{r.then.derive}"} for r in testing
        ],
    }
    if fmt == "json":
        _emit_json(data)
        sys.exit(EXIT_OK)
    out = _Text(lang)
    head = out.t("错误代码", "Error code") + f" {canonical}"
    if canonical != code:
        head += " (" + out.t("输入", "typed as") + f" {code})"
    out.add(head)
    for meaning in data["meanings"]:
        out.add()
        out.add(f"{meaning['system']} — {meaning['system_name'][lang]}")
        out.add("  " + out.t("含义", "message") + f": {meaning['message'][lang]}")
        for fault_id in meaning["faults"]:
            entry = kb.faults.get(fault_id)
            title = f" ({entry.title.get(lang)})" if entry else ""
            out.add(
                "  " + out.t("故障", "fault") + f": {fault_id}{title} @{meaning['certainty']:g}"
            )
        if meaning["note"]:
            out.add("  " + out.t("说明", "note") + f": {meaning['note'][lang]}")
        for ref in meaning["references"]:
            out.add("  " + out.t("出处", "reference") + f": {ref}")
    if data["rules"]:
        out.section("检查此代码的规则", "Rules that test this code")
        for item in data["rules"]:
            out.add(f"  - {item['id']} → {item['concludes']}")
    click.echo(str(out), nl=False)
    sys.exit(EXIT_OK)


# --- kb show -----------------------------------------------------------------------------------


def _overview(kb: KnowledgeBase) -> dict[str, Any]:
    per_category = Counter(f.category for f in kb.faults.values())
    builtin = code_rules(kb)
    return {
        "rules_path": str(kb.rules_path) if kb.rules_path else None,
        "knowledge_path": str(kb.knowledge_path) if kb.knowledge_path else None,
        "categories": {
            cid: {"name": cat.name.model_dump(), "faults": per_category.get(cid, 0)}
            for cid, cat in kb.categories.items()
        },
        "faults": len(kb.faults),
        "faults_by_severity": dict(
            sorted(Counter(f.severity.value for f in kb.faults.values()).items())
        ),
        "symptoms": len(kb.symptoms),
        "symptoms_by_kind": dict(
            sorted(Counter(s.kind.value for s in kb.symptoms.values()).items())
        ),
        "rules": len(kb.rules),
        "rules_by_status": dict(sorted(Counter(r.status.value for r in kb.rules.values()).items())),
        "derivations": sum(1 for r in kb.rules.values() if r.then.derive),
        "code_rules": len(builtin),
        "systems": {
            sid: {"name": s.name.model_dump(), "codes": len(s.codes)}
            for sid, s in sorted(kb.systems.items())
        },
    }


LISTS = ("faults", "rules", "symptoms", "systems")


def _listing(kb: KnowledgeBase, what: str) -> list[dict[str, Any]]:
    if what == "faults":
        return [
            {
                "id": f.id,
                "severity": f.severity.value,
                "title": f.title.model_dump(),
                "rules": sum(1 for r in kb.rules.values() if r.then.fault == f.id),
            }
            for f in sorted(kb.faults.values(), key=lambda f: f.id)
        ]
    if what == "rules":
        return [
            {
                "id": r.id,
                "status": r.status.value,
                "concludes": r.then.fault or f"derive:{r.then.derive}",
                "certainty": r.then.certainty,
            }
            for r in sorted(kb.rules.values(), key=lambda r: r.id)
        ]
    if what == "symptoms":
        return [
            {
                "id": s.id,
                "kind": s.kind.value,
                "name": s.name.model_dump(),
                "question": s.question.model_dump() if s.question else None,
                "cost": s.cost,
            }
            for s in sorted(kb.symptoms.values(), key=lambda s: s.id)
        ]
    return [
        {"id": sid, "name": s.name.model_dump(), "codes": len(s.codes)}
        for sid, s in sorted(kb.systems.items())
    ]


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counter.items())


@click.command("show")
@click.argument(
    "lists", nargs=-1, type=click.Choice(LISTS), metavar="[faults|rules|symptoms|systems]..."
)
@_format_option
@_lang_option
@kb_options
def kb_show(
    lists: tuple[str, ...],
    fmt: str,
    lang: str | None,
    rules: Path | None,
    knowledge: Path | None,
) -> None:
    """An overview of a knowledge base: counts, and the lists named as arguments.

    `diagnoser kb show` prints the counts; `diagnoser kb show faults rules` lists those too
    (--rules is the option naming the rules directory, so lists are arguments).
    """
    kb = load_kb(rules, knowledge)
    lang = lang or detect_language("")
    overview = _overview(kb)
    wanted = [w for w in LISTS if w in lists]
    if fmt == "json":
        _emit_json({**overview, **{f"{w}_list": _listing(kb, w) for w in wanted}})
        sys.exit(EXIT_OK)
    out = _Text(lang)
    out.add(out.t("知识库", "Knowledge base"))
    out.add("  " + out.t("规则目录", "rules") + f": {overview['rules_path']}")
    out.add("  " + out.t("知识目录", "knowledge") + f": {overview['knowledge_path']}")
    out.section(
        out.t("故障类别", "Categories") + f": {len(overview['categories'])}",
        out.t("故障类别", "Categories") + f": {len(overview['categories'])}",
    )
    for cid, cat in overview["categories"].items():
        out.add(
            f"  {cid:<10} {cat['faults']:>3} "
            + out.t("个故障", "faults")
            + f"  {cat['name'][lang]}"
        )
    out.add()
    out.add(
        out.t("故障", "Faults")
        + f": {overview['faults']} ({_counts(overview['faults_by_severity'])})"
    )
    out.add(
        out.t("症状", "Symptoms")
        + f": {overview['symptoms']} ({_counts(overview['symptoms_by_kind'])})"
    )
    out.add(
        out.t("规则", "Rules")
        + f": {overview['rules']} ({_counts(overview['rules_by_status'])}); "
        + out.t("其中推导规则", "derivations")
        + f" {overview['derivations']}; "
        + out.t("另有内置错误代码规则", "plus built-in code rules")
        + f" {overview['code_rules']}"
    )
    out.section(
        out.t("开票系统", "Systems") + f": {len(overview['systems'])}",
        out.t("开票系统", "Systems") + f": {len(overview['systems'])}",
    )
    for sid, info in overview["systems"].items():
        out.add(
            f"  {sid:<16} {info['codes']:>3} "
            + out.t("个代码", "codes")
            + f"  {info['name'][lang]}"
        )
    for what in wanted:
        items = _listing(kb, what)
        titles = {
            "faults": ("故障", "Faults"),
            "rules": ("规则", "Rules"),
            "symptoms": ("症状", "Symptoms"),
            "systems": ("开票系统", "Systems"),
        }
        out.section(*titles[what])
        for item in items:
            if what == "faults":
                out.add(f"  {item['id']:<36} {item['severity']:<8} {item['title'][lang]}")
            elif what == "rules":
                out.add(
                    f"  {item['id']:<36} {item['status']:<12} → {item['concludes']} "
                    f"@{item['certainty']:g}"
                )
            elif what == "symptoms":
                cost = f"{out.t('成本', 'cost')} {item['cost']}" if item["kind"] == "flag" else ""
                out.add(f"  {item['id']:<28} {item['kind']:<6} {cost:<7} {item['name'][lang]}")
            else:
                out.add(f"  {item['id']:<16} {item['codes']:>3}  {item['name'][lang]}")
    click.echo(str(out), nl=False)
    sys.exit(EXIT_OK)


@click.command("learn")
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--top", type=click.IntRange(1), default=20, show_default=True, help="Groups shown.")
@click.option(
    "--examples", type=click.IntRange(1), default=3, show_default=True, help="Examples a group."
)
@_format_option
def kb_learn(results: Path, top: int, examples: int, fmt: str) -> None:
    """Group what a batch run did not understand (RESULTS.jsonl) and propose vocabulary entries.

    Per group: how often, examples, and a term or symptom `match` entry to paste into knowledge/.
    """
    from ..kb.learn import MAX_DISTINCT, LearnError, format_text, learn, unrecognised_clauses

    try:
        groups = learn(unrecognised_clauses(results), top=top, examples=examples)
    except LearnError as exc:  # the results file is the command's input
        fail(str(exc), EXIT_INPUT)
    if groups.ungrouped:
        click.echo(
            f"diagnoser: {groups.ungrouped:,} clause(s) after the first {MAX_DISTINCT:,} distinct "
            "ones were counted but not grouped (memory bound); learn from a smaller results file",
            err=True,
        )
    if fmt == "json":
        _emit_json({"groups": [g.as_dict() for g in groups], "ungrouped": groups.ungrouped})
    elif groups:
        click.echo(format_text(groups))
    elif not groups.ungrouped:
        click.echo("every clause of the results was understood", err=True)


@click.command("lint")
@kb_options
def kb_lint(rules: Path | None, knowledge: Path | None) -> None:
    """Report every problem of the rules and knowledge with file:line."""
    from ..errors import IssueSeverity
    from ..kb.loader import lint_knowledge_base

    issues = lint_knowledge_base(*kb_paths(rules, knowledge))
    for issue in issues:
        click.echo(str(issue))
    errors = sum(i.severity is IssueSeverity.ERROR for i in issues)
    click.echo(f"{errors} error(s), {len(issues) - errors} warning(s)", err=True)
    sys.exit(EXIT_NOTHING if errors else EXIT_OK)


@click.command("test")
@kb_options
def kb_test(rules: Path | None, knowledge: Path | None) -> None:
    """Run the rule fixture cases (rules/cases/, rules/incidents/cases/) and the whole-knowledge-
    base scenarios (rules/scenarios/)."""
    from ..incidents.casetest import load_incident_cases, run_incident_case
    from ..kb.casetest import coverage_issues, run_case
    from ..kb.scenarios import load_scenarios, run_scenario

    diagnoser = make_diagnoser(rules, knowledge)
    assert diagnoser.kb.rules_path is not None
    cases, issues = load_cases(diagnoser.kb.rules_path, set(diagnoser.kb.rules))
    issues += coverage_issues(diagnoser, cases)
    incident_cases, incident_issues = load_incident_cases(
        diagnoser.kb.rules_path, set(diagnoser.kb.incident_rules)
    )
    issues += incident_issues
    scenarios, scenario_issues = load_scenarios(diagnoser.kb.rules_path, diagnoser.kb.faults)
    issues += scenario_issues
    runs = [
        *((loaded, run_case) for loaded in cases),
        *((loaded, run_incident_case) for loaded in incident_cases),
    ]
    failed = 0
    for loaded, run in runs:
        result = run(diagnoser, loaded)  # type: ignore[operator]
        if not result.ok:
            failed += 1
            why = "passes but is marked as a known gap" if result.passed else result.message
            click.echo(f"FAIL {result.location}: {result.subject}: {result.name}: {why}")
    scenarios_failed = 0
    for scenario in scenarios:
        outcome = run_scenario(diagnoser, scenario)
        if not outcome.ok:
            scenarios_failed += 1
            why = "passes but is marked as a known gap" if outcome.passed else outcome.message
            click.echo(f"FAIL {outcome.location}: scenario {outcome.name}: {why}")
    for issue in issues:
        click.echo(str(issue))
    gaps = sum(1 for c in cases if c.case.known_gap)
    scenario_gaps = sum(1 for s in scenarios if s.scenario.known_gap)
    click.echo(
        f"cases: {len(runs) - failed} passed, {failed} failed ({gaps} known gaps); "
        f"scenarios: {len(scenarios) - scenarios_failed} passed, {scenarios_failed} failed "
        f"({scenario_gaps} known gaps); {len(issues)} problem(s)",
        err=True,
    )
    sys.exit(EXIT_NOTHING if failed or scenarios_failed or issues else EXIT_OK)
