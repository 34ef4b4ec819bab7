"""The allocation that obeys the shortage policy (:class:`route.model.policy.Policy`).

:func:`allocate` hands out every product's supply over all demands at
once with OR-Tools CP-SAT, so several products and substitutes are solved together. The policy
order becomes a lexicographic objective, most protected first:

1. copies short among the rotated tiers (``paying`` by default);
2. of those, copies short to subscribers who were shorted on the previous day (nobody is shorted
   two days running while others were not);
3. the rotation: least recently shorted first (a rank from the ledger);
4. substitutes handed to the rotated tiers (substitutes come before any paying subscriber
   is shorted, but after the household, samples and complimentary copies have gone without);
5. the ``forgo`` tiers in reverse order (the complimentary copies go after the samples, the
   samples after the household), with unmet replacement copies for complaints ranked right after
   the tiers listed in ``replacement_from``;
6. the subscribers' own substitute preference (first choice before second);
7. the rotation among the ``forgo`` tiers (deterministic tie-breaking).

Each level is solved to optimality and then fixed before the next, which is exact where one
weighted sum would need enormous weights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from route.model.policy import SPARE, Policy

# -- allocation ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Demand:
    """Copies wanted by one subscriber (or one replacement for a complaint).

    Attributes
    ----------
    key
        Unique within one allocation.
    tier
        The subscriber's tier; a replacement has ``replacement=True`` and is ranked by the
        policy's ``replacement_from`` instead.
    quantity
        Copies wanted.
    options
        Acceptable products: the own product first, then accepted substitutes in order.
    rank
        Rotation rank within the tier, 1 = first to go without (least recently shorted).
    shorted_last_day
        Whether the subscriber was shorted on the previous day.
    """

    key: str
    tier: str
    quantity: int
    options: tuple[str, ...]
    rank: int = 1
    shorted_last_day: bool = False
    replacement: bool = False


@dataclass(frozen=True, slots=True)
class Allocation:
    """Copies handed out per demand and product, and how the solver got there."""

    given: Mapping[str, Mapping[str, int]]
    solved: bool
    levels: tuple[int, ...] = ()

    def received(self, key: str) -> int:
        """Copies a demand received, all products together."""
        return sum(self.given.get(key, {}).values())


def allocate(
    demands: Sequence[Demand],
    supply: Mapping[str, int],
    policy: Policy,
    *,
    time_limit: float = 10.0,
) -> Allocation:
    """Hand out the supply over the demands, following the policy (see the module docstring).

    Parameters
    ----------
    demands
        Every demand of the day; keys must be unique.
    supply
        Copies available per product (a product not listed has none).
    policy
        The shortage policy.
    time_limit
        Seconds per lexicographic level (the levels are tiny; this is a guard).

    Returns
    -------
    Allocation
        Never hands out more than the supply of a product, nor a product outside a demand's
        options.

    Raises
    ------
    ValueError
        If demand keys repeat or a count is negative (a programming error, not user input).
    """
    if len({d.key for d in demands}) != len(demands):
        raise ValueError("demand keys must be unique")
    if any(n < 0 for n in supply.values()) or any(d.quantity < 0 for d in demands):
        raise ValueError("supply and quantities must not be negative")
    own_need: dict[str, int] = {}
    for d in demands:
        own_need[d.options[0]] = own_need.get(d.options[0], 0) + d.quantity
    if all(n <= supply.get(p, 0) for p, n in own_need.items()):
        # Everyone gets their own product: every level of the objective is at its zero minimum.
        return Allocation(
            {d.key: {d.options[0]: d.quantity} for d in demands if d.quantity}, solved=False
        )
    return _solve(demands, supply, policy, time_limit)


def _solve(
    demands: Sequence[Demand], supply: Mapping[str, int], policy: Policy, time_limit: float
) -> Allocation:
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    y: dict[tuple[int, str], Any] = {}
    short, subst, pref = {}, {}, []
    for i, d in enumerate(demands):
        options = d.options if policy.substitutes else d.options[:1]
        got = []
        for k, p in enumerate(dict.fromkeys(options)):
            cap = min(d.quantity, supply.get(p, 0))
            if cap <= 0:
                continue
            v = m.new_int_var(0, cap, f"y{i}_{p}")
            y[i, p] = v
            got.append(v)
            if k:
                pref.append(k * v)
        m.add(sum(got) <= d.quantity)
        short[i] = d.quantity - sum(got)
        subst[i] = sum(y[i, p] for p in options[1:] if (i, p) in y)
    for p, n in supply.items():
        use = [v for (_, q), v in y.items() if q == p]
        if use:
            m.add(sum(use) <= n)

    rotated = [i for i, d in enumerate(demands) if not d.replacement and d.tier not in policy.forgo]
    levels = [
        sum(short[i] for i in rotated),
        sum(short[i] for i in rotated if demands[i].shorted_last_day),
        sum(demands[i].rank * short[i] for i in rotated),
        sum(subst[i] for i in rotated),
    ]
    ladder: list[str] = list(policy.forgo)
    taken = [t for t in policy.replacement_from if t != SPARE]
    ladder.insert(len(taken), "")  # "" stands for the replacements
    for step in reversed(ladder):
        levels.append(
            sum(
                short[i]
                for i, d in enumerate(demands)
                if (d.replacement and step == "") or (not d.replacement and d.tier == step and step)
            )
        )
    levels.append(sum(pref))
    levels.append(
        sum(
            d.rank * short[i]
            for i, d in enumerate(demands)
            if d.replacement or d.tier in policy.forgo
        )
    )

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1  # deterministic: the same inputs give the same day
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = time_limit
    values = []
    for expr in levels:
        if isinstance(expr, int):  # an empty level
            values.append(expr)
            continue
        m.minimize(expr)
        status = solver.solve(m)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise RuntimeError(f"allocation failed: {solver.status_name(status)}")
        best = round(solver.objective_value)
        values.append(best)
        m.add(expr <= best)
        m.clear_hints()  # type: ignore[no-untyped-call]  # ortools leaves it unannotated
        for v in y.values():
            m.add_hint(v, solver.value(v))
    given: dict[str, dict[str, int]] = {}
    for (i, p), v in y.items():
        n = int(solver.value(v))
        if n:
            given.setdefault(demands[i].key, {})[p] = n
    return Allocation(given, solved=True, levels=tuple(values))
