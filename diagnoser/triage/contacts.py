"""Contacts in plan texts: what each `{placeholder}` becomes, from a site profile or by role.

Apart from the site profile's models (`site.py`), so that a plan made without a profile — every
plan of a desk that has none — does not build them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..kb.models import PLACEHOLDER, LocalizedText

if TYPE_CHECKING:
    from .site import EscalationEntry, SiteProfile

# Without a profile, a placeholder names the role, so the text still reads as an instruction.
ROLES: dict[str, LocalizedText] = {
    "support.hotline": LocalizedText.model_construct(
        zh="贵单位开票系统的技术支持热线", en="your invoicing-system support line"
    ),
    "support.email": LocalizedText.model_construct(
        zh="贵单位开票系统技术支持的邮箱", en="your invoicing-system support e-mail address"
    ),
    "support.hours": LocalizedText.model_construct(
        zh="技术支持的服务时间内", en="during its service hours"
    ),
    "escalation": LocalizedText.model_construct(
        zh="贵单位的升级联系人", en="your escalation contact"
    ),
    "site.name": LocalizedText.model_construct(zh="本单位", en="this site"),
}

HOW_TO_CONFIGURE = LocalizedText.model_construct(
    zh="未配置站点档案：联系方式按角色写出。用 --site 文件（或环境变量 DIAGNOSER_SITE）指定本单位的"
    "热线、邮箱和升级联系人，格式见 docs/site-profile.md。",
    en="No site profile: contacts are named by their role. Give your desk's hotline, e-mail and "
    "escalation contacts with --site FILE (or DIAGNOSER_SITE); see docs/site-profile.md.",
)


def contact_values(
    profile: SiteProfile | None, escalation: EscalationEntry | None
) -> dict[str, LocalizedText]:
    """What each placeholder becomes: the profile's value, else the role in each language."""
    values = dict(ROLES)
    if profile is None:
        return values
    given = {
        "support.hotline": profile.support.hotline,
        "support.email": profile.support.email,
        "support.hours": profile.support.hours,
        "escalation": escalation.contact if escalation else None,
        "site.name": profile.name,
    }
    for key, value in given.items():
        if value is not None:
            values[key] = LocalizedText.model_construct(zh=value, en=value)
    return values


def fill(text: LocalizedText, values: Mapping[str, LocalizedText]) -> LocalizedText:
    """`text` with every known `{placeholder}` replaced, in one pass per language.

    A plain regex substitution rather than str.format: braces elsewhere in a text, and braces in
    the values (a profile or ticket may contain any text), are left exactly as they are and are
    never read as fields.
    """

    def one(lang: str) -> str:
        def swap(match: Any) -> str:
            value = values.get(match.group(1))
            return value.get(lang) if value is not None else match.group(0)

        return PLACEHOLDER.sub(swap, text.get(lang))

    zh, en = one("zh"), one("en")
    if zh == text.zh and en == text.en:
        return text
    return LocalizedText.model_construct(zh=zh, en=en)
