"""The emergency plan of a diagnosis: the fault's steps for the ticket's jurisdiction, with the
desk's own contacts filled in from the site profile."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from ..intake._hanzi import chinese_script, to_simplified
from ..kb.models import Fault, Jurisdiction, LocalizedText, Step, SystemProfile, TaggedText
from ..result import Escalation, JurisdictionBasis, Plan, PlanStep
from .contacts import HOW_TO_CONFIGURE, contact_values, fill

if TYPE_CHECKING:
    from .site import SiteProfile

T = TypeVar("T", Step, TaggedText)


# Words that place a Chinese ticket in Taiwan. The first group names Taiwan or its invoicing
# vocabulary in either script; the second (the tax and finance authorities' names, cities) is
# also said on the mainland, so it counts only in a ticket written in traditional characters.
# Written in traditional characters; the text is matched as written and folded to simplified.
_TAIWAN_WORDS = (
    "臺灣",
    "台灣",
    "統編",
    "統一編號",
    "載具",
    "營業人",
    "二聯式",
    "三聯式",
    "證明聯",
    "加值中心",
    "字軌",
    "整合服務平台",
)
_TAIWAN_IN_TRADITIONAL = (
    "國稅局",
    "財政部",
    "臺北",
    "台北",
    "新北",
    "桃園",
    "臺中",
    "台中",
    "臺南",
    "台南",
    "高雄",
    "新竹",
)


@functools.cache
def _words(words: tuple[str, ...]) -> re.Pattern[str]:
    # built on first use: the simplified forms need OpenCC, which a ticket without Chinese text
    # never loads
    forms = {form for w in words for form in (w, to_simplified(w))}
    return re.compile("|".join(sorted(map(re.escape, forms), key=len, reverse=True)))


# only the start of a long text is read for the weak default: bounded work per ticket
_LANGUAGE_SCAN = 4000

_NAMES: dict[str, LocalizedText] = {
    "CN": LocalizedText.model_construct(zh="中国大陆", en="mainland China"),
    "TW": LocalizedText.model_construct(zh="台湾", en="Taiwan"),
    "IN": LocalizedText.model_construct(zh="印度", en="India"),
    "IT": LocalizedText.model_construct(zh="意大利", en="Italy"),
    "EU": LocalizedText.model_construct(zh="Peppol 网络", en="the Peppol network"),
    "PL": LocalizedText.model_construct(zh="波兰", en="Poland"),
    "SA": LocalizedText.model_construct(zh="沙特阿拉伯", en="Saudi Arabia"),
}
_CHANGE = LocalizedText.model_construct(
    zh="如不对，用 --system 指定系统，或在站点档案中设置 jurisdiction。",
    en="If that is wrong, name the system (--system) or set jurisdiction in a site profile.",
)

_NARROW = LocalizedText.model_construct(
    zh="用 --system 指定系统，或在站点档案中设置 jurisdiction，只保留适用的步骤。",
    en="Name the system (--system) or set jurisdiction in a site profile to keep only those "
    "that apply.",
)


@dataclass(frozen=True)
class JurisdictionChoice:
    """The jurisdictions whose specific plan items are kept (() keeps every item), what chose
    them, and the sentence that says so."""

    jurisdictions: tuple[str, ...]
    basis: JurisdictionBasis | None
    note: LocalizedText


def _names(jurisdictions: Sequence[str], lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    return sep.join(_NAMES[j].get(lang) if j in _NAMES else j for j in jurisdictions)


def _note(jurisdictions: Sequence[str], zh: str, en: str, **values: LocalizedText) -> LocalizedText:
    """'Steps for <where>: <why>' in both languages, `values` filled in each language's form."""
    z = {k: v.zh for k, v in values.items()}
    e = {k: v.en for k, v in values.items()}
    return LocalizedText.model_construct(
        zh=f"适用地区：{_names(jurisdictions, 'zh')}（{zh.format(**z)}）。",
        en=f"Steps for {_names(jurisdictions, 'en')} ({en.format(**e)}).",
    )


def _system_names(ids: Iterable[str], known: Mapping[str, SystemProfile]) -> LocalizedText:
    """The names of the systems `ids`, listed in each language."""
    names = [known[s].name for s in ids if s in known]
    return LocalizedText.model_construct(
        zh="、".join(n.zh for n in names), en=", ".join(n.en for n in names)
    )


