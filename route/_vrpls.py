"""Penalised local search with ruin and recreate, compiled: the windowed multi-carrier phase.

OR-Tools' guided local search only moves between feasible solutions, and hard time windows wall
it in. This phase searches through infeasible solutions instead (Vidal et al., "A hybrid genetic
algorithm with adaptive diversity management for a large class of vehicle routing problems
with time windows", 2013): lateness is *time warp* (arriving late costs a penalty per second,
as if the carrier travelled back in time), an overfull bag costs a penalty per item, and both
penalties adapt so that the search spends about half its time on each side of feasibility.

Each route keeps forward and backward concatenation data (distance, duration, time warp,
earliest and latest start, load) for its prefixes and suffixes, so a move that joins prefixes,
suffixes and a chain of up to three stops is costed in O(1) whatever the route's length. The
moves are tried among each stop's nearest neighbours (granular neighbourhoods): relocating a
chain of one to three stops (also reversed), swapping chains of one or two, 2-opt* between
routes, and 2-opt inside a route (a reversal, costed by walking it: matrices may be
asymmetric). Local optima are left by ruin and recreate (strings of nearby stops removed as in
SISR, Christiaens and Vanden Berghe 2020, then reinserted greedily with blinks) under a
threshold acceptance that tightens towards the end.

Everything is integer arithmetic and one seeded xorshift generator, and the search stops after
a counted amount of *work* (move and insertion evaluations), so the same input gives the same
routes on any machine; the clock is only a safety cap, reported when it cuts the search short.
The functions are compiled with explicit signatures when this module is imported (from numba's
on-disk cache after the first time), so compilation never eats into a solve's time limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba as nb
import numpy as np

if TYPE_CHECKING:
    from .solve import Problem

Routes = tuple[tuple[int, ...], ...]

#: Neighbours per stop that the moves consider (PyVRP's default granularity).
GRANULAR = 40
#: A very late latest time: two days after the start, as in the OR-Tools model.
_HORIZON_S = 2 * 24 * 3600

_I = nb.int64
_A1 = nb.int64[::1]
_A2 = nb.int64[:, ::1]


@dataclass(frozen=True, slots=True)
class Result:
    """The phase's best feasible routes (``None`` if it found none) and its effort."""

    routes: Routes | None
    left_out: tuple[int, ...]
    work: int
    iterations: int
    capped: bool


# -- segments --------------------------------------------------------------------------------
# A segment is (distance, duration, time warp, earliest start, latest start, load); joining two
# is Vidal's concatenation, exact for waiting allowed and lateness counted as time warp.


@nb.njit(cache=True, inline="always")
def _join(a0, a1, a2, a3, a4, a5, last, b0, b1, b2, b3, b4, b5, first, D, T):
    t = T[last, first]
    delta = a1 - a2 + t
    wait = max(b3 - delta - a4, 0)
    warp = max(a3 + delta - b4, 0)
    return (
        a0 + b0 + D[last, first],
        a1 + b1 + t + wait,
        a2 + b2 + warp,
        max(b3 - delta, a3) - wait,
        min(b4 - delta, a4) + warp,
        a5 + b5,
    )


