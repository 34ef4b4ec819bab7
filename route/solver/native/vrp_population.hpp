// The multi-carrier search's population: the hybrid genetic search of Vidal et al. (2012) in
// the form Vidal (2022) and PyVRP (Wouda et al. 2024) give it.
//
// Solutions live in two subpopulations, feasible and infeasible. Parents are drawn by binary
// tournament on biased fitness (rank by penalised cost plus rank by diversity, the mean
// broken-pairs distance to the closest others); their child comes from the selective route
// exchange (SREX, Nagata and Kobayashi 2010): a run of neighbouring routes of one parent
// replaces a run of the other's, the stops left out are inserted where they cost least. It
// takes no split, so it works as it is with time windows, shift limits and asymmetric
// matrices. The child is educated by the local search; an infeasible one is, half the time,
// repaired under ten times the penalties. A subpopulation that grows to mu + lambda is cut
// back to mu, clones first, then the worst by biased fitness.
//
// The routes are ordered by the angle of their centre around the stops' centre. No
// coordinates come with the problem, only matrices, so the nodes get a plane embedding from
// the symmetric part of the distance matrix (FastMap, Faloutsos and Lin 1995): exact for
// Euclidean distances up to a rotation, a sensible order for road networks.

#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>
#include <vector>

#include "vrp_core.hpp"

namespace paperroute::vrp {

struct Individual {
    std::vector<std::vector<int>> routes;  // the non-empty routes' stops
    i64 tot[4] = {0, 0, 0, 0};             // distance, time warp, excess load, longest duration
    std::vector<int> succ, pred;           // per node; 0 for the depot (or the end)
    std::vector<std::pair<int, const Individual*>> close;  // broken-pairs distances, ascending
    double fitness = 0;

    bool feasible() const { return tot[1] == 0 && tot[2] == 0; }
};

// Broken pairs: the stops whose successor in a is neither neighbour in b.
inline int broken_pairs(const Individual& a, const Individual& b, const std::vector<int>& clients) {
    int n = 0;
    for (int c : clients) {
        const int s = a.succ[c];
        n += s != b.succ[c] && s != b.pred[c];
    }
    return n;
}

// A plane embedding of the nodes from distances alone (FastMap, two axes).
inline void embed(const Data& P, std::vector<double>& x, std::vector<double>& y) {
    const int m = P.m - 1;  // the end node is a copy, left out
    auto dist = [&](int a, int b) { return 0.5 * static_cast<double>(P.d(a, b) + P.d(b, a)); };
    x.assign(P.m, 0.0);
    y.assign(P.m, 0.0);
    if (m < 3) return;
    std::vector<double> res(P.m, 0.0);
    for (int axis = 0; axis < 2; ++axis) {
        auto r2 = [&](int a, int b) {
            double d = dist(a, b);
            double v = d * d;
            if (axis == 1) v -= (x[a] - x[b]) * (x[a] - x[b]);
            return std::max(v, 0.0);
        };
        // Pivots: the farthest node from the depot, then the farthest from that one.
        int a = 0, b = 0;
        double far = -1;
        for (int i = 0; i < m; ++i)
            if (r2(0, i) > far) far = r2(0, i), a = i;
        far = -1;
        for (int i = 0; i < m; ++i)
            if (r2(a, i) > far) far = r2(a, i), b = i;
        const double dab = r2(a, b);
        std::vector<double>& out = axis == 0 ? x : y;
        if (dab <= 0) continue;
        const double root = std::sqrt(dab);
        for (int i = 0; i < m; ++i) out[i] = (r2(a, i) + dab - r2(b, i)) / (2 * root);
    }
    x[P.m - 1] = x[0];
    y[P.m - 1] = y[0];
}

struct PopParams {
    int mu = 25, lambda = 40, elite = 4, nclose = 5;
};

class SubPopulation {
  public:
    std::vector<std::unique_ptr<Individual>> items;

    int size() const { return static_cast<int>(items.size()); }

