// The multi-carrier search's data: the problem, time-warp segments, routes and their costs.
//
// A segment is (distance, duration, time warp, earliest start, latest start, load) of a run of
// nodes; joining two is Vidal's concatenation (Vidal et al. 2013), exact for waiting allowed
// and lateness counted as time warp. Each route keeps the segments of its prefixes and
// suffixes, so a move that joins prefixes, suffixes and a chain of a few stops is costed in
// O(1) whatever the route's length.
//
// Node 0 is the depot, node m-1 the end of every route (a copy of the depot's column for closed
// routes, the fixed end's, or free for open ones); its latest time is the end of the shift.

#pragma once

#include <cstdint>

#include <algorithm>
#include <vector>

#include "common.hpp"

namespace paperroute::vrp {

struct Seg {
    i64 dist = 0, dur = 0, tw = 0, early = 0, late = 0, load = 0;
    int first = -1, last = -1;
};

struct Data {
    int m = 0;  // nodes, the end included
    int end = 0;
    std::vector<int32_t> D, T;  // metres and seconds: int32 holds them, at half the memory
    std::vector<i64> S, E, L, Q;
    i64 cap = 0, bal = 0;
    int k = 0;                 // carriers
    std::vector<int> clients;  // the stops to serve
    int G = 0;                 // neighbours per stop
    std::vector<int> nb;       // m * G, -1 padded

    i64 d(int a, int b) const { return D[static_cast<size_t>(a) * m + b]; }
    i64 t(int a, int b) const { return T[static_cast<size_t>(a) * m + b]; }
    int neighbour(int u, int q) const { return nb[static_cast<size_t>(u) * G + q]; }
    Seg node(int v) const { return {0, S[v], 0, E[v], L[v], Q[v], v, v}; }
    Seg join(const Seg& a, const Seg& b) const {
        if (a.first < 0) return b;
        if (b.first < 0) return a;
        const i64 tt = t(a.last, b.first);
        const i64 delta = a.dur - a.tw + tt;
        const i64 wait = std::max<i64>(b.early - delta - a.late, 0);
        const i64 warp = std::max<i64>(a.early + delta - b.late, 0);
        Seg s;
        s.dist = a.dist + b.dist + d(a.last, b.first);
        s.dur = a.dur + b.dur + tt + wait;
        s.tw = a.tw + b.tw + warp;
        s.early = std::max(b.early - delta, a.early) - wait;
        s.late = std::min(b.late - delta, a.late) + warp;
        s.load = a.load + b.load;
        s.first = a.first;
        s.last = b.last;
        return s;
    }
};

// The prices of infeasibility: per second of time warp, per item over the bag.
struct Penalty {
    i64 tw = 1, load = 1;
};

inline i64 seg_cost(const Data& P, const Seg& s, const Penalty& w) {
    return s.dist + w.tw * s.tw + w.load * std::max<i64>(s.load - P.cap, 0);
}

struct Route {
    std::vector<int> nodes;  // depot, stops..., end
    std::vector<Seg> fwd, bwd;
    std::vector<i64> back;  // back[p]: distance of nodes[0..p] walked the other way
    int size() const { return static_cast<int>(nodes.size()); }
    bool empty() const { return nodes.size() <= 2; }
    const Seg& whole() const { return fwd.back(); }
};

// A run of positions a..b of a route, maybe reversed; route -1 means the lone node a.
struct Piece {
    int r, a, b;
    bool rev;
};

class Routes {
  public:
    std::vector<Route> R;
    std::vector<int> rof, pos;  // route and position of each stop (-1: not routed)
    const Data* P = nullptr;

    void init(const Data& data) {
        P = &data;
        R.assign(data.k, Route{});
        for (auto& r : R) r.nodes = {0, data.end};
        rof.assign(data.m, -1);
        pos.assign(data.m, 0);
        for (int r = 0; r < data.k; ++r) rebuild(r);
    }

    void rebuild(int r) {
        Route& x = R[r];
        const int m = x.size();
        x.fwd.resize(m);
        x.bwd.resize(m);
        x.fwd[0] = P->node(x.nodes[0]);
        for (int p = 1; p < m; ++p) x.fwd[p] = P->join(x.fwd[p - 1], P->node(x.nodes[p]));
        x.bwd[m - 1] = P->node(x.nodes[m - 1]);
        for (int p = m - 2; p >= 0; --p) x.bwd[p] = P->join(P->node(x.nodes[p]), x.bwd[p + 1]);
        x.back.resize(m);
        x.back[0] = 0;
        for (int p = 1; p < m; ++p) x.back[p] = x.back[p - 1] + P->d(x.nodes[p], x.nodes[p - 1]);
        for (int p = 1; p < m - 1; ++p) rof[x.nodes[p]] = r, pos[x.nodes[p]] = p;
    }

