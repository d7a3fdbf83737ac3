"""The ticket: what a support desk knows about one incident."""

from __future__ import annotations

import datetime as dt
import math
import re
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
        if cls is Ticket:
            plain = _plain_ticket(data)
            if plain is not None:
                return plain
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


# --- the plain-JSON path -----------------------------------------------------------------------
#
# Most tickets (a batch's every line) are plain JSON whose fields already have the expected
# types. For them `_plain_ticket` makes the Ticket model_validate would make — the same field
# values of the same types, the same fields-set, no extra — without pydantic's validator (a
# ticket's largest cost after its text). Anything it is not sure of (a type it does not take,
# a value out of range, a date in another form, an "extra" field) returns None, and the ticket
# goes through model_validate, which gives the error. Hand-written because pydantic has no
# trusted-input constructor that runs field validators; tests/test_ticket_fast.py compares it
# with model_validate on valid and invalid tickets.

# the one date form taken: what pydantic reads from it is what datetime.fromisoformat reads
_PLAIN_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2})?")
_FIELDS = (
    "id",
    "text",
    "error_codes",
    "symptoms",
    "metrics",
    "scope",
    "affected_users",
    "reported_at",
    "system",
    "site",
    "region",
    "extra",
)
_NOT_GIVEN = object()
_EXACT = 2**53  # integers a float holds exactly (larger ones are left to pydantic)
_set = object.__setattr__


def _plain_list(value: Any) -> tuple[str, ...] | None:
    """error_codes / symptoms as _listish and tuple[str, ...] make them (None: not plain)."""
    if value is None:
        return ()
    if type(value) is str:
        return tuple(p for p in (x.strip() for x in value.replace(";", ",").split(",")) if p)
    if (type(value) is list or type(value) is tuple) and all(type(i) is str for i in value):
        return tuple(value)
    return None


def _plain_place(value: Any) -> Any:
    """site / region as _place and max_length make them (_NOT_GIVEN: not plain)."""
    if value is None:
        return None
    if type(value) is str:
        value = value.strip() or None
        if value is None or len(value) <= 200:
            return value
    return _NOT_GIVEN


def _plain_ticket(data: dict[Any, Any]) -> Ticket | None:
    """The Ticket model_validate makes from `data`, when every field is plain; else None."""
    if "extra" in data:
        return None
    get = data.get
    fields: dict[str, Any] = {}
    ticket_id = get("id", "")
    if type(ticket_id) is int:
        ticket_id = str(ticket_id)
    elif ticket_id is None:
        ticket_id = ""
    elif type(ticket_id) is not str:
        return None
    fields["id"] = ticket_id
    text = get("text", "")
    if text is None:
        text = ""
    elif type(text) is not str or len(text) > MAX_TEXT:
        return None
    fields["text"] = text
    for name in ("error_codes", "symptoms"):
        items = _plain_list(get(name))
        if items is None:
            return None
        fields[name] = items
    metrics = get("metrics", _NOT_GIVEN)
    if metrics is _NOT_GIVEN:
        fields["metrics"] = {}
    elif type(metrics) is dict:
        numbers = {}
        for name, number in metrics.items():
            if type(name) is not str:
                return None
            if type(number) is int and -_EXACT < number < _EXACT:
                number = float(number)
            elif type(number) is not float or not math.isfinite(number):
                return None
            numbers[name] = number
        fields["metrics"] = numbers
    else:
        return None
    scope = get("scope")
    if scope is not None and scope != "":
        if type(scope) is not str:
            return None
        scope = SCOPE_ALIASES.get(scope.strip().lower().replace("-", "_").replace(" ", "_"))
        if scope is None:
            return None
    fields["scope"] = scope or None
    users = get("affected_users")
    if users is not None and (type(users) is not int or users < 0):
        return None
    fields["affected_users"] = users
    reported = get("reported_at")
    if reported is not None:
        if type(reported) is not str or _PLAIN_TIME.fullmatch(reported) is None:
            return None
        try:
            reported = dt.datetime.fromisoformat(reported)
        except ValueError:
            return None
    fields["reported_at"] = reported
    system = get("system")
    if system is not None and type(system) is not str:
        return None
    fields["system"] = system
    for name in ("site", "region"):
        place = _plain_place(get(name))
        if place is _NOT_GIVEN:
            return None
        fields[name] = place
    extra = {}
    given = {"extra"}
    for key in data:
        if key in _FIELDS:
            given.add(key)
        else:
            extra[str(key)] = data[key]
    fields["extra"] = extra
    ticket = Ticket.__new__(Ticket)
    _set(ticket, "__dict__", fields)
    _set(ticket, "__pydantic_fields_set__", given)
    _set(ticket, "__pydantic_extra__", None)
    _set(ticket, "__pydantic_private__", None)
    return ticket
