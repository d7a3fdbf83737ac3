"""Rendering a Diagnosis: text, Markdown or HTML through Jinja templates, or the JSON contract.

Every template format receives the same view of the diagnosis (`ReportView`, built by
`build_view`), already localised, in the order the support agent needs it: what is most likely
wrong and why, priority and impact, what to do now, the workaround, recovery and follow-up, a
customer notice, and what was not understood. The JSON format is the `Diagnosis` model itself.

Templates ship in `diagnoser/report/templates/`. A `template_dir` overrides them file by file
(a missing file falls back to the shipped one) and is rendered in a sandboxed Jinja environment.

The package: `labels` (the words per language), `view` (what a report shows), `text` (width,
wrapping, escaping) and `renderers` (formats, Jinja environments, `render`).
"""

# The names load on first use (PEP 562): the JSON format and a language guess need neither Jinja
# nor the view.
import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import provenance
    from .labels import (
        CATEGORY_NAMES,
        CAUSE_KIND_NAMES,
        INPUT_KIND_NAMES,
        LABELS,
        LANGUAGES,
        PHASE_NAMES,
        PRINCIPLE_NAMES,
        SEVERITY_NAMES,
        detect_language,
    )
    from .renderers import (
        RENDERERS,
        Format,
        HtmlRenderer,
        JsonRenderer,
        MarkdownRenderer,
        Renderer,
        ReportTemplateError,
        TemplateRenderer,
        TextRenderer,
        render,
    )
    from .text import (
        PRIORITY_STYLES,
        Styled,
        breakable,
        clean,
        display_width,
        md_code,
        md_escape,
        wrap,
    )
    from .view import (
        CauseView,
        ContrastLine,
        ContrastView,
        EvidenceView,
        FaultView,
        PhaseView,
        PlanView,
        ProvenanceView,
        ReportView,
        SetAsideView,
        StepView,
        Tag,
        TicketView,
        UnrecognisedView,
        build_view,
        customer_notice_applies,
    )

__all__ = [
    "CATEGORY_NAMES",
    "CAUSE_KIND_NAMES",
    "INPUT_KIND_NAMES",
    "LABELS",
    "LANGUAGES",
    "PHASE_NAMES",
    "PRINCIPLE_NAMES",
    "PRIORITY_STYLES",
    "RENDERERS",
    "SEVERITY_NAMES",
    "CauseView",
    "ContrastLine",
    "ContrastView",
    "EvidenceView",
    "FaultView",
    "Format",
    "HtmlRenderer",
    "JsonRenderer",
    "MarkdownRenderer",
    "PhaseView",
    "PlanView",
    "ProvenanceView",
    "Renderer",
    "ReportTemplateError",
    "ReportView",
    "SetAsideView",
    "StepView",
    "Styled",
    "Tag",
    "TemplateRenderer",
    "TextRenderer",
    "TicketView",
    "UnrecognisedView",
    "breakable",
    "build_view",
    "clean",
    "customer_notice_applies",
    "detect_language",
    "display_width",
    "md_code",
    "md_escape",
    "provenance",
    "render",
    "wrap",
]

_LAZY = {
    "CATEGORY_NAMES": ".labels",
    "CAUSE_KIND_NAMES": ".labels",
    "CauseView": ".view",
    "ContrastLine": ".view",
    "ContrastView": ".view",
    "EvidenceView": ".view",
    "FaultView": ".view",
    "Format": ".renderers",
    "HtmlRenderer": ".renderers",
    "INPUT_KIND_NAMES": ".labels",
    "JsonRenderer": ".renderers",
    "LABELS": ".labels",
    "LANGUAGES": ".labels",
    "MarkdownRenderer": ".renderers",
    "PHASE_NAMES": ".labels",
    "PRINCIPLE_NAMES": ".labels",
    "PRIORITY_STYLES": ".text",
    "PhaseView": ".view",
    "PlanView": ".view",
    "ProvenanceView": ".view",
    "RENDERERS": ".renderers",
    "Renderer": ".renderers",
    "ReportTemplateError": ".renderers",
    "ReportView": ".view",
    "SEVERITY_NAMES": ".labels",
    "SetAsideView": ".view",
    "StepView": ".view",
    "Styled": ".text",
    "Tag": ".view",
    "TemplateRenderer": ".renderers",
    "TextRenderer": ".renderers",
    "TicketView": ".view",
    "UnrecognisedView": ".view",
    "breakable": ".text",
    "build_view": ".view",
    "clean": ".text",
    "customer_notice_applies": ".view",
    "detect_language": ".labels",
    "display_width": ".text",
    "md_code": ".text",
    "md_escape": ".text",
    "provenance": ".provenance",
    "render": ".renderers",
    "wrap": ".text",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    loaded = importlib.import_module(module, __name__)
    value = loaded if name == "provenance" else getattr(loaded, name)
    globals()[name] = value  # once loaded, an ordinary module attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
