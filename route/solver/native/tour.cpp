// The one-carrier tour engine behind route.solver.tour (module route.solver._tour).
//
// A seeded iterated local search on an integer matrix, symmetric or not:
//
// * local search over a queue of dirty nodes (don't-look bits: after a change only the
//   touched nodes are looked at again) with neighbour lists;
// * moves: 2-opt (the shorter side reversed on symmetric matrices; on asymmetric ones the
//   named path, its change of direction priced by walking it or by prefix sums), Or-opt
//   (a chain of 1-3 stops moved next to a neighbour, either way round), and sequential 3-opt
//   "or-3opt" (every reconnection of three removed edges reached through two neighbour-list
//   steps; on asymmetric matrices only the pure segment swap, which keeps every direction);
// * kicks: a double bridge on a local window (two adjacent short segments swapped), kept when
//   the repaired tour is at most a threshold longer than the accepted one, with a return to
//   the best tour after a long spell without progress.
//
// Work is counted (move evaluations, nodes moved), never timed: the caller gives a work limit,
// and the clock is only a safety cap. The same matrix, seed and work give the same tour.

#include <algorithm>
#include <array>
#include <initializer_list>
#include <string>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "candidates.hpp"
#include "common.hpp"

namespace paperroute::tour {

constexpr int JOURNAL_CAP = 2048;
// A reversal whose direction change is priced by walking it when it is at most this long.
constexpr int WALK_PRICE_MAX = 48;

struct Engine {
    int n = 0;
    bool sym = true;
    int k = 0;
    bool by_distance = true;  // neighbour lists sorted by distance (else by alpha)
    std::vector<int> al;      // alpha-nearness candidates of the chained moves (ka per node)
    int ka = 0;
    std::vector<i64> d;
    std::vector<int> nb_out, nb_in;
    std::vector<int> t, pos;    // the working tour and where each node is in it
    std::vector<int> at, apos;  // the accepted tour
    std::vector<int> bt;        // the best tour
    i64 cur = 0, acc = 0, best = 0;
    std::vector<i64> fwd, bwd;  // prefix sums of arc costs along t, both ways (asymmetric)
    bool prefix_ok = false;
    std::vector<int> queue;
    std::vector<char> inq;
    int qh = 0, qt = 0, qn = 0;
    std::vector<std::pair<int, int>> journal;  // changed (start, count) position ranges
    bool journal_full = false;
    std::vector<int> buf;
    Rng rng{1};
    i64 work = 0, kicks = 0, since = 0, improvements = 0;
    i64 slack_permille = 100;
    i64 slack = 0;        // a kicked tour at most this much longer than the best is walked on
    int max_seg = 200;    // longest segment of a local kick
    int global_one_in = 16;  // one kick in this many is a global one
    i64 stall = 0;        // kicks in a row without a shorter tour that end the search
    i64 restart_after = 0;   // kicks without a new record of the walk before it restarts
    int restart_bridges = 32;
    i64 walk_record = 0, walk_since = 0, restarts = 0;
    bool capped = false;

    i64 D(int a, int b) const { return d[static_cast<size_t>(a) * n + b]; }
    int succ(int v) const { return t[pos[v] + 1 == n ? 0 : pos[v] + 1]; }
    int pred(int v) const { return t[pos[v] == 0 ? n - 1 : pos[v] - 1]; }
    int nxt(int v, int dir) const { return dir == 0 ? succ(v) : pred(v); }
    int prv(int v, int dir) const { return dir == 0 ? pred(v) : succ(v); }
    int wrap(int p) const { return p >= n ? p - n : (p < 0 ? p + n : p); }
    // Positions from a to b going forward.
    int off(int a, int b) const { return wrap(pos[b] - pos[a]); }
    // Whether b lies on the path from a to c following direction dir (ends included).
    bool between(int a, int b, int c, int dir) const {
        if (dir == 0) return off(a, b) <= off(a, c);
        return off(b, a) <= off(c, a);
    }

    // -- setup -------------------------------------------------------------------------------

    void neighbour_lists() {
        k = std::min(k, n - 1);
        nb_out.assign(static_cast<size_t>(n) * k, 0);
        nb_in.assign(static_cast<size_t>(n) * k, 0);
        std::vector<std::pair<i64, int>> row(n - 1);
        for (int which = 0; which < 2; ++which) {
            std::vector<int>& res = which == 0 ? nb_out : nb_in;
            for (int a = 0; a < n; ++a) {
                int c = 0;
                for (int b = 0; b < n; ++b)
                    if (b != a) row[c++] = {which == 0 ? D(a, b) : D(b, a), b};
                // Ties go to the smaller index, so the lists do not depend on the sort.
                std::partial_sort(row.begin(), row.begin() + k, row.end());
                for (int q = 0; q < k; ++q) res[static_cast<size_t>(a) * k + q] = row[q].second;
            }
        }
    }

    void nearest_neighbour() {
        std::vector<char> seen(n, 0);
        t[0] = 0;
        seen[0] = 1;
        for (int i = 1; i < n; ++i) {
            int a = t[i - 1], pick = -1;
            for (int b = 0; b < n; ++b)
                if (!seen[b] && (pick < 0 || D(a, b) < D(a, pick))) pick = b;
            t[i] = pick;
            seen[pick] = 1;
        }
    }

    i64 length_of(const std::vector<int>& tour) const {
        i64 s = 0;
        for (int i = 0; i < n; ++i) s += D(tour[i], tour[i + 1 == n ? 0 : i + 1]);
        return s;
    }

