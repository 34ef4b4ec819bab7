"""The allocation that obeys the shortage policy (:class:`route.model.policy.Policy`).

:func:`allocate` hands out every product's supply, and a late second bundle, over all demands
at once, so several products and substitutes are decided together. It is an integer
transportation problem: copies flow from a product's supply (the morning bundle, then the late
bundle) to the demands that accept that product, at most ``quantity`` copies per demand, and
whatever nobody takes flows to "unused". The policy is a lexicographic objective over that
flow, most protected first, solved once for the morning pass and then once more for the
catch-up pass with the late bundle (the morning decisions stay fixed while the late copies are
handed out):

1. copies short among the rotated tiers (``paying`` by default);
2. of those, copies short to subscribers who were shorted on the previous day (nobody is shorted
   two days running while others were not);
3. the rotation: least recently shorted first (a rank from the ledger);
4. substitutes handed to the rotated tiers (substitutes come before any paying subscriber
   is shorted, but after the household, samples and complimentary copies have gone without);
5. the ``forgo`` tiers and the replacement copies for complaints, most protected first (see
   :func:`going_without`): by default a paying subscriber's replacement is protected over every
   ``forgo`` tier, then the complimentary copies, the samples, the household;
6. the subscribers' own substitute preference (first choice before second);
7. the rotation among the ``forgo`` tiers and the replacements (deterministic tie-breaking).

Exactness. Every level is a linear cost on the arcs of the flow network, so each level is a
min-cost flow, solved exactly by OR-Tools' ``SimpleMinCostFlow`` (integral, no time limit).
Fixing a level's optimum before the next is done without any weights: by linear-programming
duality, once one optimal flow ``f`` and node potentials ``pi`` with non-negative reduced costs
``c(u, v) + pi(u) - pi(v)`` on every residual arc are known, *every* optimal flow of that level
keeps an arc with positive reduced cost at its lower bound and an arc with negative reduced cost
at its upper bound (complementary slackness holds between any optimal primal and any optimal
dual), and every feasible flow that does so is optimal. So the optimal face of a level is
exactly the flows with those arcs fixed; the next level is minimised over it, and so on. The
potentials are shortest-path distances in the residual network (Bellman-Ford from a virtual
root); they exist only when the residual network has no negative cycle, which is the proof that
the level's flow is optimal, checked for every level. The result is the exact lexicographic
optimum, and the same inputs give the same flow (the solver is deterministic and the arcs are
built in a fixed order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from route.model.policy import Policy

# -- allocation ---------------------------------------------------------------------------------

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Demand:
    """Copies wanted by one subscriber (or one replacement for a complaint).

    Attributes
    ----------
    key
        Unique within one allocation.
    tier
        The subscriber's tier (for a replacement, the tier of the subscriber who complained).
    quantity
        Copies wanted.
    options
        Acceptable products: the own product first, then accepted substitutes in order.
    rank
        Rotation rank within the tier, 1 = first to go without (least recently shorted).
    shorted_last_day
        Whether the subscriber was shorted on the previous day.
    replacement
        A replacement copy for a missed, wet or damaged item (ranked by the policy's
        ``replacement_from``).
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
    """Copies handed out per demand and product, in the morning pass and from the late bundle.

    Attributes
    ----------
    given
        Demand key -> product -> copies from the morning supply.
    late
        Demand key -> product -> copies from the late bundle (the catch-up pass).
    solved
        Whether a flow was solved (``False`` when the supply covered everyone's own product).
    levels
        The optimum of every lexicographic level, morning levels first.
    """

    given: Mapping[str, Mapping[str, int]]
    solved: bool
    levels: tuple[int, ...] = ()
    late: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def received(self, key: str) -> int:
        """Copies a demand received in the morning pass, all products together."""
        return sum(self.given.get(key, {}).values())

    def received_late(self, key: str) -> int:
        """Copies a demand received from the late bundle."""
        return sum(self.late.get(key, {}).values())


def going_without(policy: Policy) -> list[tuple[str, str]]:
    """The order in which the non-rotated classes go without, first to go without first.

    Each class is ``("tier", t)`` (a ``forgo`` tier's own copies) or ``("replacement", t)`` (the
    replacement copies for complaints of tier ``t``; ``"*"`` stands for every rotated tier).
    A rotated subscriber's replacement goes without only after the tiers listed in
    ``replacement_from`` (whose copies it may take); a ``forgo`` tier's replacement goes without
    just before that tier's own copies.
    """
    order: list[tuple[str, str]] = []
    for t in policy.forgo:
        order += [("replacement", t), ("tier", t)]
    # After the last taken tier's own copies (or first of all when none is taken).
    taken = [order.index(("tier", t)) for t in policy.replacement_from if ("tier", t) in order]
    at = max(taken) + 1 if taken else 0
    order.insert(at, ("replacement", "*"))
    return order


