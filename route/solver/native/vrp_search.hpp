// The multi-carrier search's moves: granular local search, SWAP*, ruin and recreate.
//
// Moves are tried between each stop u and its nearest neighbours v (granular neighbourhoods,
// Toth and Vigo 2003): relocating a chain of 1-3 stops after or before v (also reversed),
// swapping chains of 1-2 stops, 2-opt* between routes and 2-opt inside a route; the first
// move that lowers the penalised cost is made. SWAP* (Vidal 2022) exchanges two stops of two
// routes, each going to its best place in the other route rather than the other's place.
// Ruin and recreate removes strings of nearby stops (SISR, Christiaens and Vanden Berghe
// 2020) and reinserts them one by one where they cost least, skipping a few places (blinks).

#pragma once

#include <array>
#include <climits>
#include <cstdlib>
#include <vector>

#include "vrp_core.hpp"

namespace paperroute::vrp {

// Moves tried per pair of stops: 12 relocations (1-3 stops, after or before the neighbour,
// forwards or reversed), 4 swaps, 2 kinds of 2-opt*, 1 intra-route 2-opt.
constexpr int N_MOVES = 19;
// Farthest apart (positions) two stops of one route may be for a move between them: such
// moves are costed by walking the stops between.
constexpr int INTRA_REACH = 24;

class Search {
  public:
    const Data& P;
    Routes S;
    Penalty w;
    Rng rng;
    i64 work = 0;

    Search(const Data& data, u64 seed) : P(data), rng(seed) {
        S.init(data);
        rc.assign(data.k, 0);
        rd.assign(data.k, 0);
        active.assign(data.m, 0);
        order = data.clients;
    }

    // -- costing -----------------------------------------------------------------------------

    void costs() {
        for (int r = 0; r < P.k; ++r) {
            rc[r] = S.route_cost(r, w);
            rd[r] = S.R[r].empty() ? 0 : S.R[r].whole().dur;
        }
    }

    // A lower bound on the penalised cost of the route made of pieces q, from prefix sums
    // alone: its distance and load excess, time warp taken as none.
    i64 lower_cost(const Piece* q, int n) const {
        i64 load = 0;
        const i64 dist = S.distance(q, n, load);
        return dist + w.load * std::max<i64>(load - P.cap, 0);
    }

    // The matching upper bound on the gain of replacing route r by pieces q (one unit of work).
    i64 bound_gain(const Piece* q, int n, int r) {
        ++work;
        return rc[r] - lower_cost(q, n);
    }

    // Penalised gain of replacing route r1 by pieces p1 (and r2 by p2 if r2 >= 0). With
    // `screen`, a move is first bounded by what prefix sums give at once: the new routes'
    // distance and load excess, time warp taken as none. A move whose bound does not gain is
    // turned down (0 returned) without joining the time-warp segments.
    i64 gain(const Piece* p1, int n1, int r1, const Piece* p2, int n2, int r2, bool screen = false) {
        if (screen && P.bal == 0) {
            i64 before = rc[r1], after = lower_cost(p1, n1);
            if (r2 >= 0) before += rc[r2], after += lower_cost(p2, n2);
            ++work;
            if (after >= before) return 0;
        }
        i64 walked = 0;
        int c1 = 0, c2 = 0;
        Seg s1 = S.join(p1, n1, c1, walked);
        i64 new1 = c1 <= 2 ? 0 : seg_cost(P, s1, w), dur1 = c1 <= 2 ? 0 : s1.dur;
        i64 old = rc[r1], new2 = 0, dur2 = 0;
        if (r2 >= 0) {
            Seg s2 = S.join(p2, n2, c2, walked);
            new2 = c2 <= 2 ? 0 : seg_cost(P, s2, w);
            dur2 = c2 <= 2 ? 0 : s2.dur;
            old += rc[r2];
        }
        work += 4 + walked / 2;
        i64 g = old - new1 - new2;
        if (P.bal > 0) {
            i64 before = 0, after = std::max(dur1, dur2);
            for (int r = 0; r < P.k; ++r) {
                before = std::max(before, rd[r]);
                if (r != r1 && r != r2) after = std::max(after, rd[r]);
            }
            g += P.bal * (before - after);
        }
        return g;
    }

