"""Error-code normalisation: one canonical spelling per code, whatever the ticket wrote."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import NamedTuple

from ._hanzi import to_simplified

# A marker followed by digits is the seed's generic style: "E1001", "错误代码1001",
# "error code: 1001" all mean 1001. Codes with their own letters (GSPERR300, 0x11,
# PEPPOL-EN16931-R003) or signs and leading zeros (-79, 00404) are kept as they are.
_MARKED_DIGITS = re.compile(
    r"(?:错误代码|错误码|错误号|报错代码|报错码|代码|故障码|error\s*code|errno|error|err|code|e)"
    r"\s*(?:no\.?|#)?\s*[:=#-]?\s*(\d+)",
    re.IGNORECASE,
)
_HEX = re.compile(r"0x[0-9a-f]+", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"-?\d+")


def canonical_code(raw: str) -> str:
    """The canonical form of an error code ('' if nothing is left)."""
    return _canonical_normalised(to_simplified(unicodedata.normalize("NFKC", raw)).strip())


def _canonical_normalised(text: str) -> str:
    """canonical_code of a text already NFKC-normalised, simplified and stripped."""
    marked = _MARKED_DIGITS.fullmatch(text)
    if marked:
        return marked.group(1)
    if _HEX.fullmatch(text):
        return "0x" + text[2:].lower()
    return text.upper()


class _TextPatterns(NamedTuple):
    marked: re.Pattern[str]
    e_code: re.Pattern[str]
    e_cue: re.Pattern[str]
    token: re.Pattern[str]
    unit_after: re.Pattern[str]
    label_before: re.Pattern[str]


@functools.cache
def _text_patterns() -> _TextPatterns:
    """The patterns that find codes in free text, compiled with the first text (a ticket of
    codes only never needs them, and a short process starts faster without them)."""
    return _TextPatterns(
        re.compile(TEXT_MARKED, re.IGNORECASE),
        re.compile(TEXT_E_CODE, re.IGNORECASE),
        re.compile(_E_CUE),
        re.compile(TEXT_TOKEN, re.IGNORECASE),
        re.compile(_UNIT_AFTER, re.IGNORECASE),
        re.compile(_LABEL_BEFORE, re.IGNORECASE),
    )


# Codes written after an explicit marker in free text: "错误代码1001", "error code: 2150".
# Pasted JSON quotes the key and the value: '"ErrorCode":"2150"' is the same marker.
# The captured token must contain a digit, so "code is wrong" captures nothing.
# (the pattern sources, compiled case-insensitive by _text_patterns)
TEXT_MARKED = (
    r"(?:错误代码|错误码|错误号|报错代码|报错码|故障码|代码|提示码|返回码|error\s*code|errno|err(?:or)?"
    r"\s*(?:no\.?|#)|code)[\"']?\s*(?:是|为|:|=|#)?\s*[\"']?\s*"
    r"(-?(?=[0-9a-z_-]*\d)[0-9a-z][0-9a-z_]*(?:-[0-9a-z]+)*)"
)
# "E1001" standing on its own.
TEXT_E_CODE = r"(?<![0-9a-z_])e(\d{3,5})(?![0-9a-z_])"
# What every match of TEXT_E_CODE has (case-insensitive "e" is "e" or "E" only): a text
# without it is not scanned for one. Written without IGNORECASE and starting with a class, it
# is searched for character by character in C; the look-behind that opens TEXT_E_CODE has it
# tried at every position of every text (2 µs a text, the cue 1).
_E_CUE = r"[eE]\d{3}"
# Any token that could be a code; only tokens found in the catalog count.
TEXT_TOKEN = r"(?<![0-9a-z_.])(-?[0-9a-z][0-9a-z_]*(?:-[0-9a-z]+)*)(?![0-9a-z_])"
# A number followed by a unit is an amount or a quantity, not a code.
_UNIT_AFTER = (
    r"\s*(?:元|块|万|%|张|次|秒|分钟|小时|天|个|人|户|家|笔|条|单|台|ms\b|s\b|yuan|rmb|cny|rs\b|"
    r"rupees?|eur|euros?|usd|users?|invoices?|bills?|orders?|items?|pcs|times|seconds?|minutes?|"
    r"hours?|days?|merchants?|shops?|stores?|sites?|rooms?|tickets?)"
)
# A number right after a document-number label is that document's number, not a code.
_LABEL_BEFORE = (
    r"(?:发票号(?:码)?|票号|单号|订单号?|流水号|编号|房间?|工号|电话|手机|invoice\s*(?:no\.?|number|#)|"
    r"order\s*(?:no\.?|number|#)?|room|ticket|phone|tel|no\.|#)\s*[:=]?\s*$"
)


# Every match of TEXT_MARKED contains one of these (lower case): a text without any has no
# marked code, and its scan is skipped.
_MARKER_LITERALS = (
    *("err", "code"),
    *("代码", "错误码", "错误号", "报错码", "故障码", "提示码", "返回码"),
)
# The markers _MARKED_DIGITS accepts inside one token (no spaces, '.', '#', ':' or '='):
# "e1001", "err-1001", "errno1001", "codeno-1001" are all 1001.
_TOKEN_MARKERS = ("errorcode", "errno", "error", "err", "code", "e")


def code_spellings(known: frozenset[str]) -> frozenset[str]:
    """Every lower-case ASCII token whose canonical form may be a code of `known`: the code
    itself, and for a number the marked forms of it ("e1001", "err-1001"). A token not among
    them is no known code, so a text none of whose tokens is among them needs no token-by-token
    canonicalisation (codes_in_text)."""
    out: set[str] = set()
    for code in known:
        out.add(code.lower())
        if code.isdigit():
            for marker in _TOKEN_MARKERS:
                for no in ("", "no"):
                    for dash in ("", "-"):
                        out.add(f"{marker}{no}{dash}{code}")
    return frozenset(out)


def codes_in_text(
    text: str, known: frozenset[str], spellings: frozenset[str] | None = None
) -> list[tuple[str, int, int]]:
    """(canonical code, start, end) for each code found in `text`, in order, without repeats.

    Codes after an explicit marker are taken whatever they are; bare tokens only when the
    catalog (or a rule) knows them, and they are neither an amount or a quantity ("1001元",
    "110 invoices") nor a document number ("发票号00002", "order 6655").

    With `spellings` (code_spellings(known)), the text's tokens are first looked up as a set in
    one step, and only a token among them is canonicalised; the marked-code scan runs only when
    the text has a marker, the E-code scan only when it has an "e" before three digits.
    Without, every token is canonicalised and every scan runs (the plain path). The result is
    the same.
    """
    patterns = _text_patterns()
    found: dict[str, tuple[int, int]] = {}
    spans: list[tuple[int, int]] = []

    def add(code: str, start: int, end: int) -> None:
        if code and code not in found:
            found[code] = (start, end)
        spans.append((start, end))

    lower = text.lower() if spellings is not None else ""
    if spellings is None or any(m in lower for m in _MARKER_LITERALS):
        for m in patterns.marked.finditer(text):
            add(canonical_code(m.group(1)), m.start(), m.end())
    if spellings is None or patterns.e_cue.search(text):
        for m in patterns.e_code.finditer(text):
            if not any(s <= m.start() < e for s, e in spans):
                add(m.group(1), m.start(), m.end())
    if spellings is not None:
        tokens = patterns.token.findall(text)
        if not tokens:
            return sorted(((c, s, e) for c, (s, e) in found.items()), key=lambda x: x[1])
        joined = " ".join(tokens)
        # (a non-ASCII token, such as "İ" that IGNORECASE lets in, takes the plain loop)
        if joined.isascii() and spellings.isdisjoint(joined.lower().split(" ")):
            return sorted(((c, s, e) for c, (s, e) in found.items()), key=lambda x: x[1])
    for m in patterns.token.finditer(text):
        token = m.group(1)
        # a token without digits is its own upper case (canonical_code changes only digits,
        # hex and marked forms): no need to normalise every word of the text as a code.
        # The catalog is asked first: most tokens are words, and that ends them.
        # (intake's text is normalised already: a token needs no second NFKC / t2s pass)
        if not _DIGIT.search(token):
            code = token.upper()
        elif token.isascii():
            code = _canonical_normalised(token)
        else:  # ſ, K (Kelvin sign): what NFKC would change
            code = canonical_code(token)
        if code not in known or len(code) < 3:
            continue
        if any(s <= m.start() < e for s, e in spans):
            continue
        if (
            # only a number can be an amount: "BR-CO-15 Invoice total …" is a code
            not (_NUMBER.fullmatch(token) and patterns.unit_after.match(text, m.end()))
            and not patterns.label_before.search(text, max(0, m.start() - 16), m.start())
        ):
            add(code, m.start(), m.end())
    return sorted(((c, s, e) for c, (s, e) in found.items()), key=lambda x: x[1])