    // -- tour changes, each logged in the journal ---------------------------------------------

    void log(int start, int count) {
        if (count <= 0) return;
        if (static_cast<int>(journal.size()) >= JOURNAL_CAP) {
            journal_full = true;
            return;
        }
        journal.emplace_back(wrap(start % n), std::min(count, n));
    }

    // Reverse the cyclic run of positions i..j (inclusive).
    void reverse_pos(int i, int j) {
        int len = wrap(j - i) + 1;
        log(i, len);
        work += len / 2 + 1;
        for (int s = 0; s < len / 2; ++s) {
            int x = t[i], y = t[j];
            t[i] = y;
            pos[y] = i;
            t[j] = x;
            pos[x] = j;
            i = i + 1 == n ? 0 : i + 1;
            j = j == 0 ? n - 1 : j - 1;
        }
        prefix_ok = false;
    }

    // Reverse the path x..y that follows direction dir. On a symmetric matrix the shorter of
    // the path and its complement is reversed (the same cycle, mirrored): returns true then,
    // and the caller follows the other direction from there on.
    bool reverse_path(int x, int y, int dir) {
        int i = dir == 0 ? pos[x] : pos[y];
        int j = dir == 0 ? pos[y] : pos[x];
        int len = wrap(j - i) + 1;
        if (sym && 2 * len > n) {
            reverse_pos(wrap(j + 1), wrap(i - 1));
            return true;
        }
        reverse_pos(i, j);
        return false;
    }

    // Turn the cyclic blocks X Y Z starting at positions x, y, z into Y X Z, reversing the two
    // shortest adjacent blocks (any pair gives the same cycle).
    void swap_blocks(int x, int y, int z) {
        int lx = wrap(y - x), ly = wrap(z - y), lz = n - lx - ly;
        int s = x, mid = y, e = z;
        if (!(lz >= lx && lz >= ly)) {
            if (lx >= ly) {
                s = y, mid = z, e = x;
            } else {
                s = z, mid = x, e = y;
            }
        }
        reverse_pos(s, wrap(mid - 1));
        reverse_pos(mid, wrap(e - 1));
        reverse_pos(s, wrap(e - 1));
    }

    // Move the segment at positions i..i+len-1 to right after node c, reversed or not.
    void move_segment(int i, int len, int c, bool reversed) {
        for (int q = 0; q < len; ++q) buf[q] = t[wrap(i + q)];
        if (reversed) std::reverse(buf.begin(), buf.begin() + len);
        int rest = n - len;
        int r = wrap(pos[c] - i - len);  // index of c among the nodes after the segment
        int after = rest - 1 - r;
        if (r + 1 <= after) {
            log(i, r + 1 + len);
            work += r + 1 + len;
            for (int q = 0; q <= r; ++q) {
                int x = t[wrap(i + len + q)], p = wrap(i + q);
                t[p] = x;
                pos[x] = p;
            }
            for (int q = 0; q < len; ++q) {
                int p = wrap(i + r + 1 + q);
                t[p] = buf[q];
                pos[buf[q]] = p;
            }
        } else {
            int start = wrap(i - after);
            log(start, after + len);
            work += after + len;
            for (int q = 0; q < after; ++q) {
                int src = wrap(i - 1 - q);
                int x = t[src], p = wrap(src + len);
                t[p] = x;
                pos[x] = p;
            }
            for (int q = 0; q < len; ++q) {
                int p = wrap(start + q);
                t[p] = buf[q];
                pos[buf[q]] = p;
            }
        }
        prefix_ok = false;
    }

    // -- pricing a reversal on an asymmetric matrix -------------------------------------------

    void prefix() {
        fwd[0] = bwd[0] = 0;
        for (int q = 0; q < n; ++q) {
            int a = t[q], b = t[q + 1 == n ? 0 : q + 1];
            fwd[q + 1] = fwd[q] + D(a, b);
            bwd[q + 1] = bwd[q] + D(b, a);
        }
        work += n;
        prefix_ok = true;
    }

    // Cost of walking positions i..j (cyclic) backwards minus forwards.
    i64 path_change(int i, int j) {
        if (sym) return 0;
        int len = wrap(j - i);
        if (len <= WALK_PRICE_MAX) {
            i64 s = 0;
            for (int q = 0, p = i; q < len; ++q) {
                int np = p + 1 == n ? 0 : p + 1;
                s += D(t[np], t[p]) - D(t[p], t[np]);
                p = np;
            }
            work += len / 4;
            return s;
        }
        if (!prefix_ok) prefix();
        if (i <= j) return (bwd[j] - bwd[i]) - (fwd[j] - fwd[i]);
        return (bwd[n] - bwd[i] + bwd[j]) - (fwd[n] - fwd[i] + fwd[j]);
    }

    // -- local search -------------------------------------------------------------------------

    void push(int v) {
        if (inq[v]) return;
        inq[v] = 1;
        queue[qt] = v;
        qt = qt + 1 == n ? 0 : qt + 1;
        ++qn;
    }

