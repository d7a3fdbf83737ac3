"""Rendering a Diagnosis: JSON, or text through the shipped Jinja templates."""

from __future__ import annotations

import locale
import os
import re
import unicodedata
from enum import StrEnum

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ._resources import templates_path
from .diagnosis import Diagnosis
from .models import Phase
from .triage import RESPONSE_TIME

_CJK = re.compile(r"[\u3400-\u9fff]")


class Format(StrEnum):
    """Output formats of `diagnoser diagnose`."""

    TEXT = "text"
    JSON = "json"


def detect_language(text: str, env: dict[str, str] | None = None) -> str:
    """'zh' when the input is Chinese, else the locale's language, else 'en'."""
    if _CJK.search(text):
        return "zh"
    if text.strip():
        return "en"
    environ = os.environ if env is None else env
    lang = environ.get("LC_ALL") or environ.get("LC_MESSAGES") or environ.get("LANG") or ""
    if not lang:
        lang = (locale.getlocale()[0] or "") if env is None else ""
    return "zh" if lang.lower().startswith("zh") else "en"


PHASE_NAMES = {
    Phase.CONTAIN: {"zh": "控制", "en": "Contain"},
    Phase.ISOLATE: {"zh": "隔离与备份", "en": "Isolate and back up"},
    Phase.CONTACT: {"zh": "联系技术支持", "en": "Contact support"},
    Phase.FALLBACK: {"zh": "备用系统或手工流程", "en": "Standby or manual procedure"},
}


# one CJK character, or a run of other non-space characters with its trailing spaces
_TOKENS = re.compile(r"[\u3000-\u9fff\uff00-\uffef]|[^\s\u3000-\u9fff\uff00-\uffef]+\s*|\s+")
_NO_LINE_START = "，。、；：！？）」』》,.;:!?)"


def display_width(text: str) -> int:
    """Terminal columns taken by `text` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, width: int = 80, indent: int = 0, first: int | None = None) -> str:
    """Wrap to `width` columns, CJK-aware: English breaks at spaces, Chinese anywhere.

    `first` is the width already used on the first line (defaults to `indent`); continuation
    lines are indented by `indent` spaces. Closing punctuation never starts a line: the token
    before it moves down with it.
    """
    used = indent if first is None else first
    lines: list[str] = []
    line: list[str] = []
    for token in _TOKENS.findall(text):
        if line and used + display_width("".join(line) + token.rstrip()) > width:
            carry: list[str] = []
            if token[0] in _NO_LINE_START and len(line) > 1:
                carry = [line.pop()]
            lines.append("".join(line).rstrip())
            line, used = [t.lstrip() for t in carry], indent
            token = token.lstrip() if not line else token
        line.append(token)
    lines.append("".join(line).rstrip())
    return ("\n" + " " * indent).join(lines)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_path())),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # plain-text templates; HTML templates will use autoescaping
    )
    env.filters["wrap"] = wrap
    env.filters["pct"] = lambda x: f"{x * 100:.0f}%"
    env.filters["bar"] = lambda x, width=20: (
        "█" * round(x * width) + "░" * (width - round(x * width))
    )
    return env


def render(diagnosis: Diagnosis, fmt: Format, lang: str) -> str:
    """The diagnosis as text or JSON."""
    if fmt is Format.JSON:
        return diagnosis.model_dump_json(indent=2) + "\n"
    template = _environment().get_template("report.txt.j2")
    return template.render(
        d=diagnosis,
        lang=lang,
        phase_names=PHASE_NAMES,
        response_time=RESPONSE_TIME,
    )