@nb.njit(cache=True, inline="always")
def _cost(P, n, R, rlen, F, B, D, T, S, E, L, Q, cap, wtw, wload):
    """Penalised cost, duration and feasibility of the route made of pieces P[0..n).

    A piece is (route, first position, last position, reversed); route -1 is the lone node
    given as first position. Prefixes and suffixes come from the route's stored data, anything
    else is joined node by node. Inlined where it is used: a numba call passing arrays costs
    atomic reference counting per array, more than the evaluation itself.
    """
    count = 0
    for q in range(n):
        count += P[q, 2] - P[q, 1] + 1
    if count <= 2:  # only the start and the end: an unused carrier costs nothing
        return np.int64(0), np.int64(0), True
    s0 = s1 = s2 = s3 = s4 = s5 = np.int64(0)
    last = np.int64(-1)
    for q in range(n):
        r, a, b, rev = P[q, 0], P[q, 1], P[q, 2], P[q, 3]
        if b < a:
            continue
        if r < 0:
            first = tail = a
            t0, t1, t2, t3, t4, t5 = np.int64(0), S[a], np.int64(0), E[a], L[a], Q[a]
        elif not rev and a == 0:
            first, tail = R[r, 0], R[r, b]
            t0, t1, t2, t3, t4, t5 = (
                F[r, b, 0],
                F[r, b, 1],
                F[r, b, 2],
                F[r, b, 3],
                F[r, b, 4],
                F[r, b, 5],
            )
        elif not rev and b == rlen[r] - 1:
            first, tail = R[r, a], R[r, b]
            t0, t1, t2, t3, t4, t5 = (
                B[r, a, 0],
                B[r, a, 1],
                B[r, a, 2],
                B[r, a, 3],
                B[r, a, 4],
                B[r, a, 5],
            )
        else:
            step = -1 if rev else 1
            p = b if rev else a
            stop = a - 1 if rev else b + 1
            first = i = R[r, p]
            t0, t1, t2, t3, t4, t5 = np.int64(0), S[i], np.int64(0), E[i], L[i], Q[i]
            for x in range(p + step, stop, step):
                j = R[r, x]
                t0, t1, t2, t3, t4, t5 = _join(t0, t1, t2, t3, t4, t5, i, 0, S[j], 0, E[j],
                                               L[j], Q[j], j, D, T)  # fmt: skip
                i = j
            tail = i
        if last < 0:
            s0, s1, s2, s3, s4, s5 = t0, t1, t2, t3, t4, t5
        else:
            s0, s1, s2, s3, s4, s5 = _join(s0, s1, s2, s3, s4, s5, last, t0, t1, t2, t3, t4, t5,
                                           first, D, T)  # fmt: skip
        last = tail
    over = max(s5 - cap, 0)
    return s0 + wtw * s2 + wload * over, s1, s2 == 0 and over == 0


@nb.njit(cache=True)
def _rebuild(r, R, rlen, F, B, rof, pos, D, T, S, E, L, Q):
    """Recompute route r's prefix and suffix data and its nodes' positions."""
    m = rlen[r]
    i = R[r, 0]
    F[r, 0, 0], F[r, 0, 1], F[r, 0, 2], F[r, 0, 3], F[r, 0, 4], F[r, 0, 5] = (
        0, S[i], 0, E[i], L[i], Q[i])  # fmt: skip
    for p in range(1, m):
        j = R[r, p]
        s = _join(F[r, p - 1, 0], F[r, p - 1, 1], F[r, p - 1, 2], F[r, p - 1, 3], F[r, p - 1, 4],
                  F[r, p - 1, 5], i, 0, S[j], 0, E[j], L[j], Q[j], j, D, T)  # fmt: skip
        F[r, p, 0], F[r, p, 1], F[r, p, 2], F[r, p, 3], F[r, p, 4], F[r, p, 5] = s
        i = j
    j = R[r, m - 1]
    B[r, m - 1, 0], B[r, m - 1, 1], B[r, m - 1, 2] = 0, S[j], 0
    B[r, m - 1, 3], B[r, m - 1, 4], B[r, m - 1, 5] = E[j], L[j], Q[j]
    for p in range(m - 2, -1, -1):
        i = R[r, p]
        s = _join(0, S[i], 0, E[i], L[i], Q[i], i, B[r, p + 1, 0], B[r, p + 1, 1], B[r, p + 1, 2],
                  B[r, p + 1, 3], B[r, p + 1, 4], B[r, p + 1, 5], j, D, T)  # fmt: skip
        B[r, p, 0], B[r, p, 1], B[r, p, 2], B[r, p, 3], B[r, p, 4], B[r, p, 5] = s
        j = i
    for p in range(1, m - 1):
        rof[R[r, p]] = r
        pos[R[r, p]] = p


@nb.njit(cache=True)
def _write(P, n, r, buf, R, rlen):
    """Lay the pieces P[0..n) out as the new sequence of route r (through buf)."""
    m = 0
    for q in range(n):
        rr, a, b, rev = P[q, 0], P[q, 1], P[q, 2], P[q, 3]
        if rr < 0:
            buf[m] = a
            m += 1
        elif rev:
            for p in range(b, a - 1, -1):
                buf[m] = R[rr, p]
                m += 1
        else:
            for p in range(a, b + 1):
                buf[m] = R[rr, p]
                m += 1
    return m


# -- the state -------------------------------------------------------------------------------


