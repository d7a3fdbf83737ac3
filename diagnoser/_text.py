"""The CJK character class: the one definition every stage uses to ask "is this Chinese?"."""

from __future__ import annotations

import re

# CJK Unified Ideographs with Extension A, and the compatibility ideographs
CJK_CLASS = r"[\u3400-\u9fff\uf900-\ufaff]"
CJK = re.compile(CJK_CLASS)
