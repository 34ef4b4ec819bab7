// Candidate edges for the tour engine: alpha-nearness (Helsgaun 2000, after Held and Karp).
//
// A minimum 1-tree (a spanning tree on nodes 1..n-1 plus the two cheapest edges of node 0) is
// a lower bound on a tour; node penalties pi, raised where the tree has a degree above 2 and
// lowered where below (subgradient ascent), tighten the bound and make the tree look more
// like a tour. The alpha-value of an edge is how much longer the cheapest 1-tree containing
// it is; the few edges of least alpha at each node hold nearly every edge of an optimal tour,
// far more of them than the same number of nearest neighbours.
//
// Integer arithmetic throughout (costs scaled by PRECISION, integer penalties and steps), so
// the candidates are the same on every machine. The ascent runs on a sparse graph (each
// node's nearest neighbours and the edges of the first tree, which keep it connected); the
// final alpha-values are computed on the complete graph.

#pragma once

#include <algorithm>
#include <limits>
#include <queue>
#include <utility>
#include <vector>

#include "common.hpp"

namespace paperroute::tour {

constexpr i64 PRECISION = 100;

struct OneTree {
    std::vector<int> dad;    // parent in the spanning tree of nodes 1..n-1 (root: -1)
    std::vector<int> order;  // nodes 1..n-1, each after its parent
    int a0 = -1, b0 = -1;    // node 0's two edges, the cheaper first
    std::vector<int> degree;
    i64 w = 0;               // the bound: tree cost minus twice the penalties
    i64 norm = 0;            // sum of (degree - 2)^2
};

class Alpha {
  public:
    // cost(i, j) must be symmetric; n >= 5.
    template <class Cost>
    Alpha(int n, Cost cost) : n_(n), c_(static_cast<size_t>(n) * n), pi_(n, 0) {
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j) c_[static_cast<size_t>(i) * n + j] = PRECISION * cost(i, j);
    }

    // Subgradient ascent (Held and Karp's step towards an upper bound `upper` on the tour's
    // cost, in the costs given) for at most `iterations` 1-trees.
    void ascend(i64 iterations, i64 upper, i64& work) {
        OneTree t = dense_tree();
        work += static_cast<i64>(n_) * n_ / 4;
        if (t.norm == 0 || iterations <= 0) return;
        sparse_graph(t);
        const i64 ub = PRECISION * upper;
        std::vector<i64> best_pi = pi_, last_v(n_, 0), v(n_);
        i64 best_w = t.w;
        i64 lam = 2000;  // the step's factor, in thousandths
        const i64 patience = std::max<i64>(8, iterations / 12);
        i64 stuck = 0;
        for (int i = 0; i < n_; ++i) v[i] = t.degree[i] - 2;
        for (i64 it = 0; it < iterations && t.norm != 0 && lam > 0; ++it) {
            i64 gap = std::max<i64>(ub - t.w, PRECISION);
            i64 step = std::max<i64>(1, lam * gap / (1000 * t.norm));
            for (int i = 0; i < n_; ++i) {
                pi_[i] += step * (7 * v[i] + 3 * last_v[i]) / 10;
                last_v[i] = v[i];
            }
            t = sparse_tree();
            work += static_cast<i64>(adj_.size()) * 2;
            for (int i = 0; i < n_; ++i) v[i] = t.degree[i] - 2;
#ifdef ASCENT_TRACE
            fprintf(stderr, "it %lld lam %lld step %lld w %lld norm %lld best %lld ub %lld\n",
                    (long long)it, (long long)lam, (long long)step, (long long)t.w,
                    (long long)t.norm, (long long)best_w, (long long)ub);
#endif
            if (t.w > best_w) {
                best_w = t.w;
                best_pi = pi_;
                stuck = 0;
            } else if (++stuck >= patience) {
                lam /= 2;
                stuck = 0;
            }
        }
        pi_ = best_pi;
    }

    // The `k` candidates of least alpha at each node (ties: cheaper, then smaller index).
    std::vector<int> candidates(int k, i64& work) {
        OneTree t = dense_tree();
        const int n = n_;
        std::vector<int> out(static_cast<size_t>(n) * k, 0);
        std::vector<i64> beta(n);
        std::vector<int> mark(n, -1);
        std::vector<std::pair<std::pair<i64, i64>, int>> row;
        row.reserve(n);
        const i64 second0 = cp(0, t.b0);
        auto alpha0 = [&](int j) { return j == t.a0 || j == t.b0 ? 0 : cp(0, j) - second0; };
        for (int i = 0; i < n; ++i) {
            row.clear();
            if (i == 0) {
                for (int j = 1; j < n; ++j) row.push_back({{alpha0(j), cp(0, j)}, j});
            } else {
                beta[i] = std::numeric_limits<i64>::min() / 4;
                mark[i] = i;
                for (int x = i; t.dad[x] >= 0; x = t.dad[x]) {
                    beta[t.dad[x]] = std::max(beta[x], cp(x, t.dad[x]));
                    mark[t.dad[x]] = i;
                }
                for (int j : t.order) {
                    if (j == i) continue;
                    if (mark[j] != i) beta[j] = std::max(beta[t.dad[j]], cp(j, t.dad[j]));
                    row.push_back({{cp(i, j) - beta[j], cp(i, j)}, j});
                }
                row.push_back({{alpha0(i), cp(i, 0)}, 0});
            }
            work += n;
            std::partial_sort(row.begin(), row.begin() + k, row.end());
            for (int q = 0; q < k; ++q) out[static_cast<size_t>(i) * k + q] = row[q].second;
        }
        return out;
    }