    // The best 2-opt or Or-opt move around node a, applied; false if none gains.
    bool two_or_opt(int a) {
        const int pa = pos[a];
        const int b = t[wrap(pa + 1)], p = t[wrap(pa - 1)];
        i64 best_delta = 0;
        int kind = 0, x1 = 0, x2 = 0, x3 = 0, x4 = 0;
        // 2-opt, new edge a -> c: remove a->b and c->e, reverse the path b..c.
        const i64 dab = D(a, b);
        for (int q = 0; q < k; ++q) {
            int c = nb_out[static_cast<size_t>(a) * k + q];
            i64 dac = D(a, c);
            if (dac >= dab) {
                if (by_distance) break;
                continue;
            }
            ++work;
            if (c == b) continue;
            int e = succ(c);
            if (e == a) continue;
            i64 delta = dac + D(b, e) - dab - D(c, e);
            if (!sym && delta < best_delta) delta += path_change(pos[b], pos[c]);
            if (delta < best_delta) best_delta = delta, kind = 1, x1 = pos[b], x2 = pos[c];
        }
        // 2-opt, new edge c -> a: remove p->a and e->c, reverse the path c..p.
        const i64 dpa = D(p, a);
        for (int q = 0; q < k; ++q) {
            int c = nb_in[static_cast<size_t>(a) * k + q];
            i64 dca = D(c, a);
            if (dca >= dpa) {
                if (by_distance) break;
                continue;
            }
            ++work;
            if (c == p) continue;
            int e = pred(c);
            if (e == a) continue;
            i64 delta = dca + D(e, p) - dpa - D(e, c);
            if (!sym && delta < best_delta) delta += path_change(pos[c], pos[p]);
            if (delta < best_delta) best_delta = delta, kind = 1, x1 = pos[c], x2 = pos[p];
        }
        // Or-opt: a chain of 1-3 nodes starting or ending at a, moved elsewhere.
        for (int len = 1; len <= 3 && len <= n - 3; ++len) {
            for (int side = 0; side < 2; ++side) {
                if (len == 1 && side == 1) continue;
                int i = side == 0 ? pa : wrap(pa - len + 1);
                int s1 = t[i], s2 = t[wrap(i + len - 1)];
                int sp = t[wrap(i - 1)], sn = t[wrap(i + len)];
                i64 g = D(sp, s1) + D(s2, sn) - D(sp, sn);
                if (g <= 0) continue;
                i64 segf = 0, segr = 0;
                for (int q = 0; q + 1 < len; ++q) {
                    int u = t[wrap(i + q)], v = t[wrap(i + q + 1)];
                    segf += D(u, v);
                    segr += D(v, u);
                }
                for (int orient = 0; orient < 2; ++orient) {
                    if (orient == 1 && len == 1) break;
                    int head = orient == 0 ? s1 : s2, tail = orient == 0 ? s2 : s1;
                    i64 extra = orient == 0 ? 0 : segr - segf;
                    for (int end = 0; end < 2; ++end) {
                        for (int q = 0; q < k; ++q) {
                            int c, e;
                            if (end == 0) {
                                c = nb_in[static_cast<size_t>(head) * k + q];
                                if (D(c, head) >= g) {
                                    if (by_distance) break;
                                    continue;
                                }
                                e = succ(c);
                            } else {
                                e = nb_out[static_cast<size_t>(tail) * k + q];
                                if (D(tail, e) >= g) {
                                    if (by_distance) break;
                                    continue;
                                }
                                c = pred(e);
                            }
                            ++work;
                            if (wrap(pos[c] - i) < len || wrap(pos[e] - i) < len) continue;
                            i64 delta = D(c, head) + D(tail, e) - D(c, e) - g + extra;
                            if (delta < best_delta)
                                best_delta = delta, kind = 2, x1 = i, x2 = len, x3 = c, x4 = orient;
                        }
                    }
                }
            }
        }
        if (kind == 0) return false;
        if (kind == 1) {
            int ends[4] = {t[wrap(x1 - 1)], t[x1], t[x2], t[wrap(x2 + 1)]};
            if (sym && 2 * (wrap(x2 - x1) + 1) > n)
                reverse_pos(wrap(x2 + 1), wrap(x1 - 1));
            else
                reverse_pos(x1, x2);
            for (int v : ends) push(v);
        } else {
            int c = x3, e = succ(c);
            int ends[6] = {t[wrap(x1 - 1)], t[x1], t[wrap(x1 + x2 - 1)], t[wrap(x1 + x2)], c, e};
            move_segment(x1, x2, c, x4 == 1);
            for (int v : ends) push(v);
        }
        cur += best_delta;
        return true;
    }

    // -- Or-opt: chained sequential 3-opt moves ---------------------------------------------
    //
    // From t1 remove (t1,t2), add (t2,t3), remove (t3,t4), add (t4,t5), remove (t5,t6) and
    // close with (t6,t1): every reconnection reached through two candidate steps (on
    // asymmetric matrices only the pure segment swap, which keeps every direction). The first
    // closing that gains is made; if none gains, the basic move that leaves the most gain
    // before closing is made tentatively and the search goes on from the edge (t1,t6) it
    // closed with, as in LKH; a chain that never gains is undone. An edge added in a chain is
    // never removed in it, nor a removed one added back.

    // The chain's tabu edges, kept at their end nodes: a node gains at most two edges in a
    // chain (added edges stay) and loses at most two (only its original edges can go).
    std::vector<int> mark_;
    std::vector<std::array<int, 4>> tabu_;  // added partners 0-1, removed partners 2-3
    int chain_ = 0;
    void note(int a, int b, int slot) {
        for (int v : {a, b}) {
            if (mark_[v] != chain_) mark_[v] = chain_, tabu_[v] = {-1, -1, -1, -1};
        }
        auto put = [&](int v, int w) {
            auto& tv = tabu_[v];
            if (tv[slot] < 0) tv[slot] = w;
            else tv[slot + 1] = w;
        };
        put(a, b);
        put(b, a);
    }
    bool noted(int a, int b, int slot) const {
        if (mark_[a] != chain_) return false;
        return tabu_[a][slot] == b || tabu_[a][slot + 1] == b;
    }
    bool was_added(int a, int b) const { return noted(a, b, 0); }
    bool was_removed(int a, int b) const { return noted(a, b, 2); }
    std::vector<std::pair<int, int>> undo_;
    std::vector<int> touched_;
    int max_level = 6;