    void add(std::unique_ptr<Individual> ind, const std::vector<int>& clients) {
        for (auto& other : items) {
            const int d = broken_pairs(*ind, *other, clients);
            insert_close(*ind, d, other.get());
            insert_close(*other, d, ind.get());
        }
        items.push_back(std::move(ind));
    }

    void remove(int idx) {
        const Individual* gone = items[idx].get();
        for (auto& other : items) {
            auto& c = other->close;
            for (size_t i = 0; i < c.size(); ++i)
                if (c[i].second == gone) {
                    c.erase(c.begin() + static_cast<long>(i));
                    break;
                }
        }
        items.erase(items.begin() + idx);
    }

    // Biased fitness (lower is better), from penalised costs `cost` in item order.
    void update_fitness(const std::vector<i64>& cost, const PopParams& pp) {
        const int n = size();
        if (n == 0) return;
        if (n == 1) {
            items[0]->fitness = 0;
            return;
        }
        std::vector<int> by_cost(n), by_div(n);
        std::vector<double> div(n);
        for (int i = 0; i < n; ++i) {
            by_cost[i] = by_div[i] = i;
            const auto& c = items[i]->close;
            const int take = std::min<int>(pp.nclose, static_cast<int>(c.size()));
            double s = 0;
            for (int j = 0; j < take; ++j) s += c[j].first;
            div[i] = take > 0 ? s / take : 0;
        }
        std::stable_sort(by_cost.begin(), by_cost.end(), [&](int a, int b) { return cost[a] < cost[b]; });
        std::stable_sort(by_div.begin(), by_div.end(), [&](int a, int b) { return div[a] > div[b]; });
        std::vector<double> cr(n), dr(n);
        for (int r = 0; r < n; ++r) {
            cr[by_cost[r]] = static_cast<double>(r) / (n - 1);
            dr[by_div[r]] = static_cast<double>(r) / (n - 1);
        }
        const double weight = n <= pp.elite ? 0.0 : 1.0 - static_cast<double>(pp.elite) / n;
        for (int i = 0; i < n; ++i) items[i]->fitness = cr[i] + weight * dr[i];
    }

  private:
    static void insert_close(Individual& ind, int d, const Individual* other) {
        auto& c = ind.close;
        auto it = std::upper_bound(c.begin(), c.end(), std::make_pair(d, other),
                                   [](const auto& p, const auto& q) { return p.first < q.first; });
        c.insert(it, {d, other});
    }
};

// Selective route exchange (SREX): a run of `moved` neighbouring routes of parent a gives way
// to a run of b's, the runs shifted first so that as few stops as possible need reinserting.
class RouteExchange {
  private:
    std::vector<double> ex_, ey_;  // the nodes' plane embedding, for the routes' angles
    double cx_ = 0, cy_ = 0;       // the stops' centre
    std::vector<char> in_a, in_b;

