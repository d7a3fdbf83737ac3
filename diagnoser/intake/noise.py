"""Noise out before matching: what a ticket carries that says nothing about the fault.

Greetings, thanks and sign-offs, signatures, quoted earlier replies, HTML / Jira / Markdown
markup, URLs and e-mail addresses, phone, order and ticket numbers, amounts, dates and times.
Noise is replaced by a space (a line-level cut by a newline, so clauses stay apart), spaces
are collapsed, and each character of the clean text keeps its offset in the ticket text, so a
match maps back to the words the ticket wrote. Every pattern here is bounded or anchored
to a line, so blanking is linear in the text.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable

# a quoted earlier reply: everything from its header line on. A mail header is a sender line
# and another header field under it (Outlook's From/Sent/Subject, 寄件者/主旨 from Taiwan and
# Hong Kong, 发件人/主题 from the mainland; the text is simplified already)
_QUOTE_HEAD = re.compile(
    r"(?im)^[ \t]*(?:-{2,}\s*(?:original message|forwarded message|原始邮件|原邮件)\s*-{2,}"
    r"|on [^\n]{1,120} wrote:|在 ?[^\n]{1,80}写道[:：]"
    r"|from: [^\n]{1,200}\n[ \t]*(?:sent|date|to|cc|subject): "
    r"|(?:寄件者|发件人|寄件人)[:：][^\n]{0,200}\n[ \t]*"
    r"(?:寄件日期|发送时间|发件时间|日期|时间|收件者|收件人|主旨|主题|副本|抄送)[:：])"
)
# a mail's own header pasted at the top of a ticket (or a forwarded mail's): its field lines,
# after an optional separator line; what follows is the message itself, not a quote
_OPENING_HEADER = re.compile(
    r"(?i)\s*(?:-{2,}[^\n]{0,40}-{2,}[ \t]*\n)?(?:[ \t]*(?:from|sent|date|to|cc|bcc|subject"
    r"|寄件者|寄件人|寄件日期|收件者|副本|主旨|发件人|发送时间|发件时间|收件人|抄送|主题|日期|时间)"
    r"[ \t]*[:：][^\n]{0,300}(?:\n|$))+"
)
# an "On … wrote:" line with '>' lines under it: only those are the quote (the reply may
# follow them, written under the quote)
_MARKS_UNDER = re.compile(r"[ \t]*\n(?:[ \t]*\n)*[ \t]*>")
_QUOTED_LINE = re.compile(r"(?m)^[ \t]*>[^\n]*")
# a signature: the "-- " line, or a name line with | separators, or a closing line then a name
_SIG_DASH = re.compile(r"(?m)^-- ?$")
_SIG_LINE = re.compile(
    r"(?m)^[ \t]*[A-Za-z][\w.' -]{1,40}(?:[ \t]*\|[ \t]*[^\n|]{1,60}){1,4}[ \t]*$"
)
_MARKUP = re.compile(
    r"<[a-zA-Z/!][^<>\n]{0,200}>"  # HTML tags
    r"|&(?:[a-z]{2,8}|#\d{1,6});"  # HTML entities
    r"|(?m:^[ \t]*h[1-6]\.[ \t])"  # Jira headings
    r"|\{(?:code|noformat|quote|panel|color)(?::[^}\n]{0,60})?\}"  # Jira blocks
    r"|(?m:^[ \t]*(?:#{1,6}|[*+-]|\d{1,3}\.)[ \t])"  # Markdown headings and list marks
    r"|\*\*|__|~~|`{1,3}|\[(?=[^\]\n]{1,200}\]\()|\]\([^)\s]{1,300}\)"  # emphasis, links
)
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'，。]{1,500}|[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+"
)


def _led(first: str, body: str, flags: int = 0, starts: str = "") -> re.Pattern[str]:
    """`body` behind a lookahead for the characters a match of it can start with: the same
    matches (every match starts with one of them), but a position that cannot start one is
    passed by one class test instead of trying every alternative (3-4x faster on tickets;
    tests/test_noise_patterns.py checks the two agree). `starts`, a second lookahead of
    what a match starts with when one character says too little ('t' for 'ticket')."""
    second = f"(?:{starts})" if starts else ""
    return re.compile(f"(?=[{first}]){second and f'(?={second})'}(?:{body})", flags)


# Greetings and sign-offs at the edge of a clause.
_POLITE_ZH_BODY = (
    r"(?:您好|你好|你们好|大家好|早上好|下午好|晚上好|在吗|在不在|麻烦(?:了|你们|您)?|请帮忙(?:看看|看一下|处理)?"
    r"|谢谢(?:你们|您|了|大家)?|多谢|感谢(?:你们|您|支持)?|辛苦了|急急急|求助|求救|紧急求助|拜托了?"
    r"|(?:请|麻烦)?尽快(?:处理|解决|回复|帮忙)?(?:一下)?|客服|老师|师傅|各位)[~～ ]*"
)
_POLITE_EN_BODY = (
    r"\b(?:(?:hi|hello|hey)(?: there| team| all| everyone| guys)?"
    r"|dear (?:support|team|sir|madam|all)"
    r"|good (?:morning|afternoon|evening)"
    r"|thanks?(?: you)?(?: (?:so|very) much)?(?: in advance)?|many thanks|cheers"
    r"|regards|best regards"
    r"|kind regards|sincerely|thx|pls|please help|please advise|asap)\b"
    r"[~ ]*"
)
# an amount with its unit after it ("1,200元", "350 rupees"): tried at every digit of a text,
# where a run of digits is walked back from its end for each, so it is left out of the scan
# of a text with none of its units (most texts; see _NUMBERS_LEAN)
_AMOUNT_WITH_UNIT = (
    r"|\d[\d,]{0,15}(?:\.\d{1,2})?\s?(?:元|块钱|块|万元|rmb|usd|eur|euro|inr|rupees)"
)
# every match of that alternative has one of these (块钱 has 块, 万元 元, euro eur)
_UNIT_CUE = re.compile(r"元|块|rmb|usd|eur|inr|rupees", re.IGNORECASE)
# the same asked of the lower-cased text: literals with no case, so the regex engine skips to
# the characters they start with (the case-blind cue has none to skip to and is tried at every
# position: about 12 µs a ticket, this about 3)
_UNIT_LOWER = re.compile(r"元|块|rmb|usd|eur|inr|rupees")
# the characters outside ASCII that re.IGNORECASE takes for a letter of those units but
# str.lower() does not lower to it (İ lowers to i and a combining dot; ı and ſ stay as they
# are); tests/test_noise_patterns.py finds them over every code point
_ODD_FOLDS = "İıſ"


def _has_unit(text: str, end: int) -> bool:
    """Whether `_UNIT_CUE` finds something in text[:end]: asked of the lower-cased text, and
    of the text by `_UNIT_CUE` itself only when it has one of `_ODD_FOLDS` (rare)."""
    head = text[:end]
    if _UNIT_LOWER.search(head.lower()) is not None:
        return True
    return (
        not head.isascii()
        and any(c in head for c in _ODD_FOLDS)
        and _UNIT_CUE.search(head) is not None
    )


_NUMBERS_BODY = (
    # order, ticket and invoice numbers after a label (the label goes too)
    r"(?:订单号?|单号|工单号?|票号|流水号|发票号码?|ticket|case|order|incident|ref|inc|req)"
    r"\s*(?:no\.?|number|#|编号)?\s*[:：#]?\s*[a-z]{0,4}-?\d[\d-]{3,30}"
    r"|#\d{3,12}\b"
    # phone numbers: mobile, landline with area code, international
    r"|(?<!\d)(?:\+?\d{1,3}[ -]?)?"
    r"(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\(\d{2,4}\)\s?\d{3,4}[ -]?\d{4})(?!\d)"
    r"|\+\d{1,3}(?:[ -]?\d{2,4}){2,4}(?!\d)"
    # amounts
    r"|(?:[¥￥$€£]|rmb|usd|eur|inr|cny)\s?\d[\d,]{0,15}(?:\.\d{1,2})?"
    + _AMOUNT_WITH_UNIT
    # dates and times
    + r"|\d{4}[-/.年]\d{1,2}(?:[-/.月]\d{1,2}日?)?|\d{1,2}月\d{1,2}[日号]|\d{1,2}/\d{1,2}/\d{2,4}"
    r"|(?<!\d)\d{1,2}[:：]\d{2}(?:[:：]\d{2})?(?:\s?[ap]\.?m\.?)?(?!\d)"
)

# the first characters of each: checked against the bodies by a test
_POLITE_ZH_FIRST = "您你大早下晚在麻请谢多感辛急求紧拜尽客老师各"
_POLITE_ZH = _led(_POLITE_ZH_FIRST, _POLITE_ZH_BODY)
_POLITE_EN_FIRST = "hdgtmcrbksap"
_POLITE_EN = _led(_POLITE_EN_FIRST, _POLITE_EN_BODY, re.IGNORECASE)
# the letters start a label (ticket, case, order, incident, ref, req) or a currency (rmb, usd,
# eur, inr, cny): their first two letters pass far fewer positions of English text
_NUMBERS_FIRST = r"订单工票流发#+(¥￥$€£tcoirue\d"
_NUMBERS_STARTS = r"[订单工票流发#+(¥￥$€£\d]|ti|ca|or|in|re|rm|us|eu|cn"
_NUMBERS = _led(_NUMBERS_FIRST, _NUMBERS_BODY, re.IGNORECASE, starts=_NUMBERS_STARTS)
# the same without the amount-with-unit alternative, for a text _UNIT_CUE finds nothing in:
# an alternative that cannot match there changes no match of the others (about 3 µs less
# per text; tests/test_noise_patterns.py checks the two agree on such texts)
_NUMBERS_LEAN_BODY = _NUMBERS_BODY.replace(_AMOUNT_WITH_UNIT, "", 1)
_NUMBERS_LEAN = _led(_NUMBERS_FIRST, _NUMBERS_LEAN_BODY, re.IGNORECASE, starts=_NUMBERS_STARTS)


def _caseless(*sources: str) -> bool:
    """Whether regex sources name no upper-case letter and no cased letter outside ASCII
    (escapes such as \\D and \\S aside): then what they match case-blind in a text is what
    they match case-sensitive in its lower-cased form (see `_LOWERED`)."""
    for source in sources:
        bare = re.sub(r"\\.", "", source)
        if any(c.lower() != c.upper() and not (c.isascii() and c.islower()) for c in bare):
            return False
    return True


# The case-blind patterns again, case-sensitive, for the lower-cased text: the regex engine
# tries a case-blind pattern's lookahead at every position with a case fold per character,
# about twice the cost (each is compiled only when its sources pass `_caseless`, so any edit
# of them keeps its readings; tests/test_noise_patterns.py checks the two agree)
# (by id: a compiled pattern's hash reads its whole program)
_LOWERED: dict[int, re.Pattern[str]] = {}
for _fast, _first, _body, _starts in (
    (_NUMBERS, _NUMBERS_FIRST, _NUMBERS_BODY, _NUMBERS_STARTS),
    (_NUMBERS_LEAN, _NUMBERS_FIRST, _NUMBERS_LEAN_BODY, _NUMBERS_STARTS),
    (_POLITE_EN, _POLITE_EN_FIRST, _POLITE_EN_BODY, ""),
):
    if _caseless(_first, _body, _starts):
        _LOWERED[id(_fast)] = _led(_first, _body, starts=_starts)


# The same again, found by their first character: a pattern that opens with a lookahead gets
# no first-character table from the regex engine, which then starts a match attempt at every
# position of a text; one that opens with a class is skipped through the text in C to the
# characters of that class, and the body is tried (in a lookahead, captured) only there. For
# the patterns whose first characters are rare in a text: the greetings (about half the cost;
# the numbers pattern, led by digits and common letters, is not, as its every start would pay
# for the lookbehind). `_class_spans` reads them; tests/test_noise_patterns.py checks that
# they find what the lookahead-led ones find.
def _class_led(first: str, body: str) -> re.Pattern[str]:
    return re.compile(f"[{first}](?<=(?=({body}))(?s:.))")


_BY_CLASS: dict[int, re.Pattern[str]] = {
    id(_POLITE_ZH): _class_led(_POLITE_ZH_FIRST, _POLITE_ZH_BODY)
}
if id(_POLITE_EN) in _LOWERED:
    _BY_CLASS[id(_LOWERED[id(_POLITE_EN)])] = _class_led(_POLITE_EN_FIRST, _POLITE_EN_BODY)


def _class_spans(led: re.Pattern[str], text: str, end: int) -> list[tuple[int, int]]:
    """What the pattern `led` stands for finds in text[:end]: its body's match at each start
    the class finds, a start inside the last match passed by (as a scan resumes after it)."""
    out = []
    last = 0
    for m in led.finditer(text, 0, end):
        start, stop = m.span(1)
        if start >= last:
            out.append((start, stop))
            last = stop
    return out


def _lowered_alike(text: str, lower: str) -> bool:
    """Whether `lower` (text.lower()) is matched by a `_LOWERED` pattern as `text` is by the
    case-blind one: each character lowered to one, and none of the characters IGNORECASE
    takes for an ASCII letter that str.lower() does not lower to it (`_ODD_FOLDS`)."""
    return len(lower) == len(text) and (text.isascii() or not any(c in text for c in _ODD_FOLDS))


# quotation marks, and a single quote at a word's edge ('pending'); an apostrophe in a word stays
_QUOTES_BODY = r"[“”「」『』\"]|(?<![A-Za-z0-9])'|'(?![A-Za-z0-9])"
_QUOTES = _led("“”「」『』\"'", _QUOTES_BODY)
# each match of _QUOTES starts with one of these (its lookahead): a text without any is not
# scanned (a class search runs in C, where the pattern tries its lookahead at every position)
_QUOTE_CUE = re.compile("[“”「」『』\"']")
# the cues of each pattern: what every match of it has (tests/test_noise_patterns.py checks
# that a cue finds something wherever its pattern does). The markup cue asks for each
# alternative's opening pair ('<' and a letter, '&' and a letter or '#', '**', '](' …), not a
# lone mark: "ticket #1234" or a single '*' or '_' wakes no markup scan. Its line-start
# alternatives are a second cue: joined to the others they would leave the regex engine no
# first character to skip to, and it would try every position (5 µs a ticket, not 2)
_PATTERNS: tuple[tuple[re.Pattern[str], tuple[re.Pattern[str], ...]], ...] = (
    (
        _MARKUP,
        (
            re.compile(r"<[a-zA-Z/!]|&[a-z#]|\{[cnqp]|\*\*|__|~~|`|\[|\]\("),
            re.compile(r"^[ \t]*(?:h[1-6]\.|#|[*+-][ \t]|\d{1,3}\.[ \t])", re.M),
        ),
    ),
    (_URL, (re.compile(r"https?://|www\.|@"),)),
    (_NUMBERS, (re.compile(r"\d"),)),
    (_POLITE_ZH, (re.compile(r"[好谢您麻请急求感辛拜客老师各在多尽]"),)),
    (_POLITE_EN, (re.compile(r"[a-zA-Z]"),)),
)


def noise_spans(text: str, keep: Iterable[tuple[int, int]] = ()) -> list[tuple[int, int, str]]:
    """(start, end, replacement) of each stretch of noise; spans overlapping `keep` (codes)
    are left alone."""
    kept = sorted(keep)
    spans: list[tuple[int, int, str]] = []
    text_end = _quoted_from(text, spans)
    dash = _SIG_DASH.search(text, 0, text_end) if "--" in text else None
    if dash:
        spans.append((dash.start(), text_end, "\n"))
        text_end = dash.start()
    # a quoted line needs its '>', a signature line its '|': a text without one has none
    # (most texts; a substring test is far cheaper than a multi-line scan)
    for pattern, needs in ((_QUOTED_LINE, ">"), (_SIG_LINE, "|")):
        if needs in text:
            spans.extend((m.start(), m.end(), "\n") for m in pattern.finditer(text, 0, text_end))
    # quotation marks around an on-screen word: dropped, so 点“打印”没反应 reads 点打印没反应
    if _QUOTE_CUE.search(text, 0, text_end):
        spans.extend((m.start(), m.end(), "") for m in _QUOTES.finditer(text, 0, text_end))
    lower: str | None = None  # the text lower-cased, for the `_LOWERED` patterns, if alike
    for pattern, cues in _PATTERNS:
        # a cheap look first: most texts have no markup
        if cues[0].search(text, 0, text_end) or (
            len(cues) > 1 and _at_a_line_start(cues[1], text, text_end)
        ):
            if pattern is _NUMBERS and not _has_unit(text, text_end):
                pattern = _NUMBERS_LEAN
            target = text
            lowered = _LOWERED.get(id(pattern))
            if lowered is not None:
                if lower is None:
                    lower = text.lower()
                    lower = lower if _lowered_alike(text, lower) else ""
                if lower:
                    pattern, target = lowered, lower
            led = _BY_CLASS.get(id(pattern))
            if led is not None:
                spans.extend((s, e, " ") for s, e in _class_spans(led, target, text_end))
            else:
                spans.extend(
                    (m.start(), m.end(), " ") for m in pattern.finditer(target, 0, text_end)
                )
    if not kept:
        return spans
    return [s for s in spans if not _overlaps(s[0], s[1], kept)]


def _at_a_line_start(cue: re.Pattern[str], text: str, end: int) -> bool:
    """Whether `cue`, a pattern of line starts only (opening with ^ under re.M), finds something
    in text[:end]: tried at the text's start and after each newline, where a search would try
    it at every position (the ^ failing at all but a few)."""
    pos = 0
    while True:
        if cue.match(text, pos, end):
            return True
        pos = text.find("\n", pos, end) + 1
        if not pos:
            return False


def _quoted_from(text: str, spans: list[tuple[int, int, str]]) -> int:
    """Where the quoted earlier mail starts (the text's end if none); the spans cut go on
    `spans`. A header at the top is the message's own: its field lines go, the body stays. An
    "On … wrote:" line over '>' lines goes alone (the '>' lines are cut as quoted lines)."""
    at = 0
    while head := _QUOTE_HEAD.search(text, at):
        start = head.start()
        if at == 0 and not text[:start].strip():
            opening = _OPENING_HEADER.match(text, start)
            if opening:
                spans.append((start, opening.end(), "\n"))
                at = opening.end()
                continue
        if head.group()[-1] in ":：" and _MARKS_UNDER.match(text, head.end()):
            spans.append((start, head.end(), "\n"))
            at = head.end()
            continue
        spans.append((start, len(text), "\n"))
        return start
    return len(text)


def _overlaps(start: int, end: int, kept: list[tuple[int, int]]) -> bool:
    # kept is sorted by start and its spans do not overlap each other (codes)
    i = bisect.bisect_left(kept, (end, end))
    return i > 0 and kept[i - 1][1] > start


# two blanks or more, written to open with a class (`[ \n]{2,}` has none for the regex engine to
# skip to: a match would be tried at every position)
_WS_RUN = re.compile(r"[ \n][ \n]+")
_BLANKS = (" ", "\n")  # what _WS_RUN collapses


def _painted(
    text: str, spans: list[tuple[int, int, str]], *, once: bool = False
) -> tuple[str, list[int]]:
    """`text` with each span painted over by its filler (one per character, none for ""), and
    for each character left its offset in `text`. Spans apart from each other (most texts:
    a date, a number, a greeting) are painted slice by slice; overlapping ones character by
    character (`_painted_by_char`, where the order of painting decides).

    `once`: a blank filler (a space or a newline) written once per span of spans apart, at
    the span's start, for `_collapsed` to read: a run of blanks ends up as one character,
    its first newline or else its first character, so one filler character with the span's
    first offset gives what a filler per character gives (the run it stands in is the same
    but for its length, and a lone span of several blanks is collapsed to one anyway)."""
    order = sorted(spans)
    for (_, end, _), (start, _, _) in itertools.pairwise(order):
        if start < end:
            return _painted_by_char(text, spans)
    pieces: list[str] = []
    where: list[int] = []
    last = 0
    for start, end, filler in order:
        if start >= end:
            continue
        pieces.append(text[last:start])
        where.extend(range(last, start))
        if filler:
            if once and filler in _BLANKS:
                pieces.append(filler)
                where.append(start)
            else:
                pieces.append(filler * (end - start))
                where.extend(range(start, end))
        last = end
    pieces.append(text[last:])
    where.extend(range(last, len(text)))
    return "".join(pieces), where


def _painted_by_char(text: str, spans: list[tuple[int, int, str]]) -> tuple[str, list[int]]:
    """What `_painted` gives, for any spans: a newline filler wins over any other; of the
    others, the later span wins."""
    chars = list(text)
    for start, end, filler in spans:
        if filler != "\n":
            chars[start:end] = [filler] * (end - start)
    for start, end, filler in spans:
        if filler == "\n":
            chars[start:end] = ["\n"] * (end - start)
    where = list(itertools.compress(range(len(chars)), chars))  # the characters kept
    return "".join(chars), where


def strip_noise(text: str, spans: Iterable[tuple[int, int, str]]) -> tuple[str, list[int]]:
    """`text` without the noise spans, each replaced by its filler (a space, or a newline that
    keeps clauses apart), runs of spaces collapsed; and for each character of the result, its
    offset in `text` (so a match in the clean text maps back to the ticket's words).

    A run of blanks becomes one: a newline (at the run's first newline) if it has one, else a
    space (at its first space). Painted slice by slice and collapsed with one regex, so the
    Python work is per span and per run, not per character."""
    spans = list(spans)
    if not spans:  # the usual case: intake's text has its spaces collapsed already
        return text, list(range(len(text)))
    return _collapsed(*_painted(text, spans, once=True))


def _collapsed(painted: str, where: list[int]) -> tuple[str, list[int]]:
    """The painted text with each run of blanks made one character (a newline, at the run's
    first newline, if it has one, else a space at its first space), and the offsets kept."""
    out: list[str] = []
    at: list[int] = []
    last = 0
    for m in _WS_RUN.finditer(painted):
        out.append(painted[last : m.start()])
        at.extend(where[last : m.start()])
        run = m.group()
        nl = run.find("\n")
        out.append("\n" if nl >= 0 else " ")
        at.append(where[m.start() + (nl if nl >= 0 else 0)])
        last = m.end()
    if not out:
        return painted, where
    out.append(painted[last:])
    at.extend(where[last:])
    return "".join(out), at
