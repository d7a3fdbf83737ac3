"""Regenerate the shipped JSON Schemas: `python -m diagnoser.schemas` (`--check`: only say
which differ from the models, exit 1 if any)."""

import argparse
import sys

from . import NAMES, generate, path, write_all

parser = argparse.ArgumentParser(
    prog="python -m diagnoser.schemas",
    description="Regenerate diagnoser's shipped JSON Schemas from the models.",
)
parser.add_argument(
    "--check", action="store_true", help="write nothing; exit 1 if a shipped file is stale"
)
args = parser.parse_args()
if args.check:
    import json

    stale = [n for n in NAMES if json.loads(path(n).read_text(encoding="utf-8")) != generate(n)]
    for name in stale:
        print(f"{path(name)}: differs from the models", file=sys.stderr)
    sys.exit(1 if stale else 0)
for written in write_all():
    print(written)
