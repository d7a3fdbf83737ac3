"""Traditional to simplified: texts without a cue character skip OpenCC, and lose nothing by it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import opencc
import pytest

from diagnoser.intake import _hanzi, _t2s_table

ROOT = Path(__file__).resolve().parent.parent
TOOL = Path(opencc.__file__).parent / "clib" / "bin" / "opencc_dict"
CURRENT = opencc.__version__ == _t2s_table.OPENCC_VERSION


def _opencc(text: str) -> str:
    """What to_simplified gave before the cue test: OpenCC on every text with a hanzi."""
    if not _hanzi._CJK.search(text):
        return text
    converted: str = opencc.OpenCC("t2s").convert(text)
    return converted if len(converted) == len(text) else text


@pytest.mark.skipif(not CURRENT, reason="table made from another OpenCC release: not used")
@pytest.mark.skipif(shutil.which(str(TOOL)) is None, reason="OpenCC's opencc_dict not installed")
def test_the_cue_table_is_the_one_the_installed_dictionaries_give(tmp_path):
    made = tmp_path / "table.py"
    _hanzi.write_t2s_table(made)
    assert made.read_text(encoding="utf-8") == _hanzi.TABLE.read_text(encoding="utf-8")


@pytest.mark.skipif(not CURRENT, reason="table made from another OpenCC release: not used")
def test_every_character_t2s_changes_on_its_own_is_a_cue():
    # every code point of the CJK blocks and their extensions, one per line: no phrase spans two
    chars = [chr(c) for c in range(0x2E80, 0x323B0) if not 0xD800 <= c < 0xE000]
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    assert len(converted) == len(chars)
    changed = {a for a, b in zip(chars, converted, strict=True) if a != b}
    assert changed
    assert not changed - set(_t2s_table.CUES)


def _texts() -> list[str]:
    out = []
    for path in sorted((ROOT / "examples" / "tickets").glob("*.jsonl")):
        if "holdout" in path.name:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line).get("text") or "")
    return out


# phrases t2s changes though none of their characters changes on its own; a line of Latin and
# compatibility ideographs; an extension-B character with no other hanzi (left as written)
EDGES = ["这个打坏了", "回覆客户", "深沈的颜色", "café 開票", "\uf900\uf901", "𠁞", "开票失败 𠁞"]


def test_to_simplified_gives_what_opencc_gives():
    texts = [*_texts(), *EDGES]
    assert len(texts) > 1000
    assert [_hanzi.to_simplified(t) for t in texts] == [_opencc(t) for t in texts]
    assert _hanzi.to_simplified("这个打坏了") == "这个打坯了"  # OpenCC's phrase, kept
    assert _hanzi.to_simplified("開不了票") == "开不了票"


def test_a_table_of_another_opencc_release_is_not_used(monkeypatch):
    monkeypatch.setattr(_t2s_table, "OPENCC_VERSION", "0.0")
    _hanzi._t2s_cues.cache_clear()
    try:
        assert _hanzi._t2s_cues() is None
        assert [_hanzi.to_simplified(t) for t in EDGES] == [_opencc(t) for t in EDGES]
    finally:
        monkeypatch.undo()
        _hanzi._t2s_cues.cache_clear()
    assert _hanzi._t2s_cues() is not None