    void flip_pos(int i, int j) {
        reverse_pos(i, j);
        undo_.emplace_back(i, j);
    }
    // As reverse_path, recorded for undoing.
    bool flip_path(int x, int y, int dir) {
        int i = dir == 0 ? pos[x] : pos[y];
        int j = dir == 0 ? pos[y] : pos[x];
        int len = wrap(j - i) + 1;
        if (sym && 2 * len > n) {
            flip_pos(wrap(j + 1), wrap(i - 1));
            return true;
        }
        flip_pos(i, j);
        return false;
    }
    void flip_blocks(int x, int y, int z) {
        int lx = wrap(y - x), ly = wrap(z - y), lz = n - lx - ly;
        int s0 = x, mid = y, e = z;
        if (!(lz >= lx && lz >= ly)) {
            if (lx >= ly) {
                s0 = y, mid = z, e = x;
            } else {
                s0 = z, mid = x, e = y;
            }
        }
        flip_pos(s0, wrap(mid - 1));
        flip_pos(mid, wrap(e - 1));
        flip_pos(s0, wrap(e - 1));
    }

    // Make basic move `type` (0: 2-opt, 1-4: the 3-opt reconnections); the direction after.
    int make(int type, int dir, int t1, int t2, int t3, int t4, int t5, int t6) {
        if (type == 0) return flip_path(t2, t4, dir) ? 1 - dir : dir;
        if (type == 1) {
            if (dir == 0)
                flip_blocks(pos[t2], pos[t6], pos[t4]);
            else
                flip_blocks(pos[t3], pos[t5], pos[t1]);
            return dir;
        }
        int x1 = t2, y1 = t6, x2 = t5, y2 = t3;  // type 2: reverse t2..t6, then t5..t3
        if (type == 3) x1 = t2, y1 = t4, x2 = t4, y2 = t6;
        if (type == 4) x1 = t6, y1 = t4, x2 = t2, y2 = t6;
        int d2 = flip_path(x1, y1, dir) ? 1 - dir : dir;
        return flip_path(x2, y2, d2) ? 1 - d2 : d2;
    }

    int cand(int v, int q) const {
        if (ka > 0) return al[static_cast<size_t>(v) * ka + q];
        return sym ? nb_out[static_cast<size_t>(v) * k + q] : nb_in[static_cast<size_t>(v) * k + q];
    }

    bool or_opt(int t1) {
        for (int dir0 = 0; dir0 < (sym ? 2 : 1); ++dir0) {
            int dir = dir0;
            int t2 = nxt(t1, dir);
            i64 big_g = dir == 0 ? D(t1, t2) : D(t2, t1);
            if (mark_.empty()) mark_.assign(n, -1), tabu_.assign(n, {-1, -1, -1, -1});
            ++chain_;
            undo_.clear();
            touched_.clear();
            note(t1, t2, 2);
            touched_.push_back(t1);
            touched_.push_back(t2);
            for (int level = 0; level < max_level; ++level) {
                int bt_ = -1, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
                i64 bg = 0;
                const int kc = ka > 0 ? ka : k;
                for (int q3 = 0; q3 < kc; ++q3) {
                    const int t3 = cand(t2, q3);
                    const i64 g1 = big_g - D(t3, t2);
                    if (g1 <= 0) {
                        if (ka == 0) break;
                        continue;
                    }
                    if (t3 == t1 || t3 == nxt(t2, dir) || t3 == prv(t2, dir)) continue;
                    if (was_removed(t2, t3)) continue;
                    for (int c4 = 0; c4 < (sym ? 2 : 1); ++c4) {
                        const int t4 = c4 == 0 ? nxt(t3, dir) : prv(t3, dir);
                        if (t4 == t1 || was_added(t3, t4)) continue;
                        const i64 g1b = g1 + D(t3, t4);
                        ++work;
                        if (c4 == 1) {
                            i64 close = g1b - D(t4, t1);
                            if (close > 0) {
                                make(0, dir, t1, t2, t3, t4, 0, 0);
                                return done(close, {t3, t4});
                            }
                            if (g1b > bg) bg = g1b, bt_ = 0, b3 = t3, b4 = t4;
                        }
                        for (int q5 = 0; q5 < kc; ++q5) {
                            const int t5 = cand(t4, q5);
                            const i64 g2 = g1b - D(t5, t4);
                            if (g2 <= 0) {
                                if (ka == 0) break;
                                continue;
                            }
                            ++work;
                            if (t5 == t3 || t5 == t1 || t5 == nxt(t4, dir) || t5 == prv(t4, dir))
                                continue;
                            if (was_removed(t4, t5)) continue;
                            int type = 0, t6 = -1;
                            if (c4 == 0) {
                                if (!between(t2, t5, t3, dir)) continue;
                                if (t5 != t3) {
                                    int c6 = nxt(t5, dir);
                                    if (!was_added(t5, c6)) {
                                        i64 keep = g2 + D(t5, c6);
                                        i64 close = keep - D(t1, c6);
                                        if (close > 0) {
                                            make(1, dir, t1, t2, t3, t4, t5, c6);
                                            return done(close, {t3, t4, t5, c6});
                                        }
                                        if (keep > bg) bg = keep, bt_ = 1, b3 = t3, b4 = t4, b5 = t5, b6 = c6;
                                    }
                                }
                                if (!sym || t5 == t2) continue;
                                type = 2, t6 = prv(t5, dir);
                            } else if (between(t3, t5, t1, dir)) {
                                type = 3, t6 = prv(t5, dir);
                            } else {
                                type = 4, t6 = nxt(t5, dir);
                            }
                            if (was_added(t5, t6)) continue;
                            i64 keep = g2 + D(t5, t6);
                            i64 close = keep - D(t6, t1);
                            if (close > 0) {
                                make(type, dir, t1, t2, t3, t4, t5, t6);
                                return done(close, {t3, t4, t5, t6});
                            }
                            if (keep > bg) bg = keep, bt_ = type, b3 = t3, b4 = t4, b5 = t5, b6 = t6;
                        }
                    }
                }
                if (bt_ < 0 || level + 1 == max_level) break;
                // No closing gains: make the most promising move and go on from (t1, t_last).
                dir = make(bt_, dir, t1, t2, b3, b4, b5, b6);
                note(t2, b3, 0);
                note(b3, b4, 2);
                touched_.push_back(b3);
                touched_.push_back(b4);
                int last = b4;
                if (bt_ != 0) {
                    note(b4, b5, 0);
                    note(b5, b6, 2);
                    touched_.push_back(b5);
                    touched_.push_back(b6);
                    last = b6;
                }
                big_g = bg;
                t2 = last;
            }
            for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) reverse_pos(it->first, it->second);
            undo_.clear();
        }
        return false;
    }