  private:
    int n_;
    std::vector<i64> c_;
    std::vector<i64> pi_;
    std::vector<int> start_, adj_;  // the sparse graph (CSR)

    i64 cp(int i, int j) const { return c_[static_cast<size_t>(i) * n_ + j] + pi_[i] + pi_[j]; }

    void attach_zero(OneTree& t, const std::vector<int>& near0) const {
        i64 best1 = std::numeric_limits<i64>::max(), best2 = best1;
        for (int j : near0) {
            i64 c = cp(0, j);
            if (c < best1 || (c == best1 && j < t.a0)) {
                best2 = best1, t.b0 = t.a0;
                best1 = c, t.a0 = j;
            } else if (c < best2 || (c == best2 && j < t.b0)) {
                best2 = c, t.b0 = j;
            }
        }
        t.w += best1 + best2;
    }

    void finish(OneTree& t) const {
        t.degree.assign(n_, 0);
        for (int j = 1; j < n_; ++j)
            if (t.dad[j] >= 0) ++t.degree[j], ++t.degree[t.dad[j]];
        ++t.degree[t.a0], ++t.degree[t.b0];
        t.degree[0] = 2;
        i64 sum_pi = 0;
        for (int i = 0; i < n_; ++i) sum_pi += pi_[i];
        t.w -= 2 * sum_pi;
        t.norm = 0;
        for (int i = 0; i < n_; ++i) t.norm += static_cast<i64>(t.degree[i] - 2) * (t.degree[i] - 2);
    }

    // Prim on the complete graph, O(n^2).
    OneTree dense_tree() const {
        const int n = n_;
        OneTree t;
        t.dad.assign(n, -1);
        std::vector<i64> key(n, std::numeric_limits<i64>::max());
        std::vector<char> in(n, 0);
        int root = 1;
        in[root] = 1;
        t.order.push_back(root);
        for (int j = 2; j < n; ++j) key[j] = cp(root, j), t.dad[j] = root;
        for (int step = 2; step < n; ++step) {
            int pick = -1;
            for (int j = 2; j < n; ++j)
                if (!in[j] && (pick < 0 || key[j] < key[pick])) pick = j;
            in[pick] = 1;
            t.order.push_back(pick);
            t.w += key[pick];
            for (int j = 2; j < n; ++j) {
                if (in[j]) continue;
                i64 c = cp(pick, j);
                if (c < key[j]) key[j] = c, t.dad[j] = pick;
            }
        }
        std::vector<int> all;
        for (int j = 1; j < n; ++j) all.push_back(j);
        attach_zero(t, all);
        finish(t);
        return t;
    }

    // The sparse graph: each node's 12 nearest (by the penalised cost) and the tree's edges.
    void sparse_graph(const OneTree& t) {
        const int n = n_, k = std::min(12, n - 1);
        std::vector<std::vector<int>> nb(n);
        std::vector<std::pair<i64, int>> row(n - 1);
        for (int i = 0; i < n; ++i) {
            int c = 0;
            for (int j = 0; j < n; ++j)
                if (j != i) row[c++] = {cp(i, j), j};
            std::partial_sort(row.begin(), row.begin() + k, row.end());
            for (int q = 0; q < k; ++q) {
                nb[i].push_back(row[q].second);
                nb[row[q].second].push_back(i);
            }
        }
        for (int j = 1; j < n; ++j)
            if (t.dad[j] >= 0) nb[j].push_back(t.dad[j]), nb[t.dad[j]].push_back(j);
        start_.assign(n + 1, 0);
        adj_.clear();
        for (int i = 0; i < n; ++i) {
            std::sort(nb[i].begin(), nb[i].end());
            nb[i].erase(std::unique(nb[i].begin(), nb[i].end()), nb[i].end());
            start_[i] = static_cast<int>(adj_.size());
            adj_.insert(adj_.end(), nb[i].begin(), nb[i].end());
        }
        start_[n] = static_cast<int>(adj_.size());
    }

    // Prim on the sparse graph with a binary heap.
    OneTree sparse_tree() const {
        const int n = n_;
        OneTree t;
        t.dad.assign(n, -1);
        std::vector<i64> key(n, std::numeric_limits<i64>::max());
        std::vector<char> in(n, 0);
        using Item = std::pair<i64, int>;
        std::priority_queue<Item, std::vector<Item>, std::greater<Item>> heap;
        int root = 1;
        key[root] = 0;
        heap.push({0, root});
        in[0] = 1;  // node 0 joins through its two edges only
        while (!heap.empty()) {
            auto [k, u] = heap.top();
            heap.pop();
            if (in[u] || k != key[u]) continue;
            in[u] = 1;
            t.order.push_back(u);
            t.w += u == root ? 0 : k;
            for (int e = start_[u]; e < start_[u + 1]; ++e) {
                int j = adj_[e];
                if (in[j]) continue;
                i64 c = cp(u, j);
                if (c < key[j]) {
                    key[j] = c;
                    t.dad[j] = u;
                    heap.push({c, j});
                }
            }
        }
        std::vector<int> near0(adj_.begin() + start_[0], adj_.begin() + start_[1]);
        near0.erase(std::remove(near0.begin(), near0.end(), 0), near0.end());
        attach_zero(t, near0);
        finish(t);
        return t;
    }
};

}  // namespace paperroute::tour
