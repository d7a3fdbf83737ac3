"""YAML loading that remembers the line of every key, so errors can point at file:line."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Issue, Location

if TYPE_CHECKING:
    import yaml

# yaml is imported on the first parse, not with this module: a process whose knowledge base
# comes from the compiled cache never parses YAML


@functools.cache
def _loader_class() -> type[yaml.SafeLoader]:
    import yaml

    # the C loader is several times faster; fall back when libyaml is missing
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


Path_ = tuple[str | int, ...]
MAX_BYTES = 8 << 20  # a knowledge-base or mapping file larger than this is refused unread
MAX_NODES = 200_000  # values built from one file, aliases counted each time they are used


class LineMap:
    """Maps a path inside a YAML document (keys and list indexes) to its 1-based line."""

    def __init__(self, path: str, lines: dict[Path_, int]) -> None:
        self.path = path
        self._lines = lines

    def line(self, loc: Path_) -> int:
        """Line of the deepest prefix of `loc` that is known (the document start if none)."""
        loc = tuple(loc)
        while loc:
            if loc in self._lines:
                return self._lines[loc]
            loc = loc[:-1]
        return self._lines.get((), 1)

    def at(self, loc: Path_ = ()) -> Location:
        """A Location for `loc` in this file."""
        return Location(self.path, self.line(loc))


class _Budget:
    """Counts the values built from one file: an alias bomb ("billion laughs") stops early."""

    def __init__(self) -> None:
        self.left = MAX_NODES

    def spend(self, node: yaml.Node) -> None:
        import yaml

        self.left -= 1
        if self.left < 0:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"more than {MAX_NODES:,} values (aliases expanding without bound?)",
                node.start_mark,
            )


def _to_python(
    node: yaml.Node, loc: Path_, lines: dict[Path_, int], loader: Any, budget: _Budget
) -> Any:
    import yaml

    budget.spend(node)
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                )
            if key in out:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            child = (*loc, key)
            lines[child] = key_node.start_mark.line + 1
            out[key] = _to_python(value_node, child, lines, loader, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _to_python(item, (*loc, i), lines, loader, budget) for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


def load_yaml(path: Path, display: str | None = None) -> tuple[Any, LineMap]:
    """Parse one YAML file; raise YamlError (an Issue carrier) on malformed input."""
    shown = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise YamlError(
                Issue(Location(shown, 0), f"too large: {size:,} bytes (limit {MAX_BYTES:,})")
            )
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(Issue(Location(shown, 0), f"not valid UTF-8: {exc.reason}")) from exc
    except OSError as exc:
        raise YamlError(Issue(Location(shown, 0), f"cannot read file: {exc.strerror}")) from exc
    import yaml

    loader = _loader_class()(text)
    try:
        node = loader.get_single_node()
        lines: dict[Path_, int] = {}
        data = None if node is None else _to_python(node, (), lines, loader, _Budget())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        # an error at the end of the stream points past the last line; point at the last one
        line = min(line, max(1, len(text.splitlines())))
        problem = exc.problem or exc.context or "malformed YAML"
        raise YamlError(Issue(Location(shown, line), f"malformed YAML: {problem}")) from exc
    except yaml.YAMLError as exc:
        raise YamlError(Issue(Location(shown, 0), f"malformed YAML: {exc}")) from exc
    finally:
        loader.dispose()
    return data, LineMap(shown, lines)


class YamlError(Exception):
    """Internal: a file could not be parsed; carries the Issue to report."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(str(issue))
        self.issue = issue
