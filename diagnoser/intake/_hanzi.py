"""Traditional Chinese characters to simplified ones, through OpenCC (the maintained converter
of Chinese variants), so one vocabulary reads 開不了票 and 开不了票.

The t2s configuration converts characters and their fixed phrases only; regional *words*
(列印 for 打印, 伺服器 for 服务器) are kept and listed as synonyms in knowledge/vocabulary/,
where a reader can see them, instead of being rewritten behind the vocabulary's back.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Literal

from .._text import CJK as _CJK

if TYPE_CHECKING:
    import opencc

_local = (
    threading.local()
)  # one converter per thread: OpenCC objects are not documented as shared-safe


def _converter() -> opencc.OpenCC:
    cc = getattr(_local, "cc", None)
    if cc is None:
        import opencc  # here: a text without Chinese characters never needs it

        cc = _local.cc = opencc.OpenCC("t2s")
    return cc


def to_simplified(text: str) -> str:
    """`text` with traditional characters converted to simplified ones (same length)."""
    if not _CJK.search(text):
        return text
    converted: str = _converter().convert(text)
    # t2s maps characters and phrases one to one; should a phrase ever change length, keep
    # the text as written rather than shift every position after it
    return converted if len(converted) == len(text) else text


# --- which script a text is written in ---------------------------------------------------------

_to_traditional = threading.local()
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def _traditional(text: str) -> str:
    cc = getattr(_to_traditional, "cc", None)
    if cc is None:
        import opencc

        cc = _to_traditional.cc = opencc.OpenCC("s2t")
    converted: str = cc.convert(text)
    return converted


def chinese_script(text: str) -> Literal["simplified", "traditional"] | None:
    """The script of a text written in Chinese, or None when it is not mostly Chinese or its
    characters do not tell the two apart.

    A character counts as traditional when OpenCC's t2s changes it and as simplified when s2t
    does; the script with more such characters wins. A text counts as Chinese when it has at
    least two Han characters and no fewer of them than Latin words ("error 1001 开票失败" is
    Chinese, "the printer shows 卡纸" is not). Only a weak default for choosing plan steps.
    """
    han = len(_CJK.findall(text))
    if han < 2 or han < len(_LATIN_WORD.findall(text)):
        return None
    simplified_form = _converter().convert(text)
    traditional_form = _traditional(text)
    traditional = sum(1 for a, b in zip(text, simplified_form, strict=False) if a != b)
    simplified = sum(1 for a, b in zip(text, traditional_form, strict=False) if a != b)
    if traditional > simplified:
        return "traditional"
    if simplified > traditional:
        return "simplified"
    return None