    bool done(i64 gain, std::initializer_list<int> more) {
        cur -= gain;
        for (int v : touched_) push(v);
        for (int v : more) push(v);
        undo_.clear();
        return true;
    }

    void descend() {
        while (qn > 0) {
            int a = queue[qh];
            qh = qh + 1 == n ? 0 : qh + 1;
            --qn;
            inq[a] = 0;
            if (two_or_opt(a) || or_opt(a)) {
                push(a);
#ifdef PAPERROUTE_DEBUG
                if (cur != length_of(t)) {
                    fprintf(stderr, "length drift after a move at %d: %lld vs %lld\n", a,
                            (long long)cur, (long long)length_of(t));
                    abort();
                }
#endif
            }
        }
    }

    // -- the iterated local search -------------------------------------------------------------

    void copy_journaled(const std::vector<int>& src, std::vector<int>& dst,
                        std::vector<int>& dst_pos) {
        if (journal_full) {
            for (int p = 0; p < n; ++p) dst[p] = src[p], dst_pos[src[p]] = p;
            work += n;
        } else {
            for (auto [start, count] : journal) {
                for (int q = 0, p = start; q < count; ++q) {
                    int x = src[p];
                    dst[p] = x;
                    dst_pos[x] = p;
                    p = p + 1 == n ? 0 : p + 1;
                }
                work += count;
            }
        }
        journal.clear();
        journal_full = false;
    }

    void start(const i64* order, int count) {
        for (int i = 0; i < count; ++i) push(static_cast<int>(order[i]));
        cur = length_of(t);
        while (qn > 0) {
            journal.clear();
            descend();
        }
        journal.clear();
        journal_full = false;
        acc = best = walk_record = cur;
        walk_since = 0;
        // The slack: a share of the first local optimum's mean edge, in integers.
        slack = slack_permille * best / (1000LL * n);
        at = t;
        apos = pos;
        bt = t;
    }

    // v X Y Z w -> v Z Y X w with X, Y and Z of 1..max_seg nodes each, starting at position p0:
    // four new edges, which no single sequential move of the local search takes back.
    void triple_bridge(int p0, int cap) {
        int l1 = 1 + static_cast<int>(rng.below(cap)), l2 = 1 + static_cast<int>(rng.below(cap));
        int l3 = 1 + static_cast<int>(rng.below(cap));
        int len = l1 + l2 + l3;
        int v = t[p0], w = t[wrap(p0 + len + 1)];
        int x0 = t[wrap(p0 + 1)], x1 = t[wrap(p0 + l1)];
        int y0 = t[wrap(p0 + l1 + 1)], y1 = t[wrap(p0 + l1 + l2)];
        int z0 = t[wrap(p0 + l1 + l2 + 1)], z1 = t[wrap(p0 + len)];
        cur += D(v, z0) + D(z1, y0) + D(y1, x0) + D(x1, w);
        cur -= D(v, x0) + D(x1, y0) + D(y1, z0) + D(z1, w);
        for (int q = 0; q < len; ++q) buf[q] = t[wrap(p0 + 1 + q)];
        log(p0 + 1, len);
        work += len;
        int p = wrap(p0 + 1);
        auto place = [&](int from, int count) {
            for (int q = 0; q < count; ++q) {
                int x = buf[from + q];
                t[p] = x;
                pos[x] = p;
                p = p + 1 == n ? 0 : p + 1;
            }
        };
        place(l1 + l2, l3);
        place(l1, l2);
        place(0, l1);
        prefix_ok = false;
        int touched[8] = {v, x0, x1, y0, y1, z0, z1, w};
        for (int x : touched) push(x);
    }

