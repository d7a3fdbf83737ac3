"""Regenerate the shipped JSON Schemas: `python -m diagnoser.schemas`."""

from . import write_all

for written in write_all():
    print(written)
