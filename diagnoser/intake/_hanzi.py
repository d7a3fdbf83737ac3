"""Traditional Chinese characters to simplified ones, through OpenCC (the maintained converter
of Chinese variants), so one vocabulary reads 開不了票 and 开不了票.

The t2s configuration converts characters and their fixed phrases only; regional *words*
(列印 for 打印, 伺服器 for 服务器) are kept and listed as synonyms in knowledge/vocabulary/,
where a reader can see them, instead of being rewritten behind the vocabulary's back.
"""

from __future__ import annotations

import re
import threading

import opencc

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_local = (
    threading.local()
)  # one converter per thread: OpenCC objects are not documented as shared-safe


def _converter() -> opencc.OpenCC:
    cc = getattr(_local, "cc", None)
    if cc is None:
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
