"""experta's RETE matcher with three costs removed; what matches is unchanged."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._experta import ConflictSetNode, FeatureCheck, FeatureTesterNode, L, NoMemory, ReteMatcher

_MISSING = object()


class FastMatcher(ReteMatcher):  # type: ignore[misc]
    """experta's RETE matcher with three costs removed; what matches is unchanged.

    * Alpha dispatch: a node whose children test the same fact field against literals
      (``id == 'paper_jam'``, ``id == 'cpu_percent'``, …) tries every child in turn. Here such
      children are indexed by the literal, and a fact only visits the children its value selects.
    * Reset: the stock one recurses through children, and nodes shared between rules are reached
      once per path (some 13,000 visits per reset for 70 rules). Here only the nodes that received
      a token since the last reset are cleared — including the pending activations of the
      conflict-set nodes, so nothing survives an aborted run.
    * Changes: the stock one polls every rule's conflict-set node after each change. Here only the
      conflict-set nodes a token reached are asked for activations.
    """

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        seen: dict[int, Any] = {}
        stack = [self.root_node]
        while stack:
            node = stack.pop()
            if id(node) not in seen:
                seen[id(node)] = node
                stack.extend(child.node for child in node.children)
        self._touched: dict[int, Any] = {}
        self._pending: dict[int, Any] = {}
        for node in seen.values():
            if isinstance(node, FeatureTesterNode):
                self._index_children(node)
            for name in ("_activate", "_activate_left", "_activate_right"):
                if not isinstance(node, NoMemory) and hasattr(node, name):
                    setattr(node, name, self._marking(node, getattr(node, name)))

    def _marking(self, node: Any, activate: Callable[[Any], Any]) -> Callable[[Any], Any]:
        touched = self._touched
        pending = self._pending if isinstance(node, ConflictSetNode) else None

        def marked(token: Any) -> Any:
            touched[id(node)] = node
            if pending is not None:
                pending[id(node)] = node
            return activate(token)

        return marked

    @staticmethod
    def _index_children(node: Any) -> None:
        """Replace the child loop of `node` by a lookup on the literal the children test."""
        literal: dict[Any, list[Any]] = {}
        rest: list[Any] = []
        fields = set()
        for child in node.children:
            check = getattr(child.node, "matcher", None)
            if (
                isinstance(child.node, FeatureTesterNode)
                and isinstance(check, FeatureCheck)
                and isinstance(check.how, L)
                and check.how.__bind__ is None
                and isinstance(check.what, str)
                and "__" not in check.what
            ):
                try:
                    literal.setdefault(check.how.value, []).append(child)
                except TypeError:  # unhashable literal: keep it on the slow path
                    rest.append(child)
                else:
                    fields.add(check.what)
            else:
                rest.append(child)
        if len(fields) != 1 or sum(len(v) for v in literal.values()) < 4:
            return
        (field_name,) = fields
        matcher = node.matcher

        def dispatch(token: Any) -> None:
            # FeatureTesterNode._activate of experta 1.9.4, with the child loop indexed
            (fact,) = token.data
            match = matcher(fact)
            if not match:
                return
            if isinstance(match, Mapping):
                for key, value in match.items():
                    if isinstance(key, tuple):
                        if key[1] in token.context and token.context[key[1]] == value:
                            return
                    else:
                        if token.context.get(key, value) != value:
                            return
                        if (False, key) in token.context and token.context[(False, key)] == value:
                            return
                token.context.update(match)
            try:
                selected = literal.get(fact.get(field_name, _MISSING), ())
            except TypeError:  # an unhashable value equals no literal
                selected = ()
            for child in selected:
                child.callback(token)
            for child in rest:
                child.callback(token)

        node._activate = dispatch

    def changes(self, adding: Any = None, deleting: Any = None) -> tuple[list[Any], list[Any]]:
        for fact in deleting or ():
            self.root_node.remove(fact)
        for fact in adding or ():
            self.root_node.add(fact)
        added: list[Any] = []
        removed: list[Any] = []
        for node in self._pending.values():
            node_added, node_removed = node.get_activations()
            added.extend(node_added)
            removed.extend(node_removed)
        self._pending.clear()
        return added, removed

    def reset(self) -> None:
        for node in self._touched.values():
            node._reset()
            if isinstance(node, ConflictSetNode):
                node.added = set()
                node.removed = set()
        self._touched.clear()
        self._pending.clear()
