"""The ticket: what a support desk knows about one incident."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import TicketError

MAX_TEXT = 100_000  # characters; a longer "text" is an export accident, not a ticket


class Scope(StrEnum):
    """Impact scope, from narrowest to widest."""

    SINGLE_USER = "single_user"
    SITE = "site"
    REGION = "region"
    CITY = "city"


SCOPE_ALIASES: dict[str, Scope] = {
    **{s.value: s for s in Scope},
    "single": Scope.SINGLE_USER,
    "user": Scope.SINGLE_USER,
    "one_user": Scope.SINGLE_USER,
    "individual": Scope.SINGLE_USER,
    "个人": Scope.SINGLE_USER,
    "单个用户": Scope.SINGLE_USER,
    "个别用户": Scope.SINGLE_USER,
    "单用户": Scope.SINGLE_USER,
    "store": Scope.SITE,
    "shop": Scope.SITE,
    "merchant": Scope.SITE,
    "branch": Scope.SITE,
    "门店": Scope.SITE,
    "网点": Scope.SITE,
    "单位": Scope.SITE,
    "站点": Scope.SITE,
    "area": Scope.REGION,
    "district": Scope.REGION,
    "地区": Scope.REGION,
    "区域": Scope.REGION,
    "片区": Scope.REGION,
    "区": Scope.REGION,
    "citywide": Scope.CITY,
    "city_wide": Scope.CITY,
    "whole_city": Scope.CITY,
    "全市": Scope.CITY,
    "全城": Scope.CITY,
    "城市": Scope.CITY,
}


def parse_scope(value: str) -> Scope:
    """A Scope from its name or a common alias (English or Chinese)."""
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return SCOPE_ALIASES[key]
    except KeyError:
        names = ", ".join(s.value for s in Scope)
        raise ValueError(f"unknown scope {value!r}; use one of {names}") from None


class Ticket(BaseModel):
    """One ticket: the fields below; any other field is accepted and kept in extra."""

    # unknown keys are moved into `extra` before validation (so nothing else is forbidden);
    # the schema says what a caller may send: any further field
    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra={"additionalProperties": True}
    )

    id: str = ""
    text: str = Field(default="", max_length=MAX_TEXT)
    error_codes: tuple[str, ...] = ()
    symptoms: tuple[str, ...] = ()
    metrics: dict[str, Annotated[float, Field(allow_inf_nan=False)]] = Field(default_factory=dict)
    scope: Scope | None = None
    affected_users: int | None = Field(default=None, ge=0)
    reported_at: dt.datetime | None = None
    system: str | None = None
    # where the ticket comes from, for correlating tickets into incidents (diagnoser.incidents)
    site: str | None = Field(default=None, max_length=200)  # merchant or store
    region: str | None = Field(default=None, max_length=200)  # district or city
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _keep_extra(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        known = set(cls.model_fields)
        extra = dict(data.get("extra") or {})
        out = {}
        for key, value in data.items():
            if key in known:
                out[key] = value
            else:
                extra[str(key)] = value
        out["extra"] = extra
        return out

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return "" if value is None else value

    @field_validator("site", "region", mode="before")
    @classmethod
    def _place(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("text", mode="before")
    @classmethod
    def _no_text(cls, value: Any) -> Any:
        return "" if value is None else value

    @field_validator("error_codes", "symptoms", mode="before")
    @classmethod
    def _listish(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return ()
        if isinstance(value, str):
            return tuple(p for p in (x.strip() for x in value.replace(";", ",").split(",")) if p)
        if isinstance(value, list | tuple):
            out = []
            for item in value:
                if isinstance(item, int) and not isinstance(item, bool):
                    if info.field_name == "symptoms":
                        raise ValueError(f"symptom {item!r} must be a symptom id, not a number")
                    raise ValueError(
                        f"error code {item!r} must be given as text (a number loses leading "
                        "zeros and signs, e.g. 00404)"
                    )
                out.append(item)
            return tuple(out)
        return value

    @field_validator("metrics", mode="before")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for name, number in value.items():
                if isinstance(number, bool):
                    raise ValueError(f"metric {name!r}: a number is needed, got {number!r}")
        return value

    @field_validator("scope", mode="before")
    @classmethod
    def _scope(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        return parse_scope(value) if isinstance(value, str) else value

    @classmethod
    def parse(cls, data: Any) -> Ticket:
        """A Ticket from a Ticket or a dict; raise TicketError naming the ticket and the field."""
        if isinstance(data, Ticket):
            return data
        if not isinstance(data, dict):
            raise TicketError(f"a ticket must be a mapping, got {type(data).__name__}")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            ticket_id = data.get("id")
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'ticket'}: "
                f"{str(e['msg']).removeprefix('Value error, ')}"
                for e in exc.errors()
            )
            raise TicketError(problems, None if ticket_id is None else str(ticket_id)) from None
