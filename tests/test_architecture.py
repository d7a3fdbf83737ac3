"""docs/architecture.md's package map is true to the tree: every module and package it names
exists, and every module and package of diagnoser/ is on it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "diagnoser"
DOC = ROOT / "docs" / "architecture.md"
_ROW = re.compile(r"^\| `([^`]+)` \| (.*) \|$")
_NAMED = re.compile(r"`([\w]+(?:\.py|/))`")


def _map() -> dict[str, str]:
    """The rows of the package map: path under diagnoser/ → its job."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## The package map", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = _ROW.match(line)
        if m:
            assert m.group(1) not in rows, f"{m.group(1)} has two rows"
            rows[m.group(1)] = m.group(2)
    return rows


def _is_package(path: Path) -> bool:
    return path.is_dir() and (path / "__init__.py").is_file()


def _children(package: Path) -> set[str]:
    """The modules (name.py) and subpackages (name/) of `package`, but its __init__.py."""
    out = {p.name for p in package.glob("*.py") if p.name != "__init__.py"}
    out |= {f"{p.name}/" for p in package.iterdir() if _is_package(p)}
    return out


def test_every_row_of_the_map_exists():
    missing = [row for row in _map() if not (PACKAGE / row).exists()]
    assert not missing, f"docs/architecture.md maps what diagnoser/ does not have: {missing}"


def test_every_module_and_package_has_a_row():
    rows = set(_map())
    top = {p.name for p in PACKAGE.glob("*.py")} | {
        f"{p.name}/" for p in PACKAGE.iterdir() if _is_package(p)
    }
    assert sorted(top - rows) == [], "modules or packages of diagnoser/ missing from the map"


def test_each_package_row_names_its_modules_and_only_those():
    rows = _map()
    problems = []
    for row, job in rows.items():
        if not row.endswith("/") or not _is_package(PACKAGE / row):
            continue
        named = set(_NAMED.findall(job))
        # a subpackage with a row of its own need not be detailed in its parent's
        wanted = {c for c in _children(PACKAGE / row) if f"{row}{c}" not in rows or c in named}
        for child in sorted(wanted - named):
            problems.append(f"{row}: {child} is not named")
        for name in sorted(named):
            if name != "__init__.py" and not (PACKAGE / row / name).exists():
                problems.append(f"{row}: names {name}, which does not exist")
    assert not problems, "\n".join(problems)


def test_the_kb_group_s_commands_live_in_one_module():
    import click

    from diagnoser.cli import cli

    ctx = click.Context(cli)
    group = cli.get_command(ctx, "kb")
    assert isinstance(group, click.Group)
    modules = {
        name: group.get_command(ctx, name).callback.__module__ for name in group.list_commands(ctx)
    }
    assert set(modules) == {"lint", "test", "show", "learn"}
    assert set(modules.values()) == {"diagnoser.cli.kb"}, modules