def choose_jurisdictions(
    systems: Sequence[str],
    known: Mapping[str, SystemProfile],
    site: SiteProfile | None,
    *,
    named_by_ticket: bool = False,
    system_from_site: bool = False,
    text: str | None = None,
) -> JurisdictionChoice:
    """The jurisdictions a plan is for, strongest evidence first.

    1. the ticket's own system (`named_by_ticket`: the first of `systems` is the ticket's
       field, or the site profile's default system when `system_from_site`);
    2. the systems recognised in the text;
    3. the site profile's `jurisdiction`;
    4. a weak default from the ticket text: Taiwan-specific words → TW; else simplified
       Chinese → CN. Traditional characters alone do not tell Taiwan from Hong Kong or Macao,
       and English is written everywhere: neither chooses.
    Generic systems (`any`) say nothing about the jurisdiction. With nothing to go on, every
    item is kept.
    """

    def specific(ids: Iterable[str]) -> tuple[list[str], tuple[str, ...]]:
        used: list[str] = []
        out: list[str] = []
        for sid in ids:
            system = known.get(sid)
            if system is not None and system.jurisdiction is not Jurisdiction.ANY:
                used.append(sid)
                if system.jurisdiction.value not in out:
                    out.append(system.jurisdiction.value)
        return used, tuple(out)

    if named_by_ticket and systems:
        used, own = specific(systems[:1])
        if own:
            if system_from_site:
                return JurisdictionChoice(
                    own,
                    JurisdictionBasis.SITE_SYSTEM,
                    _note(
                        own,
                        "站点档案的默认系统：{s}",
                        "the site profile's default system: {s}",
                        s=_system_names(used, known),
                    ),
                )
            return JurisdictionChoice(
                own,
                JurisdictionBasis.TICKET_SYSTEM,
                _note(
                    own, "工单的系统：{s}", "the ticket's system: {s}", s=_system_names(used, known)
                ),
            )
    used, found = specific(systems)
    if found:
        return JurisdictionChoice(
            found,
            JurisdictionBasis.TEXT_SYSTEM,
            _note(
                found,
                "工单文字提到：{s}",
                "the ticket text names {s}",
                s=_system_names(used, known),
            ),
        )
    if site is not None and site.jurisdiction is not None:
        if site.jurisdiction is Jurisdiction.ANY:
            return JurisdictionChoice(
                (),
                JurisdictionBasis.SITE,
                LocalizedText.model_construct(
                    zh="站点档案的 jurisdiction 为 any：列出各地区的步骤。",
                    en="The site profile's jurisdiction is any: steps for every jurisdiction "
                    "are shown.",
                ),
            )
        where = (site.jurisdiction.value,)
        return JurisdictionChoice(
            where,
            JurisdictionBasis.SITE,
            _note(where, "站点档案的 jurisdiction", "the site profile's jurisdiction"),
        )
    return _from_language(text or "")


def given_jurisdictions(jurisdictions: Iterable[str]) -> JurisdictionChoice:
    """The choice when the caller names the jurisdictions (none: every item)."""
    chosen = tuple(jurisdictions)
    if not chosen:
        return JurisdictionChoice(
            (),
            JurisdictionBasis.GIVEN,
            LocalizedText.model_construct(
                zh="按要求列出各地区的步骤。", en="Steps for every jurisdiction, as asked."
            ),
        )
    return JurisdictionChoice(chosen, JurisdictionBasis.GIVEN, _note(chosen, "按要求", "as asked"))


