"""`python -m diagnoser ...`: the `diagnoser` command without its installed script."""

from .cli import run

run()