    // A global kick: two adjacent segments of up to n/4 nodes swapped, and a run of 30
    // nodes shuffled; it reaches structures no local kick does (clusters far apart).
    void global_kick() {
        int quarter = std::max(1, (n - 2) / 4);
        int p0 = static_cast<int>(rng.below(n));
        int l1 = 1 + static_cast<int>(rng.below(quarter)), l2 = 1 + static_cast<int>(rng.below(quarter));
        int a0 = t[p0], b0 = t[wrap(p0 + 1)], b1 = t[wrap(p0 + l1)];
        int c0 = t[wrap(p0 + l1 + 1)], c1 = t[wrap(p0 + l1 + l2)], d0 = t[wrap(p0 + l1 + l2 + 1)];
        cur += D(a0, c0) + D(c1, b0) + D(b1, d0) - D(a0, b0) - D(b1, c0) - D(c1, d0);
        swap_blocks(wrap(p0 + 1), wrap(p0 + l1 + 1), wrap(p0 + l1 + l2 + 1));
        int touched[6] = {a0, b0, b1, c0, c1, d0};
        for (int v : touched) push(v);
        int width = std::min(30, n - 2);
        int q0 = static_cast<int>(rng.below(n));
        auto edge_sum = [&]() {
            i64 s0 = 0;
            for (int q = -1; q < width; ++q) s0 += D(t[wrap(q0 + q)], t[wrap(q0 + q + 1)]);
            return s0;
        };
        cur -= edge_sum();
        for (int q = 0; q < width; ++q) buf[q] = t[wrap(q0 + q)];
        for (int q = width - 1; q > 0; --q) std::swap(buf[q], buf[rng.below(q + 1)]);
        log(q0, width);
        work += width;
        for (int q = 0; q < width; ++q) {
            int p = wrap(q0 + q);
            t[p] = buf[q];
            pos[buf[q]] = p;
        }
        cur += edge_sum();
        prefix_ok = false;
        push(t[wrap(q0 - 1)]);
        push(t[wrap(q0 + width)]);
        for (int q = 0; q < width; ++q) push(buf[q]);
    }

    int local_cap() const { return std::max(1, std::min(max_seg, (n - 2) / 3)); }

    // The walk starts again from the best tour, shaken by a series of local kicks.
    void restart() {
        ++restarts;
        t = bt;
        for (int p = 0; p < n; ++p) pos[t[p]] = p;
        cur = best;
        int cap = std::max(1, std::min(3 * max_seg, (n - 2) / 3));
        if (static_cast<int>(buf.size()) < 3 * cap + 8) buf.assign(3 * cap + 8, 0);
        for (int b = 0; b < restart_bridges; ++b) {
            triple_bridge(static_cast<int>(rng.below(n)), cap);
            descend();
        }
        journal.clear();
        journal_full = false;
        at = t;
        apos = pos;
        acc = walk_record = cur;
        walk_since = 0;
        prefix_ok = false;
        work += 3 * n;
    }

    // One kick: perturb, repair around the perturbation, walk on from the result if it is
    // within the slack of the best tour, otherwise take the kick back.
    void kick() {
        ++kicks;
        ++since;
        if (++walk_since >= restart_after) restart();
        journal.clear();
        journal_full = false;
        if (global_one_in > 0 && rng.below(global_one_in) == 0)
            global_kick();
        else
            triple_bridge(static_cast<int>(rng.below(n)), local_cap());
        descend();
        if (cur <= best + slack) {
            acc = cur;
            copy_journaled(t, at, apos);
            if (cur < walk_record) walk_record = cur, walk_since = 0;
            if (cur < best) {
                best = cur;
                since = 0;
                ++improvements;
                bt = t;
                work += n / 4;
            }
        } else {
            cur = acc;
            copy_journaled(at, t, pos);
            prefix_ok = false;
        }
    }

    // Kick until the work reaches limit, the search stalls, or the deadline passes.
    void run(i64 limit, const Deadline& deadline) {
        int since_check = 0;
        while (work < limit && since < stall) {
            if (++since_check == 16) {
                since_check = 0;
                if (deadline.passed()) {
                    capped = true;
                    return;
                }
            }
            kick();
        }
    }
};

// -- Python glue ------------------------------------------------------------------------------

const char* CAPSULE = "paperroute.tour.Engine";

void destroy(PyObject* capsule) {
    delete static_cast<Engine*>(PyCapsule_GetPointer(capsule, CAPSULE));
}

Engine* engine_of(PyObject* capsule) {
    return static_cast<Engine*>(PyCapsule_GetPointer(capsule, CAPSULE));
}

// create(matrix, n, symmetric, seed, params): params is an int64 array laid out as PARAMS
// in route/solver/tour.py (neighbours, alpha candidates, ascent iterations, ...).
enum Param {
    P_NEIGHBOURS,
    P_ALPHA,
    P_ASCENT,
    P_MAX_SEG,
    P_SLACK_PERMILLE,
    P_STALL,
    P_RESTART_PER_NODE,
    P_RESTART_MIN,
    P_RESTART_BRIDGES,
    P_GLOBAL_ONE_IN,
    P_MAX_LEVEL,
    P_COUNT
};