def _from_language(text: str) -> JurisdictionChoice:
    """The weak default: the ticket's script and wording (see choose_jurisdictions)."""
    head = text[:_LANGUAGE_SCAN]
    script = chinese_script(head)
    if script is not None:
        words = [m.group() for m in _words(_TAIWAN_WORDS).finditer(head)]
        if script == "traditional":
            words += [m.group() for m in _words(_TAIWAN_IN_TRADITIONAL).finditer(head)]
        if words:
            seen = "、".join(dict.fromkeys(words))
            note = _note(
                ("TW",),
                "由工单文字推断：提到 {w}；工单没有指明系统",
                "assumed from the ticket text, which says {w} and names no system",
                w=LocalizedText.model_construct(zh=seen, en=seen),
            )
            return JurisdictionChoice(("TW",), JurisdictionBasis.LANGUAGE, _append(note, _CHANGE))
        if script == "simplified":
            note = _note(
                ("CN",),
                "由工单使用简体中文推断；工单没有指明系统",
                "assumed from the ticket's simplified Chinese; it names no system",
            )
            return JurisdictionChoice(("CN",), JurisdictionBasis.LANGUAGE, _append(note, _CHANGE))
        return JurisdictionChoice(
            (),
            None,
            LocalizedText.model_construct(
                zh="工单用繁体中文书写但没有指明系统，无法区分台湾与港澳：列出各地区的步骤。"
                + _NARROW.zh,
                en="The ticket is in traditional Chinese but names no system, which does not "
                "tell Taiwan from Hong Kong or Macao: steps for every jurisdiction are shown. "
                + _NARROW.en,
            ),
        )
    return JurisdictionChoice(
        (),
        None,
        LocalizedText.model_construct(
            zh="工单没有指明系统，也没有站点档案说明地区：列出各地区的步骤。" + _NARROW.zh,
            en="The ticket names no system and no site profile says where the desk is: steps "
            "for every jurisdiction are shown. " + _NARROW.en,
        ),
    )


def _append(note: LocalizedText, more: LocalizedText) -> LocalizedText:
    return LocalizedText.model_construct(zh=note.zh + more.zh, en=f"{note.en} {more.en}")


def _applies(items: Iterable[T], jurisdictions: tuple[str, ...]) -> list[T]:
    """The items that hold everywhere or in one of `jurisdictions` (every item when unknown)."""
    if not jurisdictions:
        return list(items)
    return [i for i in items if not i.jurisdictions or set(i.jurisdictions) & set(jurisdictions)]


def _plain(text: LocalizedText, values: Mapping[str, LocalizedText]) -> LocalizedText:
    filled = fill(text, values)
    return LocalizedText.model_construct(zh=filled.zh, en=filled.en)


def _has_tagged(fault: Fault) -> bool:
    """Whether some step or item of `fault` holds in some jurisdictions only."""
    items: list[Step | TaggedText] = [
        *fault.emergency_steps,
        *fault.workaround,
        *fault.recovery,
        *fault.prevention,
    ]
    if fault.customer_notice is not None:
        items.append(fault.customer_notice)
    return any(i.jurisdictions for i in items)


def build_plan(
    fault: Fault,
    *,
    jurisdictions: tuple[str, ...] = (),
    site: SiteProfile | None = None,
    priority: str | None = None,
    basis: JurisdictionBasis | None = None,
    jurisdiction_note: LocalizedText | None = None,
) -> Plan:
    """The plan for `fault`: its steps, workaround, recovery, prevention and notice that hold in
    `jurisdictions`, contacts filled from `site` (or named by role), and the escalation contact
    that applies to this priority and fault."""
    escalation = site.escalation_for(priority, fault.id) if site is not None else None
    values = contact_values(site, escalation)
    notice = None
    if fault.customer_notice is not None and _applies([fault.customer_notice], jurisdictions):
        notice = _plain(fault.customer_notice, values)
    return Plan.model_construct(
        fault_id=fault.id,
        steps=tuple(
            PlanStep.model_construct(
                phase=s.phase, text=_plain(s.text, values), principles=s.principles
            )
            for s in _applies(fault.emergency_steps, jurisdictions)
        ),
        workaround=tuple(_plain(t, values) for t in _applies(fault.workaround, jurisdictions)),
        recovery=tuple(_plain(t, values) for t in _applies(fault.recovery, jurisdictions)),
        prevention=tuple(_plain(t, values) for t in _applies(fault.prevention, jurisdictions)),
        customer_notice=notice,
        references=fault.references,
        jurisdictions=jurisdictions,
        jurisdiction_basis=basis,
        # the note matters only when the fault has items of one jurisdiction to keep or drop
        jurisdiction_note=jurisdiction_note if _has_tagged(fault) else None,
        escalation=Escalation.model_construct(
            contact=escalation.contact, when=escalation.when.describe()
        )
        if escalation is not None
        else None,
        contacts_note=HOW_TO_CONFIGURE if site is None else None,
    )
