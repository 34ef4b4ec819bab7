"""The allocation is the exact lexicographic optimum of the policy: checked against every
possible allocation of small instances, with and without a late bundle."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from route.day.allocation import Demand, allocate, going_without
from route.model.policy import SPARE, Policy

PRODUCTS = ("paper", "tabloid")


def level_vector(
    demands: Sequence[Demand],
    got: Mapping[str, Mapping[str, int]],
    policy: Policy,
) -> tuple[int, ...]:
    """The policy's levels (route/day/allocation.py's docstring) evaluated on an allocation."""
    classes = list(reversed(going_without(policy)))

    def short(d: Demand) -> int:
        return d.quantity - sum(got.get(d.key, {}).values())

    def options(d: Demand) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d.options if policy.substitutes else d.options[:1]))

    rotated = [d for d in demands if not d.replacement and d.tier not in policy.forgo]
    others = [d for d in demands if d not in rotated]

    def cls(d: Demand) -> tuple[str, str]:
        if d.replacement:
            return ("replacement", d.tier if d.tier in policy.forgo else "*")
        return ("tier", d.tier)

    v = [
        sum(short(d) for d in rotated),
        sum(short(d) for d in rotated if d.shorted_last_day),
        sum(d.rank * short(d) for d in rotated),
        sum(n for d in rotated for p, n in got.get(d.key, {}).items() if p != d.options[0]),
    ]
    v += [sum(short(d) for d in demands if cls(d) == c) for c in classes]
    v.append(sum(options(d).index(p) * n for d in demands for p, n in got.get(d.key, {}).items()))
    v.append(sum(d.rank * short(d) for d in others))
    return tuple(v)


def every_allocation(
    demands: Sequence[Demand], supply: Mapping[str, int], late: Mapping[str, int], policy: Policy
):
    """Every (morning, late) allocation within the supplies, quantities and options."""
    per_demand = []
    for d in demands:
        opts = tuple(dict.fromkeys(d.options if policy.substitutes else d.options[:1]))
        slots = [(k, p) for k in (0, 1) for p in opts]
        choices = []
        for counts in itertools.product(range(d.quantity + 1), repeat=len(slots)):
            if sum(counts) <= d.quantity:
                choices.append({s: n for s, n in zip(slots, counts, strict=True) if n})
        per_demand.append(choices)
    for combo in itertools.product(*per_demand):
        used: dict[tuple[int, str], int] = {}
        for c in combo:
            for s, n in c.items():
                used[s] = used.get(s, 0) + n
        if all(n <= (supply if k == 0 else late).get(p, 0) for (k, p), n in used.items()):
            yield combo


def split(demands: Sequence[Demand], combo) -> tuple[dict, dict]:
    morning: dict[str, dict[str, int]] = {}
    total: dict[str, dict[str, int]] = {}
    for d, c in zip(demands, combo, strict=True):
        for (k, p), n in c.items():
            if k == 0:
                morning.setdefault(d.key, {})[p] = n
            total.setdefault(d.key, {})
            total[d.key][p] = total[d.key].get(p, 0) + n
    return morning, total


@st.composite
def instances(draw):
    n = draw(st.integers(1, 4))
    demands = []
    for i in range(n):
        own = draw(st.sampled_from(PRODUCTS))
        other = [p for p in PRODUCTS if p != own]
        demands.append(
            Demand(
                key=f"d{i}",
                tier=draw(st.sampled_from(("household", "sample", "complimentary", "paying"))),
                quantity=draw(st.integers(1, 2 if n <= 3 else 1)),
                options=(own, *other) if draw(st.booleans()) else (own,),
                rank=draw(st.integers(1, n)),
                shorted_last_day=draw(st.booleans()),
                replacement=draw(st.integers(0, 3)) == 0,
            )
        )
    supply = {p: draw(st.integers(0, 3)) for p in PRODUCTS}
    late = {p: draw(st.integers(0, 2)) for p in PRODUCTS} if draw(st.booleans()) else {}
    forgo = tuple(draw(st.permutations(["household", "sample", "complimentary"])))
    forgo = forgo[: draw(st.integers(0, 3))]
    taken = forgo[: draw(st.integers(0, len(forgo)))]
    policy = Policy(forgo=forgo, substitutes=draw(st.booleans()), replacement_from=(SPARE, *taken))
    return demands, supply, late, policy


@settings(max_examples=120, deadline=None)
@given(instances())
def test_the_allocation_is_the_lexicographic_optimum(instance):
    demands, supply, late, policy = instance
    a = allocate(demands, supply, policy, late)
    total = {
        d.key: {
            p: a.given.get(d.key, {}).get(p, 0) + a.late.get(d.key, {}).get(p, 0)
            for p in {*a.given.get(d.key, {}), *a.late.get(d.key, {})}
        }
        for d in demands
    }
    ours = level_vector(demands, a.given, policy) + level_vector(demands, total, policy)
    best = min(
        level_vector(demands, m, policy) + level_vector(demands, t, policy)
        for m, t in (split(demands, c) for c in every_allocation(demands, supply, late, policy))
    )
    assert ours == best
    if a.solved:
        assert a.levels == ours[: len(a.levels)]
    # Within the supplies and the options.
    for k, got in ((0, a.given), (1, a.late)):
        bundle = supply if k == 0 else late
        for p in PRODUCTS:
            assert sum(g.get(p, 0) for g in got.values()) <= bundle.get(p, 0)
    for d in demands:
        assert set(total[d.key]) <= set(d.options if policy.substitutes else d.options[:1])
        assert sum(total[d.key].values()) <= d.quantity


def test_going_without_orders_the_replacements_by_the_policy():
    default = Policy(replacement_from=(SPARE, "household", "sample", "complimentary"))
    assert going_without(default) == [
        ("replacement", "household"),
        ("tier", "household"),
        ("replacement", "sample"),
        ("tier", "sample"),
        ("replacement", "complimentary"),
        ("tier", "complimentary"),
        ("replacement", "*"),
    ]
    household_only = Policy(replacement_from=(SPARE, "household"))
    assert going_without(household_only)[:3] == [
        ("replacement", "household"),
        ("tier", "household"),
        ("replacement", "*"),
    ]
    assert going_without(Policy(replacement_from=(SPARE,)))[0] == ("replacement", "*")


def test_the_same_inputs_give_the_same_allocation_in_any_order_of_the_supply():
    demands = [
        Demand(f"p{i}", "paying", 1, ("paper", "tabloid"), rank=1 + i % 3) for i in range(40)
    ] + [Demand(f"c{i}", "complimentary", 1, ("paper",), rank=i + 1) for i in range(5)]
    a = allocate(demands, {"paper": 20, "tabloid": 10}, Policy(), {"paper": 5})
    b = allocate(demands, {"tabloid": 10, "paper": 20}, Policy(), {"paper": 5})
    assert a == b
    assert sum(a.received(d.key) for d in demands) == 30
    assert sum(a.received_late(d.key) for d in demands) == 5
