"""Compiled parts of the penalised search: segment concatenation, moves and local search.

See :mod:`route.solver.penalised_kernels` for the search as a whole. Every function is
integer arithmetic on flat arrays, so a move that joins prefixes, suffixes and a chain of up
to three stops is costed in O(1) whatever the route's length.
"""

import numba as nb
import numpy as np

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
def rebuild(r, R, rlen, F, B, rof, pos, D, T, S, E, L, Q):
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
def rand(st):
    x = st[0]
    x ^= (x << np.uint64(13)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    x ^= x >> np.uint64(7)
    x ^= (x << np.uint64(17)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    st[0] = x
    return x


@nb.njit(cache=True)
def below(st, k):
    """A pseudo-random integer in [0, k)."""
    return np.int64(rand(st) >> np.uint64(11)) % k


@nb.njit(cache=True)
def shuffle(a, st):
    for i in range(len(a) - 1, 0, -1):
        j = below(st, i + 1)
        a[i], a[j] = a[j], a[i]


@nb.njit(cache=True)
def route_costs(R, rlen, F, cap, wtw, wload, rc, rd):
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
def try_move(P1, n1, r1, P2, n2, r2, R, rlen, F, B, D, T, S, E, L, Q, cap, wtw, wload, bal, rc, rd):
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
def apply_move(P1, n1, r1, P2, n2, r2, R, rlen, F, B, rof, pos, buf1, buf2, D, T, S, E, L, Q):
    m1 = _write(P1, n1, r1, buf1, R, rlen)
    m2 = _write(P2, n2, r2, buf2, R, rlen) if r2 >= 0 else 0
    R[r1, :m1] = buf1[:m1]
    rlen[r1] = m1
    if r2 >= 0:
        R[r2, :m2] = buf2[:m2]
        rlen[r2] = m2
    rebuild(r1, R, rlen, F, B, rof, pos, D, T, S, E, L, Q)
    if r2 >= 0:
        rebuild(r2, R, rlen, F, B, rof, pos, D, T, S, E, L, Q)


@nb.njit(cache=True, inline="always")
def set_chain(P, q, r, a, b, rev):
    P[q, 0], P[q, 1], P[q, 2], P[q, 3] = r, a, b, rev


@nb.njit(cache=True)
def wake(R, rlen, r, p, active, n_real):
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
            set_chain(P1, 0, ru, 0, pu - 1, 0)
            set_chain(P1, 1, ru, ce + 1, eu, 0)
            set_chain(P2, 0, rv, 0, ip, 0)
            set_chain(P2, 1, ru, pu, ce, rev)
            set_chain(P2, 2, rv, ip + 1, ev, 0)
            return 2, 3, rv
        if abs(pv - pu) > _INTRA_REACH:
            return 0, 0, -1
        if ip < pu - 1:
            set_chain(P1, 0, ru, 0, ip, 0)
            set_chain(P1, 1, ru, pu, ce, rev)
            set_chain(P1, 2, ru, ip + 1, pu - 1, 0)
            set_chain(P1, 3, ru, ce + 1, eu, 0)
            return 4, 0, -1
        if ip > ce:
            set_chain(P1, 0, ru, 0, pu - 1, 0)
            set_chain(P1, 1, ru, ce + 1, ip, 0)
            set_chain(P1, 2, ru, pu, ce, rev)
            set_chain(P1, 3, ru, ip + 1, eu, 0)
            return 4, 0, -1
        return 0, 0, -1
    if mv < 16:  # swap chains of 1-2 stops between routes
        l1, l2 = (mv - 12) // 2 + 1, (mv - 12) % 2 + 1
        cu, cv = pu + l1 - 1, pv + l2 - 1
        if same or cu > eu - 1 or cv > ev - 1:
            return 0, 0, -1
        set_chain(P1, 0, ru, 0, pu - 1, 0)
        set_chain(P1, 1, rv, pv, cv, 0)
        set_chain(P1, 2, ru, cu + 1, eu, 0)
        set_chain(P2, 0, rv, 0, pv - 1, 0)
        set_chain(P2, 1, ru, pu, cu, 0)
        set_chain(P2, 2, rv, cv + 1, ev, 0)
        return 3, 3, rv
    if mv < 18:  # 2-opt*: u's route goes on with v's tail (after v, or from v on)
        if same:
            return 0, 0, -1
        cut = pv - (mv - 16)
        set_chain(P1, 0, ru, 0, pu, 0)
        set_chain(P1, 1, rv, cut + 1, ev, 0)
        set_chain(P2, 0, rv, 0, cut, 0)
        set_chain(P2, 1, ru, pu + 1, eu, 0)
        return 2, 2, rv
    # 2-opt inside the route: reverse what lies between so that u and v become neighbours.
    if not same or abs(pv - pu) > _INTRA_REACH:
        return 0, 0, -1
    if pu < pv:
        set_chain(P1, 0, ru, 0, pu, 0)
        set_chain(P1, 1, ru, pu + 1, pv, 1)
        set_chain(P1, 2, ru, pv + 1, eu, 0)
    else:
        set_chain(P1, 0, ru, 0, pv - 1, 0)
        set_chain(P1, 1, ru, pv, pu - 1, 1)
        set_chain(P1, 2, ru, pu, eu, 0)
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
        g = try_move(P1, n1, ru, P2, n2, r2, R, rlen, F, B, D, T, S, E, L, Q, cap, wtw, wload, bal,
                 rc, rd)  # fmt: skip
        if g > 0:
            apply_move(
                P1, n1, ru, P2, n2, r2, R, rlen, F, B, rof, pos, buf1, buf2, D, T, S, E, L, Q
            )
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
        set_chain(P2, 0, re, 0, 0, 0)
        if mv == 0:
            set_chain(P1, 0, ru, 0, pu - 1, 0)
            set_chain(P1, 1, ru, pu + 1, eu, 0)
            set_chain(P2, 1, -1, u, u, 0)
            set_chain(P2, 2, re, 1, 1, 0)
        else:
            set_chain(P1, 0, ru, 0, pu, 0)
            set_chain(P1, 1, re, 1, 1, 0)
            set_chain(P2, 1, ru, pu + 1, eu, 0)
        n2 = 3 - mv
        work[0] += 1
        g = try_move(P1, 2, ru, P2, n2, re, R, rlen, F, B, D, T, S, E, L, Q, cap, wtw, wload, bal,
                 rc, rd)  # fmt: skip
        if g > 0:
            apply_move(P1, 2, ru, P2, n2, re, R, rlen, F, B, rof, pos, buf1, buf2, D, T, S, E, L, Q)
            return True
    return False


@nb.njit(cache=True)
def local_search(R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload, bal, rc, rd,
                  NB, order, active, st, P1, P2, buf1, buf2, work, limit):  # fmt: skip
    """First-improvement descent over the active stops until none gains (or work runs out)."""
    n_real = active.shape[0]
    route_costs(R, rlen, F, cap, wtw, wload, rc, rd)
    again = True
    while again and work[0] < limit:
        again = False
        shuffle(order, st)
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
                    route_costs(R, rlen, F, cap, wtw, wload, rc, rd)
                    active[u] = active[v] = 1
                    wake(R, rlen, ru, min(pu, rlen[ru] - 2), active, n_real)
                    wake(R, rlen, rv, min(pv, rlen[rv] - 2), active, n_real)
                    wake(R, rlen, rof[u], pos[u], active, n_real)
                    wake(R, rlen, rof[v], pos[v], active, n_real)
            ru, pu = rof[u], pos[u]
            if _to_empty(u, R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload, bal,
                         rc, rd, P1, P2, buf1, buf2, work):  # fmt: skip
                again = True
                route_costs(R, rlen, F, cap, wtw, wload, rc, rd)
                wake(R, rlen, ru, min(pu, rlen[ru] - 2), active, n_real)
            if work[0] >= limit:
                return
