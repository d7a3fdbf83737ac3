"""Traditional Chinese characters to simplified ones, through OpenCC (the maintained converter
of Chinese variants), so one vocabulary reads 開不了票 and 开不了票.

The t2s configuration converts characters and their fixed phrases only; regional *words*
(列印 for 打印, 伺服器 for 服务器) are kept and listed as synonyms in knowledge/vocabulary/,
where a reader can see them, instead of being rewritten behind the vocabulary's back.
"""

from __future__ import annotations

import functools
import re
import threading
from pathlib import Path
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
    """`text` with traditional characters converted to simplified ones (same length).

    Only a text with a character of CJK_CLASS is converted, and of those only one with a
    character `_t2s_cues` lists: OpenCC would return any other unchanged (most simplified
    texts)."""
    if text.isascii():
        return text
    cues = _t2s_cues()
    # (a set test in C, under a µs; OpenCC's conversion of a ticket costs several)
    if (cues is not None and cues.isdisjoint(text)) or not _CJK.search(text):
        return text
    converted: str = _converter().convert(text)
    # t2s maps characters and phrases one to one; should a phrase ever change length, keep
    # the text as written rather than shift every position after it
    return converted if len(converted) == len(text) else text


# --- which texts t2s leaves as they are ---------------------------------------------------------


@functools.cache
def _t2s_cues() -> frozenset[str] | None:
    """Characters of which every text t2s changes has at least one (`_t2s_table.CUES`), or
    None when the table was made from another OpenCC release than the one installed (then
    every text with a Chinese character goes through OpenCC, as it always may)."""
    import opencc

    from . import _t2s_table

    # (a release that does not say its version is another one, too)
    if getattr(opencc, "__version__", None) != _t2s_table.OPENCC_VERSION:
        return None
    return frozenset(_t2s_table.CUES)


def t2s_cues_from_dictionaries() -> str:
    """The cue characters, read from the dictionaries the installed OpenCC's t2s
    configuration names (dumped to text by OpenCC's own `opencc_dict` tool).

    OpenCC converts a text segment by segment, each the longest key of its dictionaries found
    there, into that key's first value; the rest is copied. So a text changes only where it
    holds a key whose first value differs from it: a one-character key of that kind, or a
    longer one (a phrase). The cues are every such character, and for each changing phrase
    none of whose characters is a cue already, one of its characters (chosen to cover many
    phrases at once): a text without a cue holds no changing key."""
    import json  # (a tool of upgrades: its modules stay out of intake's start)
    import subprocess
    import tempfile

    import opencc

    clib = Path(opencc.__file__).parent / "clib"
    share = clib / "share" / "opencc"
    config = json.loads((share / "t2s.json").read_text(encoding="utf-8"))
    files: list[str] = []

    def collect(spec: dict[str, object]) -> None:
        if spec.get("type") == "group":
            for sub in spec["dicts"]:  # type: ignore[attr-defined]
                collect(sub)
        else:
            files.append(str(spec["file"]))

    for step in [*config.get("normalization", []), *config["conversion_chain"]]:
        collect(step["dict"])
    changing: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in files:
            out = Path(tmp) / (name + ".txt")
            tool = str(clib / "bin" / "opencc_dict")
            subprocess.run(
                [tool, "-i", str(share / name), "-o", str(out), "-f", "ocd2", "-t", "text"],
                check=True,
                capture_output=True,
            )
            for line in out.read_text(encoding="utf-8").splitlines():
                key, _, values = line.partition("\t")
                if key and values.split(" ")[0] != key:
                    changing.append(key)
    cues = {key for key in changing if len(key) == 1}
    phrases = [key for key in changing if len(key) > 1 and cues.isdisjoint(key)]
    while phrases:  # greedy cover: the character most of the phrases left have
        counts: dict[str, int] = {}
        for phrase in phrases:
            for char in set(phrase):
                counts[char] = counts.get(char, 0) + 1
        best = max(sorted(counts), key=lambda c: counts[c])
        cues.add(best)
        phrases = [phrase for phrase in phrases if best not in phrase]
    return "".join(sorted(cues))


def write_t2s_table(path: Path) -> None:
    """Write the cue table for the installed OpenCC, after upgrading it: `python -c "from
    diagnoser.intake._hanzi import *; write_t2s_table(TABLE)"`."""
    import json

    import opencc

    cues = t2s_cues_from_dictionaries()
    lines = [
        f'"""Made by _hanzi.write_t2s_table from OpenCC {opencc.__version__}\'s t2s '
        'dictionaries: do not edit."""',
        "",
        f"OPENCC_VERSION = {json.dumps(opencc.__version__)}",
        "CUES = (",
        *(
            f"    {json.dumps(cues[i : i + 40], ensure_ascii=False)}"
            for i in range(0, len(cues), 40)
        ),
        ")",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


TABLE = Path(__file__).with_name("_t2s_table.py")


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