    void apply(const Piece* p1, int n1, int r1, const Piece* p2, int n2, int r2) {
        S.write(p1, n1, buf1);
        if (r2 >= 0) S.write(p2, n2, buf2);
        S.R[r1].nodes = buf1;
        if (r2 >= 0) S.R[r2].nodes = buf2;
        S.rebuild(r1);
        if (r2 >= 0) S.rebuild(r2);
        work += S.R[r1].size() + (r2 >= 0 ? S.R[r2].size() : 0);
        rc[r1] = S.route_cost(r1, w);
        rd[r1] = S.R[r1].empty() ? 0 : S.R[r1].whole().dur;
        if (r2 >= 0) {
            rc[r2] = S.route_cost(r2, w);
            rd[r2] = S.R[r2].empty() ? 0 : S.R[r2].whole().dur;
        }
    }

    // Mark the stops at positions p-1..p+1 of route r for another look.
    void wake(int r, int p) {
        const auto& x = S.R[r].nodes;
        for (int i = std::max(p - 1, 1); i < std::min(p + 2, static_cast<int>(x.size()) - 1); ++i)
            active[x[i]] = 1;
    }

    // -- the moves between u and its neighbour v ----------------------------------------------

    // Pieces of move mv of stop u (route ru, position pu, end position eu) towards v; returns
    // false if the move does not apply.
    bool fill(int mv, int ru, int pu, int eu, int rv, int pv, int ev, int& n1, int& n2, int& r2) {
        const bool same = ru == rv;
        r2 = -1;
        n2 = 0;
        if (mv < 12) {  // relocate u's chain after (side 0) or before (side 1) v
            const int ln = mv / 4 + 1, side = (mv / 2) % 2;
            const bool rev = mv % 2;
            const int ce = pu + ln - 1;
            if ((rev && ln == 1) || ce > eu - 1) return false;
            const int ip = pv - side;
            if (!same) {
                A[0] = {ru, 0, pu - 1, false}, A[1] = {ru, ce + 1, eu, false}, n1 = 2;
                B[0] = {rv, 0, ip, false}, B[1] = {ru, pu, ce, rev}, B[2] = {rv, ip + 1, ev, false};
                n2 = 3, r2 = rv;
                return true;
            }
            if (std::abs(pv - pu) > INTRA_REACH) return false;
            if (ip < pu - 1) {
                A[0] = {ru, 0, ip, false}, A[1] = {ru, pu, ce, rev};
                A[2] = {ru, ip + 1, pu - 1, false}, A[3] = {ru, ce + 1, eu, false};
                n1 = 4;
                return true;
            }
            if (ip > ce) {
                A[0] = {ru, 0, pu - 1, false}, A[1] = {ru, ce + 1, ip, false};
                A[2] = {ru, pu, ce, rev}, A[3] = {ru, ip + 1, eu, false};
                n1 = 4;
                return true;
            }
            return false;
        }
        if (mv < 16) {  // swap chains of 1-2 stops between routes
            const int l1 = (mv - 12) / 2 + 1, l2 = (mv - 12) % 2 + 1;
            const int cu = pu + l1 - 1, cv = pv + l2 - 1;
            if (same || cu > eu - 1 || cv > ev - 1) return false;
            A[0] = {ru, 0, pu - 1, false}, A[1] = {rv, pv, cv, false}, A[2] = {ru, cu + 1, eu, false};
            B[0] = {rv, 0, pv - 1, false}, B[1] = {ru, pu, cu, false}, B[2] = {rv, cv + 1, ev, false};
            n1 = n2 = 3, r2 = rv;
            return true;
        }
        if (mv < 18) {  // 2-opt*: u's route goes on with v's tail (after v, or from v on)
            if (same) return false;
            const int cut = pv - (mv - 16);
            A[0] = {ru, 0, pu, false}, A[1] = {rv, cut + 1, ev, false};
            B[0] = {rv, 0, cut, false}, B[1] = {ru, pu + 1, eu, false};
            n1 = n2 = 2, r2 = rv;
            return true;
        }
        // 2-opt inside the route: reverse what lies between so that u and v become neighbours.
        if (!same || std::abs(pv - pu) > INTRA_REACH) return false;
        if (pu < pv) {
            A[0] = {ru, 0, pu, false}, A[1] = {ru, pu + 1, pv, true}, A[2] = {ru, pv + 1, eu, false};
        } else {
            A[0] = {ru, 0, pv - 1, false}, A[1] = {ru, pv, pu - 1, true}, A[2] = {ru, pu, eu, false};
        }
        n1 = 3;
        return true;
    }