PyObject* create(PyObject*, PyObject* args) {
    PyObject *matrix, *params;
    int n, symmetric;
    unsigned long long seed;
    if (!PyArg_ParseTuple(args, "OipKO", &matrix, &n, &symmetric, &seed, &params)) return nullptr;
    if (n < 5) return PyErr_Format(PyExc_ValueError, "the search needs at least 5 nodes");
    I64Buffer m, pb;
    if (!m.get(matrix, static_cast<Py_ssize_t>(n) * n, false, "matrix")) return nullptr;
    if (!pb.get(params, P_COUNT, false, "params")) return nullptr;
    const i64* P = pb.data();
    auto* e = new Engine();
    e->n = n;
    e->sym = symmetric != 0;
    e->k = static_cast<int>(std::max<i64>(1, P[P_NEIGHBOURS]));
    e->max_seg = static_cast<int>(std::max<i64>(1, P[P_MAX_SEG]));
    e->slack_permille = P[P_SLACK_PERMILLE];
    e->stall = P[P_STALL];
    e->restart_after = std::max<i64>(P[P_RESTART_MIN], P[P_RESTART_PER_NODE] * n);
    e->restart_bridges = static_cast<int>(P[P_RESTART_BRIDGES]);
    e->global_one_in = static_cast<int>(P[P_GLOBAL_ONE_IN]);
    e->max_level = static_cast<int>(std::max<i64>(1, P[P_MAX_LEVEL]));
    e->rng = Rng(mix_seed(seed));
    e->d.assign(m.data(), m.data() + static_cast<size_t>(n) * n);
    const i64 alpha_k = std::min<i64>(P[P_ALPHA], n - 1), ascent = P[P_ASCENT];
    Py_BEGIN_ALLOW_THREADS;
    e->t.assign(n, 0);
    e->pos.assign(n, 0);
    e->fwd.assign(n + 1, 0);
    e->bwd.assign(n + 1, 0);
    e->queue.assign(n, 0);
    e->inq.assign(n, 0);
    e->buf.assign(3 * e->max_seg + 64, 0);
    e->neighbour_lists();
    if (alpha_k > 0) {
        // Alpha-nearness on the symmetric part of the matrix (the matrix itself if symmetric),
        // with a first local optimum on nearest neighbours as the upper bound.
        e->nearest_neighbour();
        for (int p = 0; p < n; ++p) e->pos[e->t[p]] = p;
        std::vector<i64> order(n);
        for (int i = 0; i < n; ++i) order[i] = i;
        e->start(order.data(), n);
        i64 upper = 0;
        for (int i = 0; i < n; ++i) {
            int a = e->t[i], b = e->t[i + 1 == n ? 0 : i + 1];
            upper += e->sym ? e->D(a, b) : e->D(a, b) + e->D(b, a);
        }
        Engine* p = e;
        bool sym = e->sym;
        Alpha alpha(n, [p, sym](int i, int j) { return sym ? p->D(i, j) : p->D(i, j) + p->D(j, i); });
        alpha.ascend(ascent, upper, e->work);
        e->ka = static_cast<int>(alpha_k);
        e->al = alpha.candidates(e->ka, e->work);
    }
    Py_END_ALLOW_THREADS;
    return PyCapsule_New(e, CAPSULE, destroy);
}

// start(engine, tour or None): descend from the given tour (nearest neighbour if None).
PyObject* start(PyObject*, PyObject* args) {
    PyObject *capsule, *initial;
    if (!PyArg_ParseTuple(args, "OO", &capsule, &initial)) return nullptr;
    Engine* e = engine_of(capsule);
    if (!e) return nullptr;
    if (initial != Py_None) {
        I64Buffer b;
        if (!b.get(initial, e->n, false, "tour")) return nullptr;
        std::vector<char> seen(e->n, 0);
        for (int i = 0; i < e->n; ++i) {
            i64 v = b.data()[i];
            if (v < 0 || v >= e->n || seen[v])
                return PyErr_Format(PyExc_ValueError, "tour is not a permutation");
            seen[v] = 1;
            e->t[i] = static_cast<int>(v);
        }
    }
    Py_BEGIN_ALLOW_THREADS;
    if (initial == Py_None) e->nearest_neighbour();
    for (int p = 0; p < e->n; ++p) e->pos[e->t[p]] = p;
    std::vector<i64> order(e->n);
    for (int i = 0; i < e->n; ++i) order[i] = i;
    e->start(order.data(), e->n);
    Py_END_ALLOW_THREADS;
    return PyLong_FromLongLong(e->best);
}

// run(engine, work_limit, seconds): kick on; returns the best length.
PyObject* run(PyObject*, PyObject* args) {
    PyObject* capsule;
    long long limit;
    double seconds;
    if (!PyArg_ParseTuple(args, "OLd", &capsule, &limit, &seconds)) return nullptr;
    Engine* e = engine_of(capsule);
    if (!e) return nullptr;
    Py_BEGIN_ALLOW_THREADS;
    e->run(limit, Deadline(seconds));
    Py_END_ALLOW_THREADS;
    return PyLong_FromLongLong(e->best);
}

// best(engine, out): the best tour into out (int64, n).
PyObject* best(PyObject*, PyObject* args) {
    PyObject *capsule, *out;
    if (!PyArg_ParseTuple(args, "OO", &capsule, &out)) return nullptr;
    Engine* e = engine_of(capsule);
    if (!e) return nullptr;
    I64Buffer b;
    if (!b.get(out, e->n, true, "out")) return nullptr;
    for (int i = 0; i < e->n; ++i) b.data()[i] = e->bt[i];
    return PyLong_FromLongLong(e->best);
}

