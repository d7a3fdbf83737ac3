"""Which stage may import which: intake reads tickets without the engine (and so experta)."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys
from diagnoser._resources import default_paths
from diagnoser.intake import Vocabulary, take_in
from diagnoser.kb.loader import load_knowledge_base
from diagnoser.ticket import Ticket

kb = load_knowledge_base(*default_paths())
ticket = Ticket.parse({"id": "t", "text": "打印机卡纸, error 1001", "error_codes": ["1001"]})
assert take_in(ticket, kb, Vocabulary.build(kb)).facts
engine = [m for m in sys.modules if m.startswith("diagnoser.engine")]
experta = [m for m in sys.modules if m.split(".")[0] in ("experta", "frozendict")]
print(*sorted(engine + experta))
"""


def test_intake_runs_without_importing_the_engine_or_experta():
    # a tool that only reads tickets must not pay for, or depend on, the engine: a fresh
    # process, since this one has imported everything already
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