@nb.njit(cache=True)
def _rand(st):
    x = st[0]
    x ^= (x << np.uint64(13)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    x ^= x >> np.uint64(7)
    x ^= (x << np.uint64(17)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    st[0] = x
    return x


@nb.njit(cache=True)
def _below(st, k):
    """A pseudo-random integer in [0, k)."""
    return np.int64(_rand(st) >> np.uint64(11)) % k


@nb.njit(cache=True)
def _shuffle(a, st):
    for i in range(len(a) - 1, 0, -1):
        j = _below(st, i + 1)
        a[i], a[j] = a[j], a[i]


@nb.njit(cache=True)
def _route_costs(R, rlen, F, cap, wtw, wload, rc, rd):
    for r in range(R.shape[0]):
        m = rlen[r]
        if m <= 2:
            rc[r], rd[r] = 0, 0
        else:
            over = max(F[r, m - 1, 5] - cap, 0)
            rc[r] = F[r, m - 1, 0] + wtw * F[r, m - 1, 2] + wload * over
            rd[r] = F[r, m - 1, 1]


@nb.njit(cache=True, inline="always")
def _span(rd, r1, d1, r2, d2):
    """The longest route duration if routes r1 and r2 took durations d1 and d2."""
    top = max(d1, d2)
    for r in range(rd.shape[0]):
        if r != r1 and r != r2:
            top = max(top, rd[r])
    return top


@nb.njit(cache=True, inline="always")
def _try(P1, n1, r1, P2, n2, r2, R, rlen, F, B, D, T, S, E, L, Q, cap, wtw, wload, bal, rc, rd):
    """Penalised gain of replacing route r1 by pieces P1 (and r2 by P2 if r2 >= 0)."""
    c1, d1, _ = _cost(P1, n1, R, rlen, F, B, D, T, S, E, L, Q, cap, wtw, wload)
    old = rc[r1]
    c2, d2 = 0, rd[r1]
    if r2 >= 0:
        c2, d2, _ = _cost(P2, n2, R, rlen, F, B, D, T, S, E, L, Q, cap, wtw, wload)
        old += rc[r2]
    else:
        r2, d2 = r1, d1
    gain = old - c1 - c2
    if bal > 0:
        gain += bal * (_span(rd, -1, 0, -1, 0) - _span(rd, r1, d1, r2, d2))
    return gain


@nb.njit(cache=True)
def _apply(P1, n1, r1, P2, n2, r2, R, rlen, F, B, rof, pos, buf1, buf2, D, T, S, E, L, Q):
    m1 = _write(P1, n1, r1, buf1, R, rlen)
    m2 = _write(P2, n2, r2, buf2, R, rlen) if r2 >= 0 else 0
    R[r1, :m1] = buf1[:m1]
    rlen[r1] = m1
    if r2 >= 0:
        R[r2, :m2] = buf2[:m2]
        rlen[r2] = m2
    _rebuild(r1, R, rlen, F, B, rof, pos, D, T, S, E, L, Q)
    if r2 >= 0:
        _rebuild(r2, R, rlen, F, B, rof, pos, D, T, S, E, L, Q)


@nb.njit(cache=True, inline="always")
def _set(P, q, r, a, b, rev):
    P[q, 0], P[q, 1], P[q, 2], P[q, 3] = r, a, b, rev


@nb.njit(cache=True)
def _wake(R, rlen, r, p, active, n_real):
    """Mark the stops at positions p-1..p+1 of route r for another look."""
    for x in range(max(p - 1, 1), min(p + 2, rlen[r] - 1)):
        if R[r, x] < n_real:
            active[R[r, x]] = 1


# -- local search ----------------------------------------------------------------------------


#: Moves tried per pair of stops: 12 relocations (1-3 stops, after or before the neighbour,
#: forwards or reversed), 4 swaps, 2 kinds of 2-opt*, 1 intra-route 2-opt.
_N_MOVES = 19
#: Farthest apart (in positions) two stops of one route may be for a move between them: such
#: moves are costed by walking the stops between.
_INTRA_REACH = 24


@nb.njit(cache=True, inline="always")
def _fill(mv, P1, P2, ru, pu, eu, rv, pv, ev):
    """Pieces of move mv of stop u (route ru, position pu) towards v: the piece counts and the
    second route (-1: none); no pieces if the move does not apply."""
    same = ru == rv
    if mv < 12:  # relocate u's chain after (side 0) or before (side 1) v
        ln, side, rev = mv // 4 + 1, (mv // 2) % 2, mv % 2
        ce = pu + ln - 1
        if (rev and ln == 1) or ce > eu - 1:
            return 0, 0, -1
        ip = pv - side
        if not same:
            _set(P1, 0, ru, 0, pu - 1, 0)
            _set(P1, 1, ru, ce + 1, eu, 0)
            _set(P2, 0, rv, 0, ip, 0)
            _set(P2, 1, ru, pu, ce, rev)
            _set(P2, 2, rv, ip + 1, ev, 0)
            return 2, 3, rv
        if abs(pv - pu) > _INTRA_REACH:
            return 0, 0, -1
        if ip < pu - 1:
            _set(P1, 0, ru, 0, ip, 0)
            _set(P1, 1, ru, pu, ce, rev)
            _set(P1, 2, ru, ip + 1, pu - 1, 0)
            _set(P1, 3, ru, ce + 1, eu, 0)
            return 4, 0, -1
        if ip > ce:
            _set(P1, 0, ru, 0, pu - 1, 0)
            _set(P1, 1, ru, ce + 1, ip, 0)
            _set(P1, 2, ru, pu, ce, rev)
            _set(P1, 3, ru, ip + 1, eu, 0)
            return 4, 0, -1
        return 0, 0, -1
    if mv < 16:  # swap chains of 1-2 stops between routes
        l1, l2 = (mv - 12) // 2 + 1, (mv - 12) % 2 + 1
        cu, cv = pu + l1 - 1, pv + l2 - 1
        if same or cu > eu - 1 or cv > ev - 1:
            return 0, 0, -1
        _set(P1, 0, ru, 0, pu - 1, 0)
        _set(P1, 1, rv, pv, cv, 0)
        _set(P1, 2, ru, cu + 1, eu, 0)
        _set(P2, 0, rv, 0, pv - 1, 0)
        _set(P2, 1, ru, pu, cu, 0)
        _set(P2, 2, rv, cv + 1, ev, 0)
        return 3, 3, rv
    if mv < 18:  # 2-opt*: u's route goes on with v's tail (after v, or from v on)
        if same:
            return 0, 0, -1
        cut = pv - (mv - 16)
        _set(P1, 0, ru, 0, pu, 0)
        _set(P1, 1, rv, cut + 1, ev, 0)
        _set(P2, 0, rv, 0, cut, 0)
        _set(P2, 1, ru, pu + 1, eu, 0)
        return 2, 2, rv
    # 2-opt inside the route: reverse what lies between so that u and v become neighbours.
    if not same or abs(pv - pu) > _INTRA_REACH:
        return 0, 0, -1
    if pu < pv:
        _set(P1, 0, ru, 0, pu, 0)
        _set(P1, 1, ru, pu + 1, pv, 1)
        _set(P1, 2, ru, pv + 1, eu, 0)
    else:
        _set(P1, 0, ru, 0, pv - 1, 0)
        _set(P1, 1, ru, pv, pu - 1, 1)
        _set(P1, 2, ru, pu, eu, 0)
    return 3, 0, -1


@nb.njit(cache=True, inline="always")
def _moves(u, v, R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload, bal, rc, rd,
           P1, P2, buf1, buf2, work):  # fmt: skip
    """Try the moves of stop u towards its neighbour v; apply the first that gains."""
    ru, pu, rv, pv = rof[u], pos[u], rof[v], pos[v]
    eu, ev = rlen[ru] - 1, rlen[rv] - 1
    for mv in range(_N_MOVES):
        n1, n2, r2 = _fill(mv, P1, P2, ru, pu, eu, rv, pv, ev)
        if n1 == 0:
            continue
        work[0] += 1 if r2 >= 0 else 1 + abs(pv - pu) // 8
        g = _try(P1, n1, ru, P2, n2, r2, R, rlen, F, B, D, T, S, E, L, Q, cap, wtw, wload, bal,
                 rc, rd)  # fmt: skip
        if g > 0:
            _apply(P1, n1, ru, P2, n2, r2, R, rlen, F, B, rof, pos, buf1, buf2, D, T, S, E, L, Q)
            return True
    return False


@nb.njit(cache=True, inline="always")
def _to_empty(u, R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload, bal, rc, rd,
              P1, P2, buf1, buf2, work):  # fmt: skip
    """Open an unused carrier: move stop u into it, or hand it the route's tail after u."""
    ru, pu = rof[u], pos[u]
    eu = rlen[ru] - 1
    re = -1
    for r in range(R.shape[0]):
        if rlen[r] == 2 and r != ru:
            re = r
            break
    if re < 0:
        return False
    for mv in range(2):
        _set(P2, 0, re, 0, 0, 0)
        if mv == 0:
            _set(P1, 0, ru, 0, pu - 1, 0)
            _set(P1, 1, ru, pu + 1, eu, 0)
            _set(P2, 1, -1, u, u, 0)
            _set(P2, 2, re, 1, 1, 0)
        else:
            _set(P1, 0, ru, 0, pu, 0)
            _set(P1, 1, re, 1, 1, 0)
            _set(P2, 1, ru, pu + 1, eu, 0)
        n2 = 3 - mv
        work[0] += 1
        g = _try(P1, 2, ru, P2, n2, re, R, rlen, F, B, D, T, S, E, L, Q, cap, wtw, wload, bal,
                 rc, rd)  # fmt: skip
        if g > 0:
            _apply(P1, 2, ru, P2, n2, re, R, rlen, F, B, rof, pos, buf1, buf2, D, T, S, E, L, Q)
            return True
    return False


@nb.njit(cache=True)
def _local_search(R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload, bal, rc, rd,
                  NB, order, active, st, P1, P2, buf1, buf2, work, limit):  # fmt: skip
    """First-improvement descent over the active stops until none gains (or work runs out)."""
    n_real = active.shape[0]
    _route_costs(R, rlen, F, cap, wtw, wload, rc, rd)
    again = True
    while again and work[0] < limit:
        again = False
        _shuffle(order, st)
        for u in order:
            if not active[u]:
                continue
            active[u] = 0
            for i in range(NB.shape[1]):
                v = NB[u, i]
                if v < 0:
                    break
                ru, pu, rv, pv = rof[u], pos[u], rof[v], pos[v]
                if _moves(u, v, R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload,
                          bal, rc, rd, P1, P2, buf1, buf2, work):  # fmt: skip
                    again = True
                    _route_costs(R, rlen, F, cap, wtw, wload, rc, rd)
                    active[u] = active[v] = 1
                    _wake(R, rlen, ru, min(pu, rlen[ru] - 2), active, n_real)
                    _wake(R, rlen, rv, min(pv, rlen[rv] - 2), active, n_real)
                    _wake(R, rlen, rof[u], pos[u], active, n_real)
                    _wake(R, rlen, rof[v], pos[v], active, n_real)
            ru, pu = rof[u], pos[u]
            if _to_empty(u, R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload, bal,
                         rc, rd, P1, P2, buf1, buf2, work):  # fmt: skip
                again = True
                _route_costs(R, rlen, F, cap, wtw, wload, rc, rd)
                _wake(R, rlen, ru, min(pu, rlen[ru] - 2), active, n_real)
            if work[0] >= limit:
                return


# -- ruin and recreate -----------------------------------------------------------------------


@nb.njit(cache=True)
def _ruin(R, rlen, F, B, rof, pos, D, T, S, E, L, Q, NB, clients, removed, st, active, n_real):
    """Remove strings of stops around a random stop and its neighbours; returns how many."""
    nc = clients.shape[0]
    want = min(10 + _below(st, 21), max(1, nc // 3))
    centre = clients[_below(st, nc)]
    got = 0
    for i in range(-1, NB.shape[1]):
        if got >= want:
            break
        v = centre if i < 0 else NB[centre, i]
        if v < 0:
            break
        if rof[v] < 0:
            continue
        r = rof[v]
        inner = rlen[r] - 2
        ln = 1 + _below(st, min(10, inner, want - got))
        first = min(max(pos[v] - _below(st, ln), 1), inner - ln + 1)
        for p in range(first, first + ln):
            removed[got] = R[r, p]
            rof[R[r, p]] = -1
            got += 1
        for p in range(first + ln, rlen[r]):
            R[r, p - ln] = R[r, p]
        rlen[r] -= ln
        _rebuild(r, R, rlen, F, B, rof, pos, D, T, S, E, L, Q)
        _wake(R, rlen, r, first, active, n_real)
        _wake(R, rlen, r, first - 1, active, n_real)
    return got


@nb.njit(cache=True)
def _recreate(todo, cnt, R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload, bal, rc,
              rd, st, blink, P1, P2, buf1, buf2, work, active, n_real):  # fmt: skip
    """Insert the stops todo[0..cnt) one by one where they cost least, skipping a few places."""
    _route_costs(R, rlen, F, cap, wtw, wload, rc, rd)
    for i in range(cnt):
        c = todo[i]
        best, br, bp = np.int64(-(1 << 62)), -1, -1
        for r in range(R.shape[0]):
            for p in range(rlen[r] - 1):
                if blink > 0 and _below(st, 1000) < blink:
                    continue
                _set(P1, 0, r, 0, p, 0)
                _set(P1, 1, -1, c, c, 0)
                _set(P1, 2, r, p + 1, rlen[r] - 1, 0)
                work[0] += 1
                g = _try(P1, 3, r, P2, 0, -1, R, rlen, F, B, D, T, S, E, L, Q, cap, wtw, wload,
                         bal, rc, rd)  # fmt: skip
                if g > best:
                    best, br, bp = g, r, p
        if br < 0:  # every place blinked: the first one
            br, bp = 0, 0
        _set(P1, 0, br, 0, bp, 0)
        _set(P1, 1, -1, c, c, 0)
        _set(P1, 2, br, bp + 1, rlen[br] - 1, 0)
        _apply(P1, 3, br, P2, 0, -1, R, rlen, F, B, rof, pos, buf1, buf2, D, T, S, E, L, Q)
        _route_costs(R, rlen, F, cap, wtw, wload, rc, rd)
        active[c] = 1
        _wake(R, rlen, br, pos[c], active, n_real)


@nb.njit(cache=True)
def _totals(R, rlen, F, cap, out):
    """Distance, time warp, excess load and longest duration of the routes, into out[0..4)."""
    out[:] = 0
    for r in range(R.shape[0]):
        m = rlen[r]
        if m <= 2:
            continue
        out[0] += F[r, m - 1, 0]
        out[1] += F[r, m - 1, 2]
        out[2] += max(F[r, m - 1, 5] - cap, 0)
        out[3] = max(out[3], F[r, m - 1, 1])


@nb.njit(cache=True)
def _now():
    with nb.objmode(t="float64"):
        t = time.perf_counter()
    return t


@nb.njit(cache=True)
def _search(D, T, S, E, L, Q, cap, bal, k, clients, NB, seed, limit, deadline, bestR, bestlen,
            stats):  # fmt: skip
    """The phase: construct, descend, then ruin, recreate and descend until the work is spent.

    D and T include the end node (the last index). The best feasible routes go to bestR and
    bestlen (bestlen[0] == 0 if none was found); stats gets work, iterations and whether the
    deadline stopped the search.
    """
    m = D.shape[0]
    end = m - 1
    nc = clients.shape[0]
    width = nc + 2
    R = np.zeros((k, width), np.int64)
    rlen = np.full(k, 2, np.int64)
    F = np.zeros((k, width, 6), np.int64)
    B = np.zeros((k, width, 6), np.int64)
    rof = np.full(m, -1, np.int64)
    pos = np.zeros(m, np.int64)
    rc = np.zeros(k, np.int64)
    rd = np.zeros(k, np.int64)
    P1 = np.zeros((6, 4), np.int64)
    P2 = np.zeros((6, 4), np.int64)
    buf1 = np.zeros(width, np.int64)
    buf2 = np.zeros(width, np.int64)
    active = np.zeros(end, np.int64)
    work = np.zeros(1, np.int64)
    st = np.array([np.uint64(seed) * np.uint64(2654435761) + np.uint64(88172645463325252)])
    for _ in range(8):
        _rand(st)
    for r in range(k):
        R[r, 0], R[r, 1] = 0, end
        _rebuild(r, R, rlen, F, B, rof, pos, D, T, S, E, L, Q)
    # Penalties start at the exchange rate between metres and seconds of driving.
    wtw = max(1, np.int64(D.sum() // max(T.sum(), 1)))
    wload = max(1, np.int64(D[0].sum() // max(m, 1)))
    order = clients.copy()
    todo = clients.copy()
    _shuffle(todo, st)
    _recreate(todo, nc, R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload, bal, rc, rd,
              st, 0, P1, P2, buf1, buf2, work, active, end)  # fmt: skip
    active[:] = 1
    _local_search(R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload, bal, rc, rd, NB,
                  order, active, st, P1, P2, buf1, buf2, work, limit)  # fmt: skip
    tot = np.zeros(4, np.int64)
    _totals(R, rlen, F, cap, tot)
    curR, curlen = R.copy(), rlen.copy()
    cur = tot.copy()
    best = np.int64(1 << 62)
    bestlen[:] = 0
    if tot[1] == 0 and tot[2] == 0:
        best = tot[0] + bal * tot[3]
        bestR[:, :] = R
        bestlen[:] = rlen
    start_thr = max(1, cur[0] // 100)
    feas_tw = feas_load = seen = 0
    it = 0
    capped = 0
    removed = np.zeros(nc, np.int64)
    key = np.zeros(nc, np.int64)
    while work[0] < limit:
        if _now() > deadline:
            capped = 1
            break
        it += 1
        cnt = _ruin(R, rlen, F, B, rof, pos, D, T, S, E, L, Q, NB, clients, removed, st, active,
                    end)  # fmt: skip
        how = _below(st, 3)
        if how == 0:
            _shuffle(removed[:cnt], st)
        else:
            for i in range(cnt):
                c = removed[i]
                key[i] = -D[0, c] - D[c, 0] if how == 1 else L[c] - E[c]
            idx = np.argsort(key[:cnt], kind="mergesort")
            removed[:cnt] = removed[:cnt][idx]
        _recreate(removed, cnt, R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload, bal,
                  rc, rd, st, 10, P1, P2, buf1, buf2, work, active, end)  # fmt: skip
        _local_search(R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload, bal, rc, rd,
                      NB, order, active, st, P1, P2, buf1, buf2, work, limit)  # fmt: skip
        _totals(R, rlen, F, cap, tot)
        if tot[1] == 0 and tot[2] == 0 and tot[0] + bal * tot[3] < best:
            best = tot[0] + bal * tot[3]
            bestR[:, :] = R
            bestlen[:] = rlen
        # Penalties chase a target: about half of the solutions the search visits feasible.
        seen += 1
        feas_tw += tot[1] == 0
        feas_load += tot[2] == 0
        if seen == 20:
            if feas_tw < 8:
                wtw = min(wtw * 5 // 4 + 1, 1 << 30)
            elif feas_tw > 12:
                wtw = max(wtw * 4 // 5, 1)
            if feas_load < 8:
                wload = min(wload * 5 // 4 + 1, 1 << 30)
            elif feas_load > 12:
                wload = max(wload * 4 // 5, 1)
            seen = feas_tw = feas_load = 0
        cand = tot[0] + wtw * tot[1] + wload * tot[2] + bal * tot[3]
        now = cur[0] + wtw * cur[1] + wload * cur[2] + bal * cur[3]
        thr = start_thr * max(limit - work[0], 0) // limit
        if cand < now + thr:
            curR[:, :] = R
            curlen[:] = rlen
            cur[:] = tot
        else:
            R[:, :] = curR
            rlen[:] = curlen
            for r in range(k):
                _rebuild(r, R, rlen, F, B, rof, pos, D, T, S, E, L, Q)
    stats[0], stats[1], stats[2] = work[0], it, capped


# -- the phase from Python -------------------------------------------------------------------


def applies(problem: Problem) -> bool:
    """Whether the phase takes this problem: several carriers or time windows."""
    return problem.carriers > 1 or any(
        w is not None for w in (*problem.earliest[1:], *problem.latest[1:])
    )


def _arrays(problem: Problem) -> tuple[np.ndarray, ...]:
    """Matrices and node data with a virtual end node appended (index ``size``).

    The end node copies the depot's column (closed routes), the fixed end's column, or costs
    nothing to reach (open routes); its latest time is the end of the shift, so a shift run
    over shows as time warp.
    """
    p = problem
    n = p.size
    d = np.zeros((n + 1, n + 1), np.int64)
    t = np.zeros((n + 1, n + 1), np.int64)
    d[:n, :n] = p.distance
    t[:n, :n] = p.duration
    if not p.open_end:
        col = 0 if p.end is None else p.end
        d[:n, n] = p.distance[:, col]
        t[:n, n] = p.duration[:, col]
    start = p.start_s
    service = np.zeros(n + 1, np.int64)
    service[1:n] = p.service[1:]
    early = np.full(n + 1, start, np.int64)
    late = np.full(n + 1, start + _HORIZON_S, np.int64)
    for i in range(1, n):
        lo, hi = p.earliest[i], p.latest[i]
        early[i] = start if lo is None else max(lo, start)
        late[i] = start + _HORIZON_S if hi is None else max(hi, start)
    late[0] = start
    if p.shift_s is not None:
        late[n] = start + p.shift_s
    load = np.zeros(n + 1, np.int64)
    if p.capacity is not None:
        load[1:n] = p.demand[1:] if p.demand else 1
    if p.end is not None and not p.open_end:
        service[p.end] = load[p.end] = 0
    return d, t, service, early, late, load


def _neighbours(d: np.ndarray, clients: np.ndarray, count: int) -> np.ndarray:
    """Each client's nearest other clients, both directions counted; -1 pads short rows."""
    out = np.full((d.shape[0] - 1, count), -1, np.int64)
    if len(clients) < 2:
        return out
    sub = d[np.ix_(clients, clients)]
    near = sub + sub.T
    np.fill_diagonal(near, np.iinfo(np.int64).max)
    take = min(count, len(clients) - 1)
    order = np.argsort(near, axis=1, kind="stable")[:, :take]
    out[clients, :take] = clients[order]
    return out


def search(problem: Problem, work: int, seconds: float, seed: int) -> Result:
    """Run the phase on ``problem`` for ``work`` evaluations (``seconds`` as a safety cap).

    Stops no single carrier could serve on its own (a window closed before anyone gets there,
    more papers than a bag holds, a shift too short for the trip) are left out from the start;
    the result's routes serve every other stop, or are ``None`` if no feasible set was found.
    """
    d, t, service, early, late, load = _arrays(problem)
    n = problem.size
    cap = problem.capacity if problem.capacity is not None else 1 << 40
    candidates = [i for i in range(1, n) if i != problem.end or problem.open_end]
    clients: list[int] = []
    left_out: list[int] = []
    for i in candidates:
        arrive = max(problem.start_s + t[0, i], early[i])
        back = arrive + service[i] + t[i, n]
        ok = arrive <= late[i] and back <= late[n] and load[i] <= cap
        (clients if ok else left_out).append(i)
    k = problem.carriers
    if not clients:
        return Result(((),) * k, tuple(left_out), 0, 0, False)
    c = np.asarray(clients, np.int64)
    best_r = np.zeros((k, len(clients) + 2), np.int64)
    best_len = np.zeros(k, np.int64)
    stats = np.zeros(3, np.int64)
    _search(
        d, t, service, early, late, load, np.int64(cap), np.int64(problem.balance), np.int64(k),
        c, _neighbours(d, c, GRANULAR), np.int64(seed), np.int64(work),
        time.perf_counter() + seconds, best_r, best_len, stats,
    )  # fmt: skip
    routes = None
    if best_len[0] > 0:
        routes = tuple(tuple(int(x) for x in best_r[r, 1 : best_len[r] - 1]) for r in range(k))
    return Result(routes, tuple(left_out), int(stats[0]), int(stats[1]), bool(stats[2]))


#: Evaluations per second by problem size, measured on the Helsinki benchmark (50 to 200 stops)
#: on a shared two-core machine under a load of 3 to 4: 2.2 to 3.7 million. The table takes 2.5
#: million and the caller plans to use only a share of the time; sizes beyond 200 were not
#: measured, their rates fall with the size as a guess on the safe side.
_EVALS_PER_S = ((10, 2_500_000), (200, 2_500_000), (400, 1_600_000), (1600, 700_000))


def work_budget(size: int, seconds: float, share: float) -> int:
    """Evaluations for ``seconds`` of search, planning to use ``share`` of them."""
    sizes = [np.log(s) for s, _ in _EVALS_PER_S]
    rates = [np.log(r) for _, r in _EVALS_PER_S]
    rate = float(np.exp(np.interp(np.log(max(size, 2)), sizes, rates)))
    return max(1000, int(rate * seconds * share))


def _warm_up() -> None:
    """Compile (or load from numba's cache) the search on a three-stop instance."""
    d = np.array([[0, 5, 9, 4, 0], [5, 0, 3, 6, 5], [9, 3, 0, 7, 9], [4, 6, 7, 0, 4], [0] * 5])
    d = np.ascontiguousarray(d, dtype=np.int64)
    zero = np.zeros(5, np.int64)
    late = np.full(5, 10_000, np.int64)
    clients = np.array([1, 2, 3], np.int64)
    _search(
        d, d.copy(), zero, zero.copy(), late, np.ones(5, np.int64), np.int64(2), np.int64(0),
        np.int64(2), clients, _neighbours(d, clients, GRANULAR), np.int64(0), np.int64(5000),
        time.perf_counter() + 60.0, np.zeros((2, 5), np.int64), np.zeros(2, np.int64),
        np.zeros(3, np.int64),
    )  # fmt: skip


_warm_up()