// configure(engine, name, value): set a search parameter by name (for tuning).
PyObject* configure(PyObject*, PyObject* args) {
    PyObject* capsule;
    const char* name;
    long long value;
    if (!PyArg_ParseTuple(args, "OsL", &capsule, &name, &value)) return nullptr;
    Engine* e = engine_of(capsule);
    if (!e) return nullptr;
    std::string key(name);
    if (key == "max_level") e->max_level = static_cast<int>(std::max(1LL, value));
    else if (key == "max_seg") e->max_seg = static_cast<int>(std::max(1LL, value));
    else if (key == "slack") e->slack = value;
    else if (key == "stall") e->stall = value;
    else if (key == "restart_after") e->restart_after = value;
    else if (key == "restart_bridges") e->restart_bridges = static_cast<int>(value);
    else if (key == "global_one_in") e->global_one_in = static_cast<int>(value);
    else return PyErr_Format(PyExc_KeyError, "no search parameter %s", name);
    if (static_cast<int>(e->buf.size()) < 9 * e->max_seg + 64) e->buf.assign(9 * e->max_seg + 64, 0);
    Py_RETURN_NONE;
}

// neighbours(engine, out): the candidate lists into out (int64, n * k); returns k.
PyObject* neighbours(PyObject*, PyObject* args) {
    PyObject *capsule, *out;
    if (!PyArg_ParseTuple(args, "OO", &capsule, &out)) return nullptr;
    Engine* e = engine_of(capsule);
    if (!e) return nullptr;
    I64Buffer b;
    if (!b.get(out, static_cast<Py_ssize_t>(e->n) * e->k, true, "out")) return nullptr;
    for (size_t i = 0; i < e->nb_out.size(); ++i) b.data()[i] = e->nb_out[i];
    return PyLong_FromLong(e->k);
}

// stats(engine): (work, kicks, since, improvements, capped, restarts)
PyObject* stats(PyObject*, PyObject* args) {
    PyObject* capsule;
    if (!PyArg_ParseTuple(args, "O", &capsule)) return nullptr;
    Engine* e = engine_of(capsule);
    if (!e) return nullptr;
    return Py_BuildValue("(LLLLOL)", static_cast<long long>(e->work),
                         static_cast<long long>(e->kicks), static_cast<long long>(e->since),
                         static_cast<long long>(e->improvements), e->capped ? Py_True : Py_False,
                         static_cast<long long>(e->restarts));
}

// polish(matrix, n, symmetric, neighbours, tour): descend from a tour, in place; its length.
PyObject* polish(PyObject*, PyObject* args) {
    PyObject *matrix, *tour;
    int n, symmetric, neighbours;
    if (!PyArg_ParseTuple(args, "OipiO", &matrix, &n, &symmetric, &neighbours, &tour))
        return nullptr;
    if (n < 5) return PyErr_Format(PyExc_ValueError, "the search needs at least 5 nodes");
    I64Buffer m, b;
    if (!m.get(matrix, static_cast<Py_ssize_t>(n) * n, false, "matrix")) return nullptr;
    if (!b.get(tour, n, true, "tour")) return nullptr;
    Engine e;
    e.n = n;
    e.sym = symmetric != 0;
    e.k = neighbours;
    e.d.assign(m.data(), m.data() + static_cast<size_t>(n) * n);
    for (int i = 0; i < n; ++i) {
        i64 v = b.data()[i];
        if (v < 0 || v >= n) return PyErr_Format(PyExc_ValueError, "tour is not a permutation");
    }
    Py_BEGIN_ALLOW_THREADS;
    e.t.assign(b.data(), b.data() + n);
    e.pos.assign(n, 0);
    for (int p = 0; p < n; ++p) e.pos[e.t[p]] = p;
    e.fwd.assign(n + 1, 0);
    e.bwd.assign(n + 1, 0);
    e.queue.assign(n, 0);
    e.inq.assign(n, 0);
    e.buf.assign(8, 0);
    e.neighbour_lists();
    std::vector<i64> order(n);
    for (int i = 0; i < n; ++i) order[i] = i;
    e.start(order.data(), n);
    Py_END_ALLOW_THREADS;
    for (int i = 0; i < n; ++i) b.data()[i] = e.t[i];
    return PyLong_FromLongLong(e.cur);
}

PyMethodDef METHODS[] = {
    {"create", create, METH_VARARGS, "A search on a matrix: (matrix, n, symmetric, seed, ...)."},
    {"start", start, METH_VARARGS, "Descend from a tour (or nearest neighbour); best length."},
    {"run", run, METH_VARARGS, "Kick until the work limit or the deadline; best length."},
    {"best", best, METH_VARARGS, "Copy the best tour out; its length."},
    {"stats", stats, METH_VARARGS, "(work, kicks, since, improvements, capped)."},
    {"neighbours", neighbours, METH_VARARGS, "Copy the candidate lists out; k."},
    {"configure", configure, METH_VARARGS, "Set a search parameter by name."},
    {"polish", polish, METH_VARARGS, "Local search from a tour, in place; its length."},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_tour", "The compiled tour engine.", -1, METHODS};

}  // namespace paperroute::tour

PyMODINIT_FUNC PyInit__tour() {
    PyObject* m = PyModule_Create(&paperroute::tour::MODULE);
    if (m && PyModule_AddStringConstant(m, "SOURCE_HASH", PAPERROUTE_SOURCE_HASH) != 0) {
        Py_DECREF(m);
        return nullptr;
    }
    return m;
}