def allocate(
    demands: Sequence[Demand],
    supply: Mapping[str, int],
    policy: Policy,
    late: Mapping[str, int] | None = None,
) -> Allocation:
    """Hand out the supply and the late bundle over the demands, following the policy.

    Parameters
    ----------
    demands
        Every demand of the day; keys must be unique.
    supply
        Copies available per product in the morning (a product not listed has none).
    policy
        The shortage policy (see the module docstring for its levels).
    late
        A late second bundle per product: what the morning pass leaves short is caught up
        with it, by the same policy.

    Returns
    -------
    Allocation
        Never hands out more than the supply of a product, nor a product outside a demand's
        options; the exact lexicographic optimum of the policy's levels.

    Raises
    ------
    ValueError
        If demand keys repeat or a count is negative (a programming error, not user input).
    """
    if len({d.key for d in demands}) != len(demands):
        raise ValueError("demand keys must be unique")
    late = dict(late or {})
    counts = [*supply.values(), *late.values(), *(d.quantity for d in demands)]
    if any(n < 0 for n in counts):
        raise ValueError("supply and quantities must not be negative")
    own_need: dict[str, int] = {}
    for d in demands:
        own_need[d.options[0]] = own_need.get(d.options[0], 0) + d.quantity
    if all(n <= supply.get(p, 0) for p, n in own_need.items()):
        # Everyone gets their own product in the morning: every level is at its zero minimum.
        return Allocation(
            {d.key: {d.options[0]: d.quantity} for d in demands if d.quantity}, solved=False
        )
    return _Network(demands, supply, late, policy).solve()


