"""Compiled iterated local search behind :func:`route.solver.tour.solve_tour` (private).

Everything here is integer arithmetic driven by a seeded xorshift64* generator, so
the same inputs give the same tour on any machine. The search state lives in plain
numpy arrays so that :mod:`route.solver.tour` can run it in chunks (to report progress and
watch the clock) without changing the result.

Moves, evaluated only around nodes in a queue of "dirty" nodes (the don't-look-bit
idea: after a kick only the touched area is re-optimised):

* 2-opt with neighbour lists, in both directions (new edge out of or into a node).
  On symmetric matrices the shorter side is reversed; on asymmetric ones the path
  that the move names is reversed and the change of its direction is priced in
  O(1) with prefix sums of forward and backward edge costs along the tour.
* Or-opt: a segment of 1-3 nodes moved next to one of its endpoints' neighbours,
  in either orientation.

Kicks are double bridges on a local window (two adjacent short segments swapped);
a kicked tour is kept when it is not longer than the best, otherwise the changed
positions are restored from the best tour (a journal of changed ranges keeps the
restore proportional to the work done, not to n).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Layout of the int64 ``info`` array shared with the caller.
CUR = 0  # current tour length
BEST = 1  # best tour length
KICKS = 2  # kicks done so far
SINCE = 3  # kicks since the best tour last improved
PREFIX_OK = 4  # 1 when the prefix sums match the tour (asymmetric only)
JOURNAL_N = 5  # number of ranges in the journal
JOURNAL_FULL = 6  # 1 when the journal overflowed: restore everything
OR3 = 7  # 1 to search Or-3opt moves (asymmetric matrices)
ACC = 8  # length of the accepted tour
INFO_SIZE = 9

JOURNAL_CAP = 256


@njit(cache=True)
def _next(state):
    # xorshift64* (Vigna 2016): small, fast and identical on every platform.
    x = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return x * np.uint64(2685821657736338717)


@njit(cache=True)
def _below(state, k):
    return np.int64((_next(state) >> np.uint64(11)) % np.uint64(k))


@njit(cache=True)
def neighbour_lists(m, k):
    """The k nearest other nodes of each node, out of (rows) and into (columns) it.

    Ties go to the smaller index, so the lists do not depend on a sort's stability.
    """
    n = m.shape[0]
    k = min(k, n - 1)
    out = np.empty((n, k), dtype=np.int64)
    into = np.empty((n, k), dtype=np.int64)
    for which in range(2):
        res = out if which == 0 else into
        for a in range(n):
            cnt = 0
            for b in range(n):
                if b == a:
                    continue
                d = m[a, b] if which == 0 else m[b, a]
                if cnt == k:
                    last = res[a, k - 1]
                    dl = m[a, last] if which == 0 else m[last, a]
                    if d >= dl:
                        continue
                    cnt -= 1
                # Insertion into the sorted prefix; equal distances keep index order.
                q = cnt
                while q > 0:
                    prev = res[a, q - 1]
                    dp = m[a, prev] if which == 0 else m[prev, a]
                    if dp <= d:
                        break
                    res[a, q] = prev
                    q -= 1
                res[a, q] = b
                cnt += 1
    return out, into


@njit(cache=True)
def nearest_neighbour(m):
    """Greedy nearest-neighbour tour from node 0 (ties to the smaller index)."""
    n = m.shape[0]
    seen = np.zeros(n, dtype=np.bool_)
    t = np.empty(n, dtype=np.int64)
    t[0] = 0
    seen[0] = True
    for i in range(1, n):
        a = t[i - 1]
        best = -1
        for b in range(n):
            if not seen[b] and (best < 0 or m[a, b] < m[a, best]):
                best = b
        t[i] = best
        seen[best] = True
    return t


@njit(cache=True)
def length_of(m, t):
    n = t.shape[0]
    s = 0
    for i in range(n):
        s += m[t[i], t[(i + 1) % n]]
    return s


@njit(cache=True)
def _prefix(m, t, fwd, bwd):
    n = t.shape[0]
    fwd[0] = 0
    bwd[0] = 0
    for q in range(n):
        a = t[q]
        b = t[(q + 1) % n]
        fwd[q + 1] = fwd[q] + m[a, b]
        bwd[q + 1] = bwd[q] + m[b, a]


@njit(cache=True)
def _path_change(fwd, bwd, i, j, n):
    """Cost of walking positions i..j backwards minus forwards (cyclic, i to j)."""
    if i <= j:
        return (bwd[j] - bwd[i]) - (fwd[j] - fwd[i])
    return (bwd[n] - bwd[i] + bwd[j]) - (fwd[n] - fwd[i] + fwd[j])


@njit(cache=True)
def _log(info, journal, start, count, n):
    if count <= 0:
        return
    k = info[JOURNAL_N]
    if k >= journal.shape[0]:
        info[JOURNAL_FULL] = 1
        return
    journal[k, 0] = start % n
    journal[k, 1] = min(count, n)
    info[JOURNAL_N] = k + 1


@njit(cache=True)
def _reverse(t, pos, i, j, n, info, journal):
    """Reverse the cyclic run of positions i..j (inclusive)."""
    length = (j - i) % n + 1
    _log(info, journal, i, length, n)
    a = i
    b = j
    for _ in range(length // 2):
        x = t[a]
        y = t[b]
        t[a] = y
        pos[y] = a
        t[b] = x
        pos[x] = b
        a += 1
        if a == n:
            a = 0
        b -= 1
        if b < 0:
            b = n - 1


@njit(cache=True)
def _swap_blocks(t, pos, x, y, z, n, info, journal):
    """Turn the cyclic blocks X Y Z starting at positions x, y, z into Y X Z.

    Any two adjacent blocks may be swapped for the same cyclic result, so the pair
    with the fewest nodes is reversed (three reversals swap two adjacent blocks).
    """
    lx = (y - x) % n
    ly = (z - y) % n
    lz = n - lx - ly
    if lz >= lx and lz >= ly:
        s, mid, e = x, y, z
    elif lx >= ly:
        s, mid, e = y, z, x
    else:
        s, mid, e = z, x, y
    _reverse(t, pos, s, (mid - 1) % n, n, info, journal)
    _reverse(t, pos, mid, (e - 1) % n, n, info, journal)
    _reverse(t, pos, s, (e - 1) % n, n, info, journal)


@njit(cache=True)
def _move_segment(t, pos, i, seg_len, c, reverse, n, info, journal, buf):
    """Move the segment at positions i..i+seg_len-1 to right after node c."""
    for q in range(seg_len):
        buf[q] = t[(i + q) % n]
    if reverse:
        for q in range(seg_len // 2):
            x = buf[q]
            buf[q] = buf[seg_len - 1 - q]
            buf[seg_len - 1 - q] = x
    rest = n - seg_len
    r = (pos[c] - i - seg_len) % n  # index of c among the nodes after the segment
    after = rest - 1 - r
    if r + 1 <= after:
        # Pull the r + 1 nodes up to c back over the segment, then place it.
        _log(info, journal, i, r + 1 + seg_len, n)
        for k in range(r + 1):
            x = t[(i + seg_len + k) % n]
            p = (i + k) % n
            t[p] = x
            pos[x] = p
        for q in range(seg_len):
            p = (i + r + 1 + q) % n
            t[p] = buf[q]
            pos[buf[q]] = p
    else:
        # Push the nodes after c forward over the segment, then place it before them.
        start = (i - after) % n
        _log(info, journal, start, after + seg_len, n)
        for k in range(after):
            src = (i - 1 - k) % n
            x = t[src]
            p = (src + seg_len) % n
            t[p] = x
            pos[x] = p
        for q in range(seg_len):
            p = (start + q) % n
            t[p] = buf[q]
            pos[buf[q]] = p


@njit(cache=True)
def _push(v, queue, inq, qinfo, n):
    if not inq[v]:
        inq[v] = True
        queue[qinfo[1]] = v
        qinfo[1] = (qinfo[1] + 1) % n
        qinfo[2] += 1


@njit(cache=True)
def _improve(a, m, nb_out, nb_in, t, pos, sym, fwd, bwd, info, journal, buf, queue, inq, qinfo):
    """Apply the best improving move around node a; return False if there is none."""
    n = t.shape[0]
    k = nb_out.shape[1]
    pa = pos[a]
    b = t[(pa + 1) % n]
    p = t[(pa - 1) % n]
    best = 0
    kind = 0
    x1 = 0
    x2 = 0
    x3 = 0
    x4 = 0
    if not sym and info[PREFIX_OK] == 0:
        _prefix(m, t, fwd, bwd)
        info[PREFIX_OK] = 1
    # 2-opt, new edge a -> c: remove a->b and c->d, reverse the path b..c.
    dab = m[a, b]
    for q in range(k):
        c = nb_out[a, q]
        dac = m[a, c]
        if dac >= dab:
            break
        if c == b:
            continue
        pc = pos[c]
        d = t[(pc + 1) % n]
        if d == a:
            continue
        delta = dac + m[b, d] - dab - m[c, d]
        if not sym:
            delta += _path_change(fwd, bwd, (pa + 1) % n, pc, n)
        if delta < best:
            best = delta
            kind = 1
            x1 = (pa + 1) % n
            x2 = pc
            x3 = a
            x4 = d
    # 2-opt, new edge c -> a: remove p->a and e->c, reverse the path c..p.
    dpa = m[p, a]
    for q in range(k):
        c = nb_in[a, q]
        dca = m[c, a]
        if dca >= dpa:
            break
        if c == p:
            continue
        pc = pos[c]
        e = t[(pc - 1) % n]
        if e == a:
            continue
        delta = dca + m[e, p] - dpa - m[e, c]
        if not sym:
            delta += _path_change(fwd, bwd, pc, (pa - 1) % n, n)
        if delta < best:
            best = delta
            kind = 1
            x1 = pc
            x2 = (pa - 1) % n
            x3 = a
            x4 = e
    # Or-3opt: a -> b', c -> a', b -> c' swaps the adjacent paths a'..b and b'..c
    # without reversing anything (the main move on asymmetric matrices).
    for q1 in range(k if info[OR3] == 1 else 0):
        b1 = nb_out[a, q1]
        g1 = dab - m[a, b1]
        if g1 <= 0:
            break
        ob1 = (pos[b1] - pa) % n
        if ob1 < 2:
            continue
        bb = t[(pos[b1] - 1) % n]
        g1b = g1 + m[bb, b1]
        for q2 in range(k):
            c1 = nb_out[bb, q2]
            g2 = g1b - m[bb, c1]
            if g2 <= 0:
                break
            oc1 = (pos[c1] - pa) % n
            if oc1 == 0:
                oc1 = n
            if oc1 <= ob1:
                continue
            cc = t[(pos[c1] - 1) % n]
            delta = m[cc, b] - m[cc, c1] - g2
            if delta < best:
                best = delta
                kind = 3
                x1 = b1
                x2 = c1
    # Or-opt: a segment of 1-3 nodes starting or ending at a, moved elsewhere.
    for seg_len in range(1, 4):
        if seg_len > n - 3:
            break
        for side in range(2):
            if seg_len == 1 and side == 1:
                continue
            i = pa if side == 0 else (pa - seg_len + 1) % n
            s1 = t[i]
            s2 = t[(i + seg_len - 1) % n]
            sp = t[(i - 1) % n]
            sn = t[(i + seg_len) % n]
            g = m[sp, s1] + m[s2, sn] - m[sp, sn]
            if g <= 0:
                continue
            segf = 0
            segr = 0
            for q in range(seg_len - 1):
                u = t[(i + q) % n]
                v = t[(i + q + 1) % n]
                segf += m[u, v]
                segr += m[v, u]
            for orient in range(2):
                # Forward: c -> s1 ... s2 -> d; reversed: c -> s2 ... s1 -> d.
                head = s1 if orient == 0 else s2
                tail = s2 if orient == 0 else s1
                extra = 0 if orient == 0 else segr - segf
                if orient == 1 and seg_len == 1:
                    break
                for end in range(2):
                    for q in range(k):
                        if end == 0:
                            c = nb_in[head, q]
                            if m[c, head] >= g:
                                break
                            d = t[(pos[c] + 1) % n]
                        else:
                            d = nb_out[tail, q]
                            if m[tail, d] >= g:
                                break
                            c = t[(pos[d] - 1) % n]
                        if (pos[c] - i) % n < seg_len or (pos[d] - i) % n < seg_len:
                            continue
                        delta = m[c, head] + m[tail, d] - m[c, d] - g + extra
                        if delta < best:
                            best = delta
                            kind = 2
                            x1 = i
                            x2 = seg_len
                            x3 = c
                            x4 = orient
    if kind == 0:
        return False
    if kind == 1:
        i = x1
        j = x2
        ends = (t[(i - 1) % n], t[i], t[j], t[(j + 1) % n])
        if sym and 2 * ((j - i) % n + 1) > n:
            _reverse(t, pos, (j + 1) % n, (i - 1) % n, n, info, journal)
        else:
            _reverse(t, pos, i, j, n, info, journal)
        for v in ends:
            _push(v, queue, inq, qinfo, n)
    elif kind == 3:
        b1 = x1
        c1 = x2
        bb = t[(pos[b1] - 1) % n]
        cc = t[(pos[c1] - 1) % n]
        ends = (a, b, bb, b1, cc, c1)
        _swap_blocks(t, pos, (pa + 1) % n, pos[b1], pos[c1], n, info, journal)
        for v in ends:
            _push(v, queue, inq, qinfo, n)
    else:
        i = x1
        seg_len = x2
        c = x3
        d = t[(pos[c] + 1) % n]
        ends = (t[(i - 1) % n], t[i], t[(i + seg_len - 1) % n], t[(i + seg_len) % n], c, d)
        _move_segment(t, pos, i, seg_len, c, x4 == 1, n, info, journal, buf)
        for v in ends:
            _push(v, queue, inq, qinfo, n)
    info[CUR] += best
    info[PREFIX_OK] = 0
    return True


@njit(cache=True)
def _descend(m, nb_out, nb_in, t, pos, sym, fwd, bwd, info, journal, buf, queue, inq, qinfo):
    n = t.shape[0]
    while qinfo[2] > 0:
        a = queue[qinfo[0]]
        qinfo[0] = (qinfo[0] + 1) % n
        qinfo[2] -= 1
        inq[a] = False
        if _improve(
            a, m, nb_out, nb_in, t, pos, sym, fwd, bwd, info, journal, buf, queue, inq, qinfo
        ):
            _push(a, queue, inq, qinfo, n)


@njit(cache=True)
def _sync(src, dst, dst_pos, info, journal):
    """Copy the journaled positions of ``src`` into ``dst`` (and its position index)."""
    n = src.shape[0]
    if info[JOURNAL_FULL] == 1:
        for p in range(n):
            x = src[p]
            dst[p] = x
            dst_pos[x] = p
    else:
        for r in range(info[JOURNAL_N]):
            start = journal[r, 0]
            for q in range(journal[r, 1]):
                p = (start + q) % n
                x = src[p]
                dst[p] = x
                dst_pos[x] = p
    info[JOURNAL_N] = 0
    info[JOURNAL_FULL] = 0


@njit(cache=True)
def local_search(m, nb_out, nb_in, t, sym, order):
    """Descend from tour ``t`` (in place) with every node of ``order`` queued.

    Returns the tour's length.
    """
    n = t.shape[0]
    pos = np.empty(n, dtype=np.int64)
    for p in range(n):
        pos[t[p]] = p
    fwd = np.empty(n + 1, dtype=np.int64)
    bwd = np.empty(n + 1, dtype=np.int64)
    info = np.zeros(INFO_SIZE, dtype=np.int64)
    journal = np.empty((JOURNAL_CAP, 2), dtype=np.int64)
    buf = np.empty(4, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    inq = np.zeros(n, dtype=np.bool_)
    qinfo = np.zeros(3, dtype=np.int64)
    for v in order:
        _push(v, queue, inq, qinfo, n)
    info[CUR] = length_of(m, t)
    while qinfo[2] > 0:
        info[JOURNAL_N] = 0
        _descend(m, nb_out, nb_in, t, pos, sym, fwd, bwd, info, journal, buf, queue, inq, qinfo)
    return info[CUR]


@njit(cache=True)
def kicks(
    m,
    nb_out,
    nb_in,
    sym,
    t,
    pos,
    acc_t,
    acc_pos,
    best_t,
    info,
    rng,
    count,
    stall_limit,
    max_seg,
    threshold,
):
    """Run up to ``count`` kicks of the iterated local search, in place.

    ``t``/``pos`` is the working tour, equal to the accepted one ``acc_t``/``acc_pos``
    between kicks; ``best_t`` the best tour. A kicked and repaired tour is accepted
    when it is at most ``threshold`` longer than the accepted one (so the search can
    leave a deep local optimum); after ``stall_limit // 4`` kicks without a new best,
    the search returns to the best tour. ``info`` carries lengths and counters and
    ``rng`` the generator state, so consecutive calls continue the same search.
    Stops early once ``stall_limit`` kicks in a row have not shortened the best tour.
    """
    n = t.shape[0]
    fwd = np.empty(n + 1, dtype=np.int64)
    bwd = np.empty(n + 1, dtype=np.int64)
    info[PREFIX_OK] = 0
    journal = np.empty((JOURNAL_CAP, 2), dtype=np.int64)
    buf = np.empty(max(4, 2 * max_seg), dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    inq = np.zeros(n, dtype=np.bool_)
    qinfo = np.zeros(3, dtype=np.int64)
    seg_cap = min(max_seg, (n - 2) // 2)
    back = max(1, stall_limit // 4)
    for _ in range(count):
        if info[SINCE] >= stall_limit:
            break
        info[KICKS] += 1
        info[SINCE] += 1
        if info[SINCE] % back == 0 and info[ACC] != info[BEST]:
            for p in range(n):
                x = best_t[p]
                t[p] = x
                pos[x] = p
                acc_t[p] = x
                acc_pos[x] = p
            info[ACC] = info[BEST]
            info[CUR] = info[BEST]
        info[JOURNAL_N] = 0
        info[JOURNAL_FULL] = 0
        # Double bridge on a window: v B C -> v C B with short B and C.
        p0 = pos[_below(rng, n)]
        l1 = 1 + _below(rng, seg_cap)
        l2 = 1 + _below(rng, seg_cap)
        a0 = t[p0]
        b0 = t[(p0 + 1) % n]
        b1 = t[(p0 + l1) % n]
        c0 = t[(p0 + l1 + 1) % n]
        c1 = t[(p0 + l1 + l2) % n]
        d0 = t[(p0 + l1 + l2 + 1) % n]
        info[CUR] += m[a0, c0] + m[c1, b0] + m[b1, d0] - m[a0, b0] - m[b1, c0] - m[c1, d0]
        for q in range(l1 + l2):
            buf[q] = t[(p0 + 1 + q) % n]
        _log(info, journal, p0 + 1, l1 + l2, n)
        for q in range(l2):
            p = (p0 + 1 + q) % n
            x = buf[l1 + q]
            t[p] = x
            pos[x] = p
        for q in range(l1):
            p = (p0 + 1 + l2 + q) % n
            x = buf[q]
            t[p] = x
            pos[x] = p
        info[PREFIX_OK] = 0
        for v in (a0, b0, b1, c0, c1, d0):
            _push(v, queue, inq, qinfo, n)
        _descend(m, nb_out, nb_in, t, pos, sym, fwd, bwd, info, journal, buf, queue, inq, qinfo)
        if info[CUR] <= info[ACC] + threshold:
            info[ACC] = info[CUR]
            _sync(t, acc_t, acc_pos, info, journal)
            if info[CUR] <= info[BEST]:
                if info[CUR] < info[BEST]:
                    info[SINCE] = 0
                info[BEST] = info[CUR]
                for p in range(n):
                    best_t[p] = t[p]
        else:
            info[CUR] = info[ACC]
            _sync(acc_t, t, pos, info, journal)
            info[PREFIX_OK] = 0
