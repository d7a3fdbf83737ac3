"""The site profile: what belongs to one desk, not to the knowledge base.

Its contacts, escalation, jurisdiction, default system and language, read from a YAML file
(`--site FILE`, `DIAGNOSER_SITE`, `Diagnoser(site=...)`) and validated like the knowledge base:
unknown keys are errors and every problem is reported at once as file:line.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

from .._yaml import LineMap
from ..errors import Issue, Location, SiteProfileError
from ..kb.loader import read_yaml, register_keys, validate_model
from ..kb.models import Jurisdiction

Category = Literal["software", "hardware", "network", "operation", "external"]
PriorityName = Literal["P1", "P2", "P3", "P4"]


class _Model(BaseModel):
    # validators are built when a profile is first read: a run without --site never builds them
    # (hence `Support.model_construct()` as the default, not `Support()`)
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True
    )


class Support(_Model):
    """The desk's invoicing-system support: phone line, e-mail and service hours."""

    hotline: StrictStr | None = Field(default=None, min_length=1)
    email: StrictStr | None = Field(default=None, min_length=1)
    hours: StrictStr | None = Field(default=None, min_length=1)


def _as_tuple(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


class When(_Model):
    """When an escalation contact applies: every key given must hold (one value or a list)."""

    priority: tuple[PriorityName, ...] = ()
    category: tuple[Category, ...] = ()
    fault: tuple[StrictStr, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _lists(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: _as_tuple(v) for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _something(self) -> When:
        if not (self.priority or self.category or self.fault):
            raise ValueError("'when' needs at least one of priority, category or fault")
        return self

    def holds(self, priority: str | None, fault_id: str | None) -> bool:
        """Whether a diagnosis with this priority and top fault meets the condition."""
        category = fault_id.split(".", 1)[0] if fault_id else None
        return (
            (not self.priority or priority in self.priority)
            and (not self.category or category in self.category)
            and (not self.fault or fault_id in self.fault)
        )

    def describe(self) -> str:
        """The condition in short form, e.g. 'priority P1, category hardware'."""
        parts = [
            f"{key} {'/'.join(values)}"
            for key, values in (
                ("priority", self.priority),
                ("category", self.category),
                ("fault", self.fault),
            )
            if values
        ]
        return ", ".join(parts)


class EscalationEntry(_Model):
    """Who to call when the condition holds; the first entry that holds applies."""

    when: When
    contact: StrictStr = Field(min_length=1)


class SiteProfile(_Model):
    """One desk's profile; every field is optional."""

    name: StrictStr | None = Field(default=None, min_length=1)
    jurisdiction: Jurisdiction | None = None
    default_system: StrictStr | None = Field(default=None, min_length=1)
    language: Literal["zh", "en"] | None = None
    support: Support = Support.model_construct()
    escalation: tuple[EscalationEntry, ...] = ()
    # where the profile was read from, for messages (not a key of the file)
    source: str | None = Field(default=None, exclude=True)

    def escalation_for(self, priority: str | None, fault_id: str | None) -> EscalationEntry | None:
        """The first escalation entry whose condition holds, if any."""
        return next((e for e in self.escalation if e.when.holds(priority, fault_id)), None)


register_keys(Support, When, EscalationEntry, SiteProfile)  # for "did you mean" hints


# --- loading -----------------------------------------------------------------------------------


def load_site(path: str | Path, systems: Collection[str] | None = None) -> SiteProfile:
    """Read and validate a site profile; raise SiteProfileError naming every problem as file:line.

    With `systems` (the knowledge base's system ids), a default_system outside them is an error.
    """
    shown = str(path)
    if not Path(path).is_file():
        raise SiteProfileError([Issue(Location(shown), "site profile not found", code="missing")])
    issues: list[Issue] = []
    read = read_yaml(Path(path), shown, issues)
    if read is None:
        raise SiteProfileError(issues)
    data, lines = read
    return _parse({} if data is None else data, lines, systems, shown)


def _parse(
    data: Any, lines: LineMap, systems: Collection[str] | None, source: str | None
) -> SiteProfile:
    issues: list[Issue] = []
    if isinstance(data, dict) and "source" in data:  # a field of the model, not of the file
        issues.append(Issue(lines.at(("source",)), "unknown key 'source'", code="schema"))
        raise SiteProfileError(issues)
    profile = validate_model(SiteProfile, data, lines, issues)
    if profile is None:
        raise SiteProfileError(issues)
    default = profile.default_system
    if systems is not None and default is not None and default not in systems:
        import difflib  # only for a profile naming an unknown system

        hint = difflib.get_close_matches(default, sorted(systems), n=1)
        raise SiteProfileError(
            [
                Issue(
                    lines.at(("default_system",)),
                    f"default_system {default!r} is not a system of the knowledge base"
                    + (f" (did you mean {hint[0]!r}?)" if hint else ""),
                    code="unknown-ref",
                )
            ]
        )
    return profile.model_copy(update={"source": source}) if source else profile


def site_profile(
    site: SiteProfile | str | Path | Mapping[str, Any] | None,
    systems: Collection[str] | None = None,
) -> SiteProfile | None:
    """A SiteProfile from a path, a mapping (as the YAML would hold), a model, or None."""
    if site is None:
        return None
    if isinstance(site, SiteProfile):
        return _parse(site.model_dump(exclude_defaults=True), _NO_LINES, systems, site.source)
    if isinstance(site, Mapping):
        return _parse(dict(site), _NO_LINES, systems, None)
    return load_site(site, systems)


_NO_LINES = LineMap("<site profile>", {})
