"""The shortage policy file and the CP-SAT allocation, on hand-solvable instances."""

from __future__ import annotations

import pytest

from route.day.allocation import Demand, allocate
from route.errors import InputError
from route.io.dayfiles import load_policy
from route.model.policy import DEFAULT_POLICY_TOML, Policy, parse_policy


def test_default_file_is_the_default_policy():
    assert parse_policy(DEFAULT_POLICY_TOML) == Policy()


def test_missing_file_gives_the_default(tmp_path):
    assert load_policy(tmp_path / "policy.toml") == Policy()


def test_custom_policy_is_read():
    text = """
[shortage]
forgo = ["sample", "household"]
substitutes = false
credit_tiers = ["paying", "complimentary"]
[redelivery]
replacement_from = ["spare"]
"""
    p = parse_policy(text)
    assert p.forgo == ("sample", "household")
    assert not p.substitutes
    assert p.rotated == ("complimentary", "paying")
    assert p.replacement_from == ("spare",)


def test_bad_policy_lists_every_problem():
    text = """
[shortage]
forgo = ["household", "paying", "ghosts"]
substitutes = "yes"
colour = 3
[extras]
x = 1
[redelivery]
replacement_from = ["spare", "complimentary"]
"""
    with pytest.raises(InputError) as e:
        parse_policy(text, "policy.toml")
    columns = {p.column for p in e.value.issues}
    assert {"shortage.forgo", "shortage.substitutes", "shortage.colour", "extras"} <= columns


def test_replacements_follow_the_forgo_order():
    text = '[redelivery]\nreplacement_from = ["spare", "complimentary"]\n'
    with pytest.raises(InputError) as e:
        parse_policy(text)
    assert [p.column for p in e.value.issues] == ["redelivery.replacement_from"]


def test_toml_syntax_error_is_an_input_error():
    with pytest.raises(InputError):
        parse_policy("[shortage\nforgo = 1")


def d(key, tier="paying", q=1, options=("paper",), rank=1, last=False, repl=False):
    return Demand(key, tier, q, tuple(options), rank, last, repl)


def test_household_goes_without_before_anyone_else():
    demands = [d("pay1"), d("comp", "complimentary"), d("home", "household"), d("pay2")]
    a = allocate(demands, {"paper": 3}, Policy())
    assert a.received("home") == 0
    assert all(a.received(k) == 1 for k in ("pay1", "pay2", "comp"))


def test_forgo_order_is_followed_then_substitutes_then_rotation():
    demands = [
        d("home", "household"),
        d("sample", "sample"),
        d("comp", "complimentary"),
        d("sub", options=("paper", "tabloid")),
        d("a", rank=2),
        d("b", rank=1),
    ]
    # Six want paper; one paper and one tabloid arrive.
    a = allocate(demands, {"paper": 1, "tabloid": 1}, Policy())
    assert [a.received(k) for k in ("home", "sample", "comp")] == [0, 0, 0]
    assert a.given["sub"] == {"tabloid": 1}
    # One of a, b must go without: b has rank 1 (least recently shorted), so b does.
    assert a.received("a") == 1
    assert a.received("b") == 0


def test_substitutes_off_means_nobody_gets_one():
    demands = [d("sub", options=("paper", "tabloid")), d("a")]
    a = allocate(demands, {"paper": 1, "tabloid": 5}, Policy(substitutes=False))
    assert all("tabloid" not in g for g in a.given.values())


def test_nobody_shorted_two_days_running_while_others_were_not():
    # "yesterday" ranks best for the rotation but was shorted on the previous day.
    demands = [d("yesterday", rank=1, last=True), d("other", rank=2)]
    a = allocate(demands, {"paper": 1}, Policy())
    assert a.received("yesterday") == 1
    assert a.received("other") == 0


def test_several_products_and_substitutes_are_solved_together():
    # A greedy product-by-product pass would give the tabloid to t1 first and then short x.
    demands = [
        d("x", options=("paper", "tabloid")),
        d("y", options=("paper",)),
        d("t1", options=("tabloid", "paper")),
    ]
    a = allocate(demands, {"paper": 2, "tabloid": 1}, Policy())
    assert sum(a.received(k) for k in ("x", "y", "t1")) == 3
    assert a.received("y") == 1


def test_replacement_takes_the_household_copy_not_a_paying_one():
    demands = [d("home", "household"), d("pay"), d("pay#r0", repl=True)]
    a = allocate(demands, {"paper": 2}, Policy())
    assert a.received("pay#r0") == 1
    assert a.received("home") == 0
    assert a.received("pay") == 1
    # With spare copies only, the household keeps its copy and the complaint goes unmet.
    a = allocate(demands, {"paper": 2}, Policy(replacement_from=("spare",)))
    assert a.received("pay#r0") == 0
    assert a.received("home") == 1


def test_quantities_are_split_and_never_exceed_supply():
    demands = [d("shop", q=3), d("home", "household", q=2)]
    a = allocate(demands, {"paper": 2}, Policy())
    assert a.received("shop") == 2
    assert a.received("home") == 0


def test_enough_supply_everyone_gets_their_own():
    demands = [d("a"), d("b", options=("paper", "tabloid"))]
    a = allocate(demands, {"paper": 2, "tabloid": 9}, Policy())
    assert a.given == {"a": {"paper": 1}, "b": {"paper": 1}}