    // Try the moves of stop u towards its neighbour v; make the first that gains.
    bool moves(int u, int v) {
        const int ru = S.rof[u], pu = S.pos[u], rv = S.rof[v], pv = S.pos[v];
        const int eu = S.R[ru].size() - 1, ev = S.R[rv].size() - 1;
        for (int mv = 0; mv < N_MOVES; ++mv) {
            int n1 = 0, n2 = 0, r2 = -1;
            if (!fill(mv, ru, pu, eu, rv, pv, ev, n1, n2, r2)) continue;
            if (gain(A, n1, ru, B, n2, r2, true) > 0) {
                apply(A, n1, ru, B, n2, r2);
                return true;
            }
        }
        return false;
    }

    // Open an unused carrier: move stop u into it, or hand it the route's tail after u.
    bool to_empty(int u) {
        const int ru = S.rof[u], pu = S.pos[u], eu = S.R[ru].size() - 1;
        int re = -1;
        for (int r = 0; r < P.k; ++r)
            if (S.R[r].empty() && r != ru) {
                re = r;
                break;
            }
        if (re < 0) return false;
        for (int mv = 0; mv < 2; ++mv) {
            B[0] = {re, 0, 0, false};
            int n2;
            if (mv == 0) {
                A[0] = {ru, 0, pu - 1, false}, A[1] = {ru, pu + 1, eu, false};
                B[1] = {-1, u, u, false}, B[2] = {re, 1, 1, false}, n2 = 3;
            } else {
                A[0] = {ru, 0, pu, false}, A[1] = {re, 1, 1, false};
                B[1] = {ru, pu + 1, eu, false}, n2 = 2;
            }
            if (gain(A, 2, ru, B, n2, re) > 0) {
                apply(A, 2, ru, B, n2, re);
                return true;
            }
        }
        return false;
    }

    // -- SWAP* -----------------------------------------------------------------------------------

    // The cheapest places to insert u into route r as it is (up to three, distinct positions).
    struct Places {
        std::array<i64, 3> cost;
        std::array<int, 3> at;  // insert after this position
    };

    void best_places(int u, int r, Places& out) {
        out.cost = {LLONG_MAX, LLONG_MAX, LLONG_MAX};
        out.at = {-1, -1, -1};
        const Route& x = S.R[r];
        for (int p = 0; p + 1 < x.size(); ++p) {
            Piece q[3] = {{r, 0, p, false}, {-1, u, u, false}, {r, p + 1, x.size() - 1, false}};
            if (-bound_gain(q, 3, r) >= out.cost[2]) continue;
            i64 walked = 0;
            int c = 0;
            i64 cost = seg_cost(P, S.join(q, 3, c, walked), w) - rc[r];
            ++work;
            for (int i = 0; i < 3; ++i) {
                if (cost < out.cost[i]) {
                    for (int j = 2; j > i; --j) out.cost[j] = out.cost[j - 1], out.at[j] = out.at[j - 1];
                    out.cost[i] = cost, out.at[i] = p;
                    break;
                }
            }
        }
    }

    // The pieces of route r with the stop at position pv taken out and u inserted after
    // position `at` (at == pv - 1 or pv: in v's place); returns the piece count.
    int swapped(int r, int pv, int u, int at, Piece* q) {
        const int e = S.R[r].size() - 1;
        if (at == pv - 1 || at == pv) {
            q[0] = {r, 0, pv - 1, false}, q[1] = {-1, u, u, false}, q[2] = {r, pv + 1, e, false};
            return 3;
        }
        if (at < pv) {
            q[0] = {r, 0, at, false}, q[1] = {-1, u, u, false};
            q[2] = {r, at + 1, pv - 1, false}, q[3] = {r, pv + 1, e, false};
            return 4;
        }
        q[0] = {r, 0, pv - 1, false}, q[1] = {r, pv + 1, at, false};
        q[2] = {-1, u, u, false}, q[3] = {r, at + 1, e, false};
        return 4;
    }

