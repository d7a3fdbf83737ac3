"""The agenda order: experta's depth-first strategy with stable tie-breaks and exact removal."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Any

from ._experta import Fact, Strategy


class StableStrategy(Strategy):  # type: ignore[misc]
    """Depth-first like experta's default, with stable tie-breaks and exact removal."""

    @staticmethod
    def _key(activation: Any) -> tuple[Any, ...]:
        order = getattr(activation.rule._wrapped, "diagnoser_order", 0)
        facts = sorted((f["__factid__"] for f in activation.facts), reverse=True)
        # one rule can match the same facts through different alternatives of an `any`;
        # the bindings tell those activations apart, deterministically
        bindings = sorted(
            (name, value["__factid__"])
            for name, value in activation.context.items()
            if isinstance(name, str) and isinstance(value, Fact)
        )
        # the agenda pops from the right: higher salience, newer facts, lower order first
        return (activation.rule.salience, facts, -order, bindings)

    def _update_agenda(self, agenda: Any, added: Iterable[Any], removed: Iterable[Any]) -> None:
        added = list(added)
        if not added and not removed:
            return
        activations = agenda.activations
        for act in removed:
            act.key = self._key(act)
            for i, candidate in enumerate(activations):
                if candidate == act:
                    del activations[i]
                    break
        for act in added:
            act.key = self._key(act)
        # sorted first, so equal keys (which the bindings rule out) would still insert stably
        for act in sorted(added, key=lambda a: a.key):
            bisect.insort(activations, act)