    // Routes of an individual in the order of their angle around the stops' centre.
    std::vector<const std::vector<int>*> by_angle(const Individual& ind) const {
        std::vector<std::pair<double, int>> key;
        for (size_t r = 0; r < ind.routes.size(); ++r) {
            double rx = 0, ry = 0;
            for (int c : ind.routes[r]) rx += ex_[c], ry += ey_[c];
            const double n = static_cast<double>(ind.routes[r].size());
            const double dx = rx / n - cx_, dy = ry / n - cy_;
            const double ad = std::fabs(dx) + std::fabs(dy);
            key.push_back({ad > 0 ? std::copysign(1.0 - dx / ad, dy) : 0.0, static_cast<int>(r)});
        }
        std::stable_sort(key.begin(), key.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<const std::vector<int>*> out;
        for (const auto& k : key) out.push_back(&ind.routes[k.second]);
        return out;
    }

  public:
    void init(const Data& P) {
        embed(P, ex_, ey_);
        cx_ = cy_ = 0;
        for (int c : P.clients) cx_ += ex_[c], cy_ += ey_[c];
        cx_ /= static_cast<double>(P.clients.size());
        cy_ /= static_cast<double>(P.clients.size());
    }

    // The two children of parents a and b (stops only, a's route count) and the stops both
    // lack (`unplanned`, to be inserted), with the stops the exchange moved; false if a parent
    // has no routes.
    bool cross(const Data& P, const Individual& pa, const Individual& pb, Rng& rng,
               std::vector<std::vector<int>>& r1, std::vector<std::vector<int>>& r2,
               std::vector<int>& unplanned, std::vector<int>& touched) {
        const auto A = by_angle(pa), B = by_angle(pb);
        const int na = static_cast<int>(A.size()), nb = static_cast<int>(B.size());
        if (na == 0 || nb == 0) return false;
        const int moved = 1 + static_cast<int>(rng.below(std::min(na, nb)));
        int sa = static_cast<int>(rng.below(na)), sb = static_cast<int>(rng.below(nb));
        in_a.assign(P.m, 0);
        in_b.assign(P.m, 0);
        for (int r = 0; r < moved; ++r) {
            for (int c : *A[(sa + r) % na]) in_a[c] = 1;
            for (int c : *B[(sb + r) % nb]) in_b[c] = 1;
        }
        auto count = [](const std::vector<int>& route, const std::vector<char>& flag, bool want) {
            int n = 0;
            for (int c : route) n += (flag[c] != 0) == want;
            return n;
        };
        // Shift the runs while that lowers the number of stops to reinsert (A's run minus B's).
        for (int guard = 0; guard < 4 * (na + nb); ++guard) {
            const int a_left = count(*A[(sa - 1 + na) % na], in_b, false) -
                               count(*A[(sa + moved - 1) % na], in_b, false);
            const int a_right = count(*A[(sa + moved) % na], in_b, false) - count(*A[sa], in_b, false);
            const int b_left = count(*B[(sb + moved - 1) % nb], in_a, true) -
                               count(*B[(sb - 1 + nb) % nb], in_a, true);
            const int b_right = count(*B[sb], in_a, true) - count(*B[(sb + moved) % nb], in_a, true);
            const int low = std::min({a_left, a_right, b_left, b_right});
            if (low >= 0) break;
            if (low == a_left) {
                for (int c : *A[(sa + moved - 1) % na]) in_a[c] = 0;
                sa = (sa - 1 + na) % na;
                for (int c : *A[sa]) in_a[c] = 1;
            } else if (low == a_right) {
                for (int c : *A[sa]) in_a[c] = 0;
                sa = (sa + 1) % na;
                for (int c : *A[(sa + moved - 1) % na]) in_a[c] = 1;
            } else if (low == b_left) {
                for (int c : *B[(sb + moved - 1) % nb]) in_b[c] = 0;
                sb = (sb - 1 + nb) % nb;
                for (int c : *B[sb]) in_b[c] = 1;
            } else {
                for (int c : *B[sb]) in_b[c] = 0;
                sb = (sb + 1) % nb;
                for (int c : *B[(sb + moved - 1) % nb]) in_b[c] = 1;
            }
        }
        // Child 1: B's run and the rest of A without B's run's stops; child 2: B's run
        // without the stops outside A's run, and the rest of A. Both lack A's run minus B's.
        r1.assign(na, {});
        r2.assign(na, {});
        for (int r = 0; r < moved; ++r) {
            const int ia = (sa + r) % na;
            for (int c : *B[(sb + r) % nb]) {
                r1[ia].push_back(c);
                if (in_a[c]) r2[ia].push_back(c);
            }
        }
        for (int r = moved; r < na; ++r) {
            const int ia = (sa + r) % na;
            for (int c : *A[ia]) {
                if (!in_b[c]) r1[ia].push_back(c);
                r2[ia].push_back(c);
            }
        }
        unplanned.clear();
        for (int r = 0; r < moved; ++r)
            for (int c : *A[(sa + r) % na])
                if (!in_b[c]) unplanned.push_back(c);
        touched = unplanned;
        for (int r = 0; r < moved; ++r)
            for (int c : *B[(sb + r) % nb]) touched.push_back(c);
        return true;
    }

};

}  // namespace paperroute::vrp