    // SWAP* between routes r1 and r2: the best exchange of a stop of each, by the insertion
    // costs of the routes as they are, checked exactly before it is made.
    bool swap_star(int r1, int r2) {
        const Route &x1 = S.R[r1], &x2 = S.R[r2];
        if (x1.empty() || x2.empty()) return false;
        const int m1 = x1.size() - 2, m2 = x2.size() - 2;
        places1.resize(m1);  // places in r2 of each stop of r1
        places2.resize(m2);
        for (int i = 0; i < m1; ++i) best_places(x1.nodes[i + 1], r2, places1[i]);
        for (int j = 0; j < m2; ++j) best_places(x2.nodes[j + 1], r1, places2[j]);
        i64 best = 0;
        int bu = -1, bv = -1, bat1 = -1, bat2 = -1;
        for (int i = 0; i < m1; ++i) {
            const int u = x1.nodes[i + 1], pu = i + 1;
            for (int j = 0; j < m2; ++j) {
                const int v = x2.nodes[j + 1], pv = j + 1;
                // u into r2 without v: its best place not next to v, or v's own place.
                int at2 = pv - 1;
                for (int q = 0; q < 3; ++q) {
                    int a = places1[i].at[q];
                    if (a >= 0 && a != pv - 1 && a != pv) {
                        at2 = a;
                        break;
                    }
                }
                int at1 = pu - 1;
                for (int q = 0; q < 3; ++q) {
                    int a = places2[j].at[q];
                    if (a >= 0 && a != pu - 1 && a != pu) {
                        at1 = a;
                        break;
                    }
                }
                Piece q1[4], q2[4];
                int n1 = swapped(r1, pu, v, at1, q1), n2 = swapped(r2, pv, u, at2, q2);
                i64 g = gain(q1, n1, r1, q2, n2, r2, true);
                // The other choice for each: v's (u's) own place.
                if (at2 != pv - 1) {
                    int n2b = swapped(r2, pv, u, pv - 1, q2);
                    i64 gb = gain(q1, n1, r1, q2, n2b, r2, true);
                    if (gb > g) g = gb, at2 = pv - 1;
                }
                if (g > best) best = g, bu = pu, bv = pv, bat1 = at1, bat2 = at2;
            }
        }
        if (bu < 0) return false;
        Piece q1[4], q2[4];
        int u = x1.nodes[bu], v = x2.nodes[bv];
        int n1 = swapped(r1, bu, v, bat1, q1), n2 = swapped(r2, bv, u, bat2, q2);
        apply(q1, n1, r1, q2, n2, r2);
        active[u] = active[v] = 1;
        return true;
    }

    // SWAP* between every two of the routes the given stops are in; whether any was made.
    bool swap_star_among(const std::vector<int>& stops) {
        routes_of.clear();
        for (int c : stops) routes_of.push_back(S.rof[c]);
        std::sort(routes_of.begin(), routes_of.end());
        routes_of.erase(std::unique(routes_of.begin(), routes_of.end()), routes_of.end());
        bool any = false;
        for (size_t a = 0; a < routes_of.size(); ++a)
            for (size_t b = a + 1; b < routes_of.size(); ++b) any |= swap_star(routes_of[a], routes_of[b]);
        return any;
    }

    // Route pairs worth a SWAP*: some stop of one has a near neighbour in the other.
    void swap_star_pass(i64 limit) {
        std::vector<char> near(static_cast<size_t>(P.k) * P.k, 0);
        for (int u : P.clients) {
            int ru = S.rof[u];
            for (int q = 0; q < std::min(P.G, 10); ++q) {
                int v = P.neighbour(u, q);
                if (v < 0) break;
                int rv = S.rof[v];
                if (rv != ru) near[static_cast<size_t>(std::min(ru, rv)) * P.k + std::max(ru, rv)] = 1;
            }
        }
        for (int r1 = 0; r1 < P.k; ++r1)
            for (int r2 = r1 + 1; r2 < P.k; ++r2) {
                if (work >= limit) return;
                if (near[static_cast<size_t>(r1) * P.k + r2]) swap_star(r1, r2);
            }
    }

    // -- local search ---------------------------------------------------------------------------

    // First-improvement descent over the active stops until none gains (or work runs out).
    void local_search(i64 limit) {
        costs();
        bool again = true;
        while (again && work < limit) {
            again = false;
            shuffle(order);
            for (int u : order) {
                if (!active[u]) continue;
                active[u] = 0;
                for (int q = 0; q < P.G; ++q) {
                    const int v = P.neighbour(u, q);
                    if (v < 0) break;
                    const int ru = S.rof[u], pu = S.pos[u], rv = S.rof[v], pv = S.pos[v];
                    if (moves(u, v)) {
                        again = true;
                        active[u] = active[v] = 1;
                        wake(ru, std::min(pu, S.R[ru].size() - 2));
                        wake(rv, std::min(pv, S.R[rv].size() - 2));
                        wake(S.rof[u], S.pos[u]);
                        wake(S.rof[v], S.pos[v]);
                    }
                }
                const int ru = S.rof[u], pu = S.pos[u];
                if (to_empty(u)) {
                    again = true;
                    wake(ru, std::min(pu, S.R[ru].size() - 2));
                }
                if (work >= limit) return;
            }
        }
    }