class _Network:
    """The transportation network of one day and its lexicographic levels."""

    def __init__(
        self,
        demands: Sequence[Demand],
        supply: Mapping[str, int],
        late: Mapping[str, int],
        policy: Policy,
    ) -> None:
        self.demands, self.policy = demands, policy
        wanted = sorted({p for d in demands for p in self._options(d)})
        # Sources: one node per (pass, product) with copies; then one node per demand; a sink.
        sources = [(0, p, supply.get(p, 0)) for p in wanted if supply.get(p, 0) > 0]
        sources += [(1, p, late.get(p, 0)) for p in wanted if late.get(p, 0) > 0]
        self.n_src = len(sources)
        first_demand = self.n_src
        self.sink = first_demand + len(demands)
        tails, heads, caps = [], [], []
        # Per arc: (pass, demand index, option rank); -1 for arcs that are not a hand-out.
        self.arc_pass: list[int] = []
        self.arc_demand: list[int] = []
        self.arc_option: list[int] = []
        source_of = {(k, p): i for i, (k, p, _) in enumerate(sources)}
        for i, d in enumerate(demands):
            for rank, p in enumerate(self._options(d)):
                for k, amount in ((0, supply.get(p, 0)), (1, late.get(p, 0))):
                    if amount <= 0 or d.quantity <= 0:
                        continue
                    tails.append(source_of[k, p])
                    heads.append(first_demand + i)
                    caps.append(min(d.quantity, amount))
                    self.arc_pass.append(k)
                    self.arc_demand.append(i)
                    self.arc_option.append(rank)
        self.n_handout = len(tails)
        for i, d in enumerate(demands):  # what a demand receives, both passes together
            tails.append(first_demand + i)
            heads.append(self.sink)
            caps.append(d.quantity)
        for i, (_k, _p, amount) in enumerate(sources):  # copies nobody takes
            tails.append(i)
            heads.append(self.sink)
            caps.append(amount)
        self.sources = sources
        self.tail = np.asarray(tails, dtype=np.int64)
        self.head = np.asarray(heads, dtype=np.int64)
        self.lo = np.zeros(len(tails), dtype=np.int64)
        self.hi = np.asarray(caps, dtype=np.int64)
        self.supply = np.zeros(self.sink + 1, dtype=np.int64)
        for i, (_k, _p, amount) in enumerate(sources):
            self.supply[i] = amount
        self.supply[self.sink] = -sum(a for _, _, a in sources)

    def _options(self, d: Demand) -> tuple[str, ...]:
        options = d.options if self.policy.substitutes else d.options[:1]
        return tuple(dict.fromkeys(options))

    # -- levels ---------------------------------------------------------------------------------

    def _short(self, weight: Sequence[int], late_too: bool) -> tuple[IntArray, int]:
        """sum(weight[i] * copies short to demand i) as an arc cost vector and a constant: minus
        the weight per copy handed out, plus sum(weight * quantity)."""
        cost = np.zeros(len(self.tail), dtype=np.int64)
        w = np.asarray(weight, dtype=np.int64)
        if late_too:
            cost[self.n_handout : self.n_handout + len(self.demands)] = -w
        else:
            arcs = np.flatnonzero(np.asarray(self.arc_pass, dtype=np.int64) == 0)
            cost[arcs] = -w[np.asarray(self.arc_demand, dtype=np.int64)[arcs]]
        return cost, int(w @ np.asarray([d.quantity for d in self.demands], dtype=np.int64))

    def _handout(self, weight: Sequence[int], late_too: bool) -> tuple[IntArray, int]:
        """sum(weight[arc] * copies on the arc) over the hand-out arcs."""
        cost = np.zeros(len(self.tail), dtype=np.int64)
        w = np.asarray(weight, dtype=np.int64)
        if not late_too:
            w = np.where(np.asarray(self.arc_pass, dtype=np.int64) == 0, w, 0)
        cost[: self.n_handout] = w
        return cost, 0

    def levels(self, late_too: bool) -> list[tuple[IntArray, int]]:
        """The policy's levels as (arc costs, constant), most important first; ``late_too``
        counts the copies of both passes, otherwise the morning pass only."""
        policy, ds = self.policy, self.demands
        rotated = [int(not d.replacement and d.tier not in policy.forgo) for d in ds]
        ranked = [r * d.rank for r, d in zip(rotated, ds, strict=True)]
        again = [r * d.shorted_last_day for r, d in zip(rotated, ds, strict=True)]
        substitute = [
            rotated[i] * (k > 0) for i, k in zip(self.arc_demand, self.arc_option, strict=True)
        ]
        out = [
            self._short(rotated, late_too),
            self._short(again, late_too),
            self._short(ranked, late_too),
            self._handout(substitute, late_too),
        ]
        for cls in reversed(going_without(policy)):
            out.append(self._short([int(_class_of(d, policy) == cls) for d in ds], late_too))
        out.append(self._handout(self.arc_option, late_too))
        others = [(1 - r) * d.rank for r, d in zip(rotated, ds, strict=True)]
        out.append(self._short(others, late_too))
        return out

    # -- solving --------------------------------------------------------------------------------

    def solve(self) -> Allocation:
        values = []
        flow: IntArray | None = None
        passes = (False, True) if any(k == 1 for k, _, _ in self.sources) else (False,)
        for late_too in passes:
            for cost, constant in self.levels(late_too):
                if np.any(cost[self.lo < self.hi]):
                    flow = self._min_cost_flow(cost)
                    self._fix_optimal_face(cost, flow)
                # Arcs still free cost nothing at this level: any flow of the face has its value.
                values.append(constant + int(cost @ (self.lo if flow is None else flow)))
        if flow is None:
            flow = self._min_cost_flow(np.zeros(len(self.tail), dtype=np.int64))
        given: dict[str, dict[str, int]] = {}
        late: dict[str, dict[str, int]] = {}
        for a in range(self.n_handout):
            n = int(flow[a])
            if n:
                k, p, _ = self.sources[int(self.tail[a])]
                target = late if k else given
                target.setdefault(self.demands[self.arc_demand[a]].key, {})[p] = n
        return Allocation(given, solved=True, levels=tuple(values), late=late)

    def _min_cost_flow(self, cost: IntArray) -> IntArray:
        """An optimal flow within the current bounds (lower bounds moved into the supplies)."""
        from ortools.graph.python import min_cost_flow

        smcf = min_cost_flow.SimpleMinCostFlow()
        arcs = smcf.add_arcs_with_capacity_and_unit_cost(
            self.tail, self.head, self.hi - self.lo, cost
        )
        supply = self.supply.copy()
        np.subtract.at(supply, self.tail, self.lo)
        np.add.at(supply, self.head, self.lo)
        smcf.set_nodes_supplies(np.arange(len(supply)), supply)
        status = smcf.solve()
        if status != smcf.OPTIMAL:  # the unused arcs make every instance feasible
            raise RuntimeError(f"allocation flow not solved: {status}")
        return self.lo + np.asarray(smcf.flows(arcs), dtype=np.int64)

    def _fix_optimal_face(self, cost: IntArray, flow: IntArray) -> None:
        """Fix the arcs every optimal flow of this level agrees on (see the module docstring).

        Raises
        ------
        RuntimeError
            If the residual network has a negative cycle: the flow would not be optimal.
        """
        fwd = flow < self.hi
        bwd = flow > self.lo
        src = np.concatenate([self.tail[fwd], self.head[bwd]])
        dst = np.concatenate([self.head[fwd], self.tail[bwd]])
        w = np.concatenate([cost[fwd], -cost[bwd]])
        pi = np.zeros(self.sink + 1, dtype=np.int64)  # a virtual root reaches every node at 0
        for _ in range(self.sink + 2):
            nxt = pi.copy()
            np.minimum.at(nxt, dst, pi[src] + w)
            if np.array_equal(nxt, pi):
                break
            pi = nxt
        else:
            raise RuntimeError("allocation level not optimal: negative cycle in the residual")
        reduced = cost + pi[self.tail] - pi[self.head]
        self.hi = np.where(reduced > 0, self.lo, self.hi)
        self.lo = np.where(reduced < 0, self.hi, self.lo)


def _class_of(d: Demand, policy: Policy) -> tuple[str, str]:
    if d.replacement:
        return ("replacement", d.tier if d.tier in policy.forgo else "*")
    return ("tier", d.tier)
