"""The penalised search's compiled driver: construct, descend, ruin and recreate.

See :mod:`route.solver.penalised` for the method; the moves and the O(1) concatenation they
are costed with are in :mod:`route.solver.penalised_moves`.
"""

import time

import numba as nb
import numpy as np

from route.solver.penalised_moves import (
    apply_move,
    below,
    local_search,
    rand,
    rebuild,
    route_costs,
    set_chain,
    shuffle,
    try_move,
    wake,
)

# -- ruin and recreate -----------------------------------------------------------------------


@nb.njit(cache=True)
def _ruin(R, rlen, F, B, rof, pos, D, T, S, E, L, Q, NB, clients, removed, st, active, n_real):
    """Remove strings of stops around a random stop and its neighbours; returns how many."""
    nc = clients.shape[0]
    want = min(10 + below(st, 21), max(1, nc // 3))
    centre = clients[below(st, nc)]
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
        ln = 1 + below(st, min(10, inner, want - got))
        first = min(max(pos[v] - below(st, ln), 1), inner - ln + 1)
        for p in range(first, first + ln):
            removed[got] = R[r, p]
            rof[R[r, p]] = -1
            got += 1
        for p in range(first + ln, rlen[r]):
            R[r, p - ln] = R[r, p]
        rlen[r] -= ln
        rebuild(r, R, rlen, F, B, rof, pos, D, T, S, E, L, Q)
        wake(R, rlen, r, first, active, n_real)
        wake(R, rlen, r, first - 1, active, n_real)
    return got


@nb.njit(cache=True)
def _recreate(todo, cnt, R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload, bal, rc,
              rd, st, blink, P1, P2, buf1, buf2, work, active, n_real):  # fmt: skip
    """Insert the stops todo[0..cnt) one by one where they cost least, skipping a few places."""
    route_costs(R, rlen, F, cap, wtw, wload, rc, rd)
    for i in range(cnt):
        c = todo[i]
        best, br, bp = np.int64(-(1 << 62)), -1, -1
        for r in range(R.shape[0]):
            for p in range(rlen[r] - 1):
                if blink > 0 and below(st, 1000) < blink:
                    continue
                set_chain(P1, 0, r, 0, p, 0)
                set_chain(P1, 1, -1, c, c, 0)
                set_chain(P1, 2, r, p + 1, rlen[r] - 1, 0)
                work[0] += 1
                g = try_move(P1, 3, r, P2, 0, -1, R, rlen, F, B, D, T, S, E, L, Q, cap, wtw, wload,
                         bal, rc, rd)  # fmt: skip
                if g > best:
                    best, br, bp = g, r, p
        if br < 0:  # every place blinked: the first one
            br, bp = 0, 0
        set_chain(P1, 0, br, 0, bp, 0)
        set_chain(P1, 1, -1, c, c, 0)
        set_chain(P1, 2, br, bp + 1, rlen[br] - 1, 0)
        apply_move(P1, 3, br, P2, 0, -1, R, rlen, F, B, rof, pos, buf1, buf2, D, T, S, E, L, Q)
        route_costs(R, rlen, F, cap, wtw, wload, rc, rd)
        active[c] = 1
        wake(R, rlen, br, pos[c], active, n_real)


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
def penalised_search(D, T, S, E, L, Q, cap, bal, k, clients, NB, seed, limit, deadline, bestR,
                     bestlen, stats):  # fmt: skip
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
        rand(st)
    for r in range(k):
        R[r, 0], R[r, 1] = 0, end
        rebuild(r, R, rlen, F, B, rof, pos, D, T, S, E, L, Q)
    # Penalties start at the exchange rate between metres and seconds of driving.
    wtw = max(1, np.int64(D.sum() // max(T.sum(), 1)))
    wload = max(1, np.int64(D[0].sum() // max(m, 1)))
    order = clients.copy()
    todo = clients.copy()
    shuffle(todo, st)
    _recreate(todo, nc, R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload, bal, rc, rd,
              st, 0, P1, P2, buf1, buf2, work, active, end)  # fmt: skip
    active[:] = 1
    local_search(R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload, bal, rc, rd, NB,
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
        how = below(st, 3)
        if how == 0:
            shuffle(removed[:cnt], st)
        else:
            for i in range(cnt):
                c = removed[i]
                key[i] = -D[0, c] - D[c, 0] if how == 1 else L[c] - E[c]
            idx = np.argsort(key[:cnt], kind="mergesort")
            removed[:cnt] = removed[:cnt][idx]
        _recreate(removed, cnt, R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload, bal,
                  rc, rd, st, 10, P1, P2, buf1, buf2, work, active, end)  # fmt: skip
        local_search(R, rlen, F, B, rof, pos, D, T, S, E, L, Q, cap, wtw, wload, bal, rc, rd,
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
                rebuild(r, R, rlen, F, B, rof, pos, D, T, S, E, L, Q)
    stats[0], stats[1], stats[2] = work[0], it, capped