    // The descent, then SWAP* and the descent again while SWAP* finds something.
    void improve(i64 limit, bool swapstar) {
        local_search(limit);
        if (!swapstar) return;
        for (int round = 0; round < 4 && work < limit; ++round) {
            i64 before = S.penalised(w);
            swap_star_pass(limit);
            if (S.penalised(w) >= before) break;
            local_search(limit);
        }
    }

    // -- ruin and recreate ------------------------------------------------------------------------

    template <class V>
    void shuffle(V& a) {
        for (int i = static_cast<int>(a.size()) - 1; i > 0; --i) std::swap(a[i], a[rng.below(i + 1)]);
    }

    // Remove strings of stops around a random stop and its neighbours; the removed stops.
    void ruin(std::vector<int>& removed, int average) {
        removed.clear();
        const int nc = static_cast<int>(P.clients.size());
        int want = std::min<int>(std::max(1, average / 2 + static_cast<int>(rng.below(average + 1))),
                                 std::max(1, nc / 3));
        const int centre = P.clients[rng.below(nc)];
        ruined.assign(P.k, 0);
        for (int i = -1; i < P.G && static_cast<int>(removed.size()) < want; ++i) {
            const int v = i < 0 ? centre : P.neighbour(centre, i);
            if (v < 0) break;
            if (S.rof[v] < 0) continue;
            const int r = S.rof[v];
            Route& x = S.R[r];
            const int inner = x.size() - 2;
            // A route gives one string, and one more per 16 stops it has: removals spread
            // over several routes where they are short, as in SISR.
            if (ruined[r] > inner / 16) continue;
            ++ruined[r];
            const int room = want - static_cast<int>(removed.size());
            const int ln = 1 + static_cast<int>(rng.below(std::min({10, inner, room})));
            const int first = std::min(std::max(S.pos[v] - static_cast<int>(rng.below(ln)), 1), inner - ln + 1);
            for (int p = first; p < first + ln; ++p) removed.push_back(x.nodes[p]), S.rof[x.nodes[p]] = -1;
            x.nodes.erase(x.nodes.begin() + first, x.nodes.begin() + first + ln);
            S.rebuild(r);
            work += x.size();
            wake(r, first);
            wake(r, first - 1);
        }
    }

    // Insert the stops one by one where they cost least, skipping a place now and then.
    void recreate(const std::vector<int>& todo, int blink_permille) {
        costs();
        for (int c : todo) {
            i64 best = LLONG_MIN;
            int br = -1, bp = -1;
            bool tried_empty = false;
            for (int r = 0; r < P.k; ++r) {
                const Route& x = S.R[r];
                // One empty route is enough to try: they are all alike.
                if (x.empty()) {
                    if (tried_empty) continue;
                    tried_empty = true;
                }
                for (int p = 0; p + 1 < x.size(); ++p) {
                    if (blink_permille > 0 && rng.below(1000) < blink_permille) continue;
                    A[0] = {r, 0, p, false}, A[1] = {-1, c, c, false}, A[2] = {r, p + 1, x.size() - 1, false};
                    if (P.bal == 0 && bound_gain(A, 3, r) <= best) continue;
                    i64 g = gain(A, 3, r, B, 0, -1);
                    if (g > best) best = g, br = r, bp = p;
                }
            }
            if (br < 0) br = 0, bp = 0;
            const Route& x = S.R[br];
            A[0] = {br, 0, bp, false}, A[1] = {-1, c, c, false}, A[2] = {br, bp + 1, x.size() - 1, false};
            apply(A, 3, br, B, 0, -1);
            active[c] = 1;
            wake(br, S.pos[c]);
        }
    }

  private:
    std::vector<i64> rc, rd;  // each route's penalised cost and duration
    std::vector<char> active, ruined;
    std::vector<int> order;
    Piece A[6], B[6];
    std::vector<int> buf1, buf2;
    std::vector<Places> places1, places2;
    std::vector<int> routes_of;

  public:
    void activate_all() {
        for (int c : P.clients) active[c] = 1;
    }
    void activate(int c) { active[c] = 1; }
};

}  // namespace paperroute::vrp
