"""`python -m diagnoser.cli ...`: the `diagnoser` command without its installed script."""

from . import run

run()
