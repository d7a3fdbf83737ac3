"""Rendering a Diagnosis: JSON, or text through the shipped Jinja templates."""

from __future__ import annotations

import locale
import os
import re
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


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_path())),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # plain-text templates; HTML templates will use autoescaping
    )
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