    // The segment of a piece: stored prefix or suffix data, else joined node by node.
    Seg piece(const Piece& q, i64& walked) const {
        if (q.r < 0) return P->node(q.a);
        const Route& x = R[q.r];
        if (q.b < q.a) return Seg{};
        if (!q.rev && q.a == 0) return x.fwd[q.b];
        if (!q.rev && q.b == x.size() - 1) return x.bwd[q.a];
        if (q.a == q.b) return P->node(x.nodes[q.a]);
        walked += q.b - q.a;
        Seg s;
        if (q.rev) {
            for (int p = q.b; p >= q.a; --p) s = P->join(s, P->node(x.nodes[p]));
        } else {
            for (int p = q.a; p <= q.b; ++p) s = P->join(s, P->node(x.nodes[p]));
        }
        return s;
    }

    // The route made of pieces: its segment and node count.
    Seg join(const Piece* q, int n, int& count, i64& walked) const {
        Seg s;
        count = 0;
        for (int i = 0; i < n; ++i) {
            if (q[i].r >= 0 && q[i].b < q[i].a) continue;
            count += q[i].r < 0 ? 1 : q[i].b - q[i].a + 1;
            s = P->join(s, piece(q[i], walked));
        }
        return s;
    }

    // Distance of the route made of pieces (0 if it would be empty), without joining
    // segments: prefix sums inside the pieces, arcs between them; its load into `load`.
    i64 distance(const Piece* q, int n, i64& load) const {
        i64 dist = 0;
        load = 0;
        int count = 0, last = -1;
        for (int i = 0; i < n; ++i) {
            int first, tail;
            if (q[i].r < 0) {
                first = tail = q[i].a;
                load += P->Q[q[i].a];
                ++count;
            } else {
                if (q[i].b < q[i].a) continue;
                const Route& x = R[q[i].r];
                count += q[i].b - q[i].a + 1;
                load += x.fwd[q[i].b].load - (q[i].a > 0 ? x.fwd[q[i].a - 1].load : 0);
                if (q[i].rev) {
                    first = x.nodes[q[i].b], tail = x.nodes[q[i].a];
                    dist += x.back[q[i].b] - x.back[q[i].a];
                } else {
                    first = x.nodes[q[i].a], tail = x.nodes[q[i].b];
                    dist += x.fwd[q[i].b].dist - x.fwd[q[i].a].dist;
                }
            }
            if (last >= 0) dist += P->d(last, first);
            last = tail;
        }
        return count <= 2 ? 0 : dist;
    }

    // Lay out pieces as route r's new sequence.
    void write(const Piece* q, int n, std::vector<int>& out) const {
        out.clear();
        for (int i = 0; i < n; ++i) {
            if (q[i].r < 0) {
                out.push_back(q[i].a);
                continue;
            }
            const auto& nodes = R[q[i].r].nodes;
            if (q[i].rev) {
                for (int p = q[i].b; p >= q[i].a; --p) out.push_back(nodes[p]);
            } else {
                for (int p = q[i].a; p <= q[i].b; ++p) out.push_back(nodes[p]);
            }
        }
    }

    i64 route_cost(int r, const Penalty& w) const {
        return R[r].empty() ? 0 : seg_cost(*P, R[r].whole(), w);
    }

    // Totals over the routes: distance, time warp, excess load, longest duration.
    void totals(i64 out[4]) const {
        out[0] = out[1] = out[2] = out[3] = 0;
        for (const Route& x : R) {
            if (x.empty()) continue;
            const Seg& s = x.whole();
            out[0] += s.dist;
            out[1] += s.tw;
            out[2] += std::max<i64>(s.load - P->cap, 0);
            out[3] = std::max(out[3], s.dur);
        }
    }

    i64 penalised(const Penalty& w) const {
        i64 t[4];
        totals(t);
        return t[0] + w.tw * t[1] + w.load * t[2] + P->bal * t[3];
    }

    bool feasible() const {
        i64 t[4];
        totals(t);
        return t[1] == 0 && t[2] == 0;
    }

    i64 objective() const {
        i64 t[4];
        totals(t);
        return t[0] + P->bal * t[3];
    }
};

}  // namespace paperroute::vrp
