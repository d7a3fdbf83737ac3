"""The column mapping against a plain reference: every candidate column of every field looked
up in every record, and every text checked at each step, must map records exactly as the
mapping does (tickets, labels, warnings, and the wording of every error)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnoser.batch import ColumnMap, mapping
from diagnoser.batch.mapping import MULTI, BoundMap, Mapped

SMALL = 40  # characters of a field, so that the size limit is reached too


def _reference_check(value: str) -> str:
    if len(value) > mapping.MAX_FIELD:
        raise mapping._Fatal(f"too large: {len(value)} characters (limit {mapping.MAX_FIELD})")
    if mapping._BINARY.search(value):
        raise mapping._Fatal("contains binary data (control characters)")
    bad = mapping._SURROGATE.search(value)
    if bad:
        raise mapping._Fatal(
            f"contains a lone surrogate (\\u{ord(bad.group()):04x}), which is not text"
        )
    return value


def _reference_multi(name: str, parts: list[Any]) -> Any:
    items = mapping._flat(parts)
    if name == "text":
        texts = []
        for item in items:
            if not isinstance(item, str):
                raise ValueError(f"a string expected, got {type(item).__name__}")
            texts.append(mapping.html_to_text(_reference_check(item)))
        return _reference_check("\n".join(t for t in texts if t))
    out: list[Any] = []
    for item in items:
        if isinstance(item, str):
            _reference_check(item)
            out.extend(p for p in (x.strip() for x in item.replace(";", ",").split(",")) if p)
        else:
            out.append(item)
    return out


@contextmanager
def _reference(bound: BoundMap) -> Iterator[None]:
    """`bound` mapping the plain way while the block runs."""
    saved = (mapping._check_text, mapping._multi, mapping._convert, bound._plan)
    convert = mapping._convert

    def checked_convert(name: str, value: Any) -> Any:
        if isinstance(value, str):
            _reference_check(value)
        return convert(name, value)

    def every_candidate(data: Any) -> Any:
        return tuple(
            (name, name in MULTI, tuple((c, bound._get[c]) for c in cols))
            for name, cols in bound.fields.items()
            if cols
        )

    mapping._check_text = _reference_check
    mapping._multi = _reference_multi
    mapping._convert = checked_convert
    bound._plan = every_candidate  # type: ignore[method-assign]
    try:
        yield
    finally:
        mapping._check_text, mapping._multi, mapping._convert = saved[:3]
        bound._plan = saved[3]  # type: ignore[method-assign]


PIECES = ["printer", "开不了票", "<p>a</p>", "x &amp; y", "\x01", "\ud83d", "\t", "\n", " ", ","]
texts = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
values = st.one_of(texts, st.none(), st.integers(-3, 3), st.lists(texts, max_size=3))
KEYS = [
    "id",
    "ticket_id",
    "subject",
    "text",
    "description",
    "error_codes",
    "codes",
    "reported_at",
    "created_at",
    "scope",
    "affected_users",
    "metrics",
    "label",
    "fields",
    "fields.summary",
    "custom_fields",
    "other",
]
nested = st.fixed_dictionaries({}, optional={"summary": texts, "id": texts})
custom = st.lists(
    st.fixed_dictionaries({"id": st.sampled_from([7, "7", 8]), "value": values}), max_size=2
)
records = st.lists(st.sampled_from(KEYS), unique=True, max_size=8).flatmap(
    lambda keys: st.fixed_dictionaries(
        {k: nested if k == "fields" else custom if k == "custom_fields" else values for k in keys}
    )
)


def _as_tuple(m: Mapped) -> tuple[Any, ...]:
    return m.ticket, m.label, m.error, m.warnings, m.extra


@pytest.mark.parametrize(
    "overrides",
    [
        (),
        ("text=fields.summary", "text=subject", "label=custom_fields[7]", "metrics.cpu=other"),
    ],
)
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(batch=st.lists(records, min_size=1, max_size=6))
def test_mapping_matches_the_plain_reference(overrides, batch, monkeypatch):
    monkeypatch.setattr(mapping, "MAX_FIELD", SMALL)  # the same for every example
    bound = ColumnMap.build(overrides=overrides, keep=("other",)).bind(None)
    fast = [_as_tuple(bound.apply(data)) for data in batch]  # plans made and reused
    with _reference(bound):
        plain = [_as_tuple(bound.apply(data)) for data in batch]
    assert fast == plain


def test_a_text_with_both_problems_is_reported_for_its_control_character():
    bound = ColumnMap.build().bind(None)
    error = bound.apply({"id": "1", "text": "ok \ud83d then \x02"}).error
    assert error == "text: contains binary data (control characters)"
    error = bound.apply({"id": "1", "text": "ok \ud83d"}).error
    assert error == "text: contains a lone surrogate (\\ud83d), which is not text"
