// The multi-carrier search behind route.solver.penalised (module route.solver._vrp).
//
// Two kinds of worker search through infeasible ground (Vidal et al. 2013): lateness is time
// warp, an overfull bag costs per item, and both prices adapt so that about half the solutions
// visited are feasible.
//
// - The iterated local search ruins and recreates part of the current routes, descends, tries
//   SWAP* between the routes the recreated stops went into, and descends again if it found
//   something (vrp_search.hpp); the result is kept under a threshold that shrinks to nothing as
//   the work runs out.
// - The genetic search (vrp_population.hpp) keeps a population, crosses two parents by
//   selective route exchange and educates the child with the same descent.
//
// Workers (one per thread; which kind each runs is the caller's choice) run with their own
// seeds and meet at fixed amounts of work (epochs). At a meeting each worker, in worker order,
// takes in the next one's best routes: a genetic worker adds them to its population, a
// local-search worker whose own best is worse goes on from them. The result depends on the
// seed, the work and the workers, never on which thread ran faster.

#include <memory>
#include <thread>
#include <vector>

#include "common.hpp"
#include "vrp_population.hpp"
#include "vrp_search.hpp"

namespace paperroute::vrp {

struct Worker {
    Search s;
    Routes cur;
    i64 cur_tot[4] = {0, 0, 0, 0};
    Routes best;
    i64 best_obj = -1;  // -1: no feasible routes yet
    i64 limit = 0;      // this worker's total work
    i64 start_thr = 1;
    i64 iterations = 0;
    int seen = 0, feas_tw = 0, feas_load = 0;
    std::vector<int> removed;
    std::vector<i64> key;
    bool capped = false;

    // The population (population > 0: its size mu; 0: the iterated local search alone).
    PopParams pp;
    bool genetic = false;
    SubPopulation feas, infeas;
    RouteExchange srex;
    std::vector<std::vector<int>> r1, r2;  // a crossover's two children
    std::vector<int> unplanned, touched;   // the stops they lack; the stops it moved

    Worker(const Data& P, u64 seed, i64 work, int population) : s(P, seed), limit(work) {
        if (population > 0) {
            genetic = true;
            pp.mu = population;
            pp.lambda = population * 8 / 5;
            srex.init(P);
        }
    }

    i64 cost_of(const i64 t[4]) const {
        return t[0] + s.w.tw * t[1] + s.w.load * t[2] + s.P.bal * t[3];
    }

    void consider() {
        if (!s.S.feasible()) return;
        i64 obj = s.S.objective();
        if (best_obj < 0 || obj < best_obj) {
            best_obj = obj;
            best = s.S;
        }
    }

    void start(const Deadline& deadline) {
        if (genetic) return start_population(deadline);
        initial_penalties();
        std::vector<int> todo = s.P.clients;
        s.shuffle(todo);
        s.recreate(todo, 0);
        s.activate_all();
        s.improve(limit, true);
        cur = s.S;
        cur.totals(cur_tot);
        start_thr = std::max<i64>(1, cur_tot[0] / 100);
        consider();
    }

    // Penalties start at the exchange rate between metres and seconds of driving (time warp)
    // and, per item over the bag, at the mean distance from the depot (load).
    void initial_penalties() {
        const Data& P = s.P;
        i64 dsum = 0, tsum = 0, drow = 0;
        for (i64 x : P.D) dsum += x;
        for (i64 x : P.T) tsum += x;
        for (int j = 0; j < P.m; ++j) drow += P.d(0, j);
        s.w.tw = std::max<i64>(1, dsum / std::max<i64>(tsum, 1));
        s.w.load = std::max<i64>(1, drow / std::max(P.m, 1));
    }

    // -- the genetic search ---------------------------------------------------------------------

    // Lay out routes (stops only) as the search's current solution.
    void load(const std::vector<std::vector<int>>& routes) {
        const Data& P = s.P;
        Routes& S = s.S;
        std::fill(S.rof.begin(), S.rof.end(), -1);
        for (int r = 0; r < P.k; ++r) {
            auto& nodes = S.R[r].nodes;
            nodes.clear();
            nodes.push_back(0);
            if (r < static_cast<int>(routes.size()))
                nodes.insert(nodes.end(), routes[r].begin(), routes[r].end());
            nodes.push_back(P.end);
            S.rebuild(r);
            s.work += S.R[r].size();
        }
    }

    std::unique_ptr<Individual> snapshot() const {
        const Data& P = s.P;
        auto ind = std::make_unique<Individual>();
        ind->succ.assign(P.m, 0);
        ind->pred.assign(P.m, 0);
        for (const Route& x : s.S.R) {
            if (x.empty()) continue;
            std::vector<int> r(x.nodes.begin() + 1, x.nodes.end() - 1);
            const int n = static_cast<int>(r.size());
            for (int i = 0; i < n; ++i) {
                ind->pred[r[i]] = i > 0 ? r[i - 1] : 0;
                ind->succ[r[i]] = i + 1 < n ? r[i + 1] : 0;
            }
            ind->routes.push_back(std::move(r));
        }
        s.S.totals(ind->tot);
        return ind;
    }

    // The current solution into its subpopulation, which is cut back if it grew too big.
    void add_current() {
        auto ind = snapshot();
        SubPopulation& sp = ind->feasible() ? feas : infeas;
        s.work += static_cast<i64>(sp.size()) * static_cast<i64>(s.P.clients.size()) / 4;
        sp.add(std::move(ind), s.P.clients);
        if (sp.size() > pp.mu + pp.lambda) survivors(sp);
    }

    void fitness(SubPopulation& sp) {
        std::vector<i64> cost(sp.size());
        for (int i = 0; i < sp.size(); ++i) cost[i] = cost_of(sp.items[i]->tot);
        sp.update_fitness(cost, pp);
    }

    void survivors(SubPopulation& sp) {
        while (sp.size() > pp.mu) {
            int gone = -1;
            for (int i = 0; i < sp.size() && gone < 0; ++i) {
                const auto& c = sp.items[i]->close;
                if (!c.empty() && c[0].first == 0) gone = i;
            }
            if (gone < 0) {
                fitness(sp);
                gone = 0;
                for (int i = 1; i < sp.size(); ++i)
                    if (sp.items[i]->fitness > sp.items[gone]->fitness) gone = i;
            }
            sp.remove(gone);
        }
    }

    const Individual* tournament() {
        const int nf = feas.size(), ni = infeas.size();
        auto pick = [&]() -> const Individual* {
            const int j = static_cast<int>(s.rng.below(nf + ni));
            return j < nf ? feas.items[j].get() : infeas.items[j - nf].get();
        };
        const Individual* a = pick();
        const Individual* b = pick();
        return a->fitness <= b->fitness ? a : b;
    }

    // Penalties chase a target: about half of the solutions visited (the local search's
    // iterations, or the genetic search's educated children) feasible.
    void track(const i64 tot[4]) {
        ++seen;
        feas_tw += tot[1] == 0;
        feas_load += tot[2] == 0;
        if (seen == 20) {
            if (feas_tw < 8) s.w.tw = std::min<i64>(s.w.tw * 5 / 4 + 1, 1LL << 30);
            else if (feas_tw > 12) s.w.tw = std::max<i64>(s.w.tw * 4 / 5, 1);
            if (feas_load < 8) s.w.load = std::min<i64>(s.w.load * 5 / 4 + 1, 1LL << 30);
            else if (feas_load > 12) s.w.load = std::max<i64>(s.w.load * 4 / 5, 1);
            seen = feas_tw = feas_load = 0;
        }
    }

    // Descend from the current solution, keep it; an infeasible one is repaired half the time.
    void educate(const std::vector<int>* touched = nullptr) {
        if (touched) {
            for (int c : *touched) s.activate(c);
        } else {
            s.activate_all();
        }
        s.improve(limit, false);
        i64 tot[4];
        s.S.totals(tot);
        track(tot);
        polish(tot);
        add_current();
        if ((tot[1] > 0 || tot[2] > 0) && s.rng.below(2) == 0) {
            const Penalty keep = s.w;
            s.w.tw = std::min<i64>(s.w.tw * 10, 1LL << 34);
            s.w.load = std::min<i64>(s.w.load * 10, 1LL << 34);
            s.activate_all();
            s.improve(limit, false);
            s.w = keep;
            s.S.totals(tot);
            polish(tot);
            if (s.S.feasible()) add_current();
        }
    }

    // A feasible solution better than the best so far gets SWAP* and a full descent first.
    void polish(i64 tot[4]) {
        if (tot[1] != 0 || tot[2] != 0) return;
        const i64 obj = tot[0] + s.P.bal * tot[3];
        if (best_obj >= 0 && obj >= best_obj) return;
        s.activate_all();
        s.improve(limit, true);
        s.S.totals(tot);
        consider();
    }

    void start_population(const Deadline& deadline) {
        initial_penalties();
        std::vector<int> todo = s.P.clients;
        const std::vector<std::vector<int>> none;
        for (int i = 0; i < pp.mu && (i == 0 || s.work < limit); ++i) {
            if (i > 0 && deadline.passed()) {
                capped = true;
                return;
            }
            load(none);
            s.shuffle(todo);
            s.recreate(todo, 0);
            educate();
        }
    }

    // SREX: the better (penalised) of its two children becomes the current solution.
    void crossover(const Individual& pa, const Individual& pb) {
        if (!srex.cross(s.P, pa, pb, s.rng, r1, r2, unplanned, touched)) {
            load(pa.routes);
            return;
        }
        load(r1);
        s.recreate(unplanned, 0);
        const i64 c1 = s.S.penalised(s.w);
        Routes first = s.S;
        load(r2);
        s.recreate(unplanned, 0);
        if (c1 < s.S.penalised(s.w)) s.S = first;
    }

    void iterate_population() {
        ++iterations;
        fitness(feas);
        fitness(infeas);
        const Individual* a = tournament();
        const Individual* b = tournament();
        for (int again = 0; again < 3 && b == a; ++again) b = tournament();
        crossover(*a, *b);
        educate(&touched);
    }

    // Another worker's best routes, handed over at a meeting.
    // A genetic worker takes them into its population; a local-search worker whose best is
    // worse goes on from them.
    void adopt(const Routes& routes) {
        if (genetic) {
            s.S = routes;
            add_current();
            return;
        }
        const i64 obj = routes.objective();
        if (best_obj >= 0 && obj >= best_obj) return;
        s.S = routes;
        best = routes;
        best_obj = obj;
        cur = routes;
        cur.totals(cur_tot);
    }

    void iterate() {
        if (genetic) return iterate_population();
        const Data& P = s.P;
        ++iterations;
        s.ruin(removed, 20);
        const int how = static_cast<int>(s.rng.below(3));
        if (how == 0) {
            s.shuffle(removed);
        } else {
            key.resize(removed.size());
            for (size_t i = 0; i < removed.size(); ++i) {
                int c = removed[i];
                key[i] = how == 1 ? -P.d(0, c) - P.d(c, 0) : P.L[c] - P.E[c];
            }
            std::vector<int> idx(removed.size());
            for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int>(i);
            std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return key[a] < key[b]; });
            std::vector<int> sorted(removed.size());
            for (size_t i = 0; i < idx.size(); ++i) sorted[i] = removed[idx[i]];
            removed = sorted;
        }
        s.recreate(removed, 10);
        s.local_search(limit);
        if (s.swap_star_among(removed)) s.local_search(limit);
        i64 tot[4];
        s.S.totals(tot);
        bool was_best = false;
        if (tot[1] == 0 && tot[2] == 0) {
            i64 obj = tot[0] + P.bal * tot[3];
            if (best_obj < 0 || obj < best_obj) {
                // A new best: look harder at it (SWAP* and a full descent) before keeping it.
                s.activate_all();
                s.improve(limit, true);
                s.S.totals(tot);
                was_best = true;
                consider();
            }
        }
        track(tot);
        const i64 cand = cost_of(tot), now = cost_of(cur_tot);
        const i64 thr = start_thr * std::max<i64>(limit - s.work, 0) / std::max<i64>(limit, 1);
        if (cand < now + thr || was_best) {
            cur = s.S;
            for (int i = 0; i < 4; ++i) cur_tot[i] = tot[i];
        } else {
            s.S = cur;
        }
    }

    void run_until(i64 target, const Deadline& deadline) {
        int check = 0;
        while (s.work < std::min(target, limit)) {
            if (++check == 8) {
                check = 0;
                if (deadline.passed()) {
                    capped = true;
                    return;
                }
            }
            iterate();
        }
    }
};

struct Engine {
    Data P;
    std::vector<std::unique_ptr<Worker>> workers;
    bool started = false;

    i64 best_obj(int* who) const {
        i64 b = -1;
        for (size_t i = 0; i < workers.size(); ++i) {
            i64 o = workers[i]->best_obj;
            if (o >= 0 && (b < 0 || o < b)) b = o, *who = static_cast<int>(i);
        }
        return b;
    }

    // Run every worker to `target` work (each in its own thread), then meet.
    void epoch(i64 target, double seconds) {
        Deadline deadline(seconds);
        auto body = [&](Worker* w) {
            if (!started) w->start(deadline);
            w->run_until(target, deadline);
        };
        if (workers.size() == 1) {
            body(workers[0].get());
        } else {
            std::vector<std::thread> threads;
            for (auto& w : workers) threads.emplace_back(body, w.get());
            for (auto& t : threads) t.join();
        }
        started = true;
        // The meeting: each worker takes in the next one's best routes, in worker order.
        const int n = static_cast<int>(workers.size());
        if (n > 1) {
            std::vector<std::unique_ptr<Routes>> bests(n);
            for (int i = 0; i < n; ++i)
                if (workers[i]->best_obj >= 0) bests[i] = std::make_unique<Routes>(workers[i]->best);
            for (int i = 0; i < n; ++i)
                if (bests[(i + 1) % n]) workers[i]->adopt(*bests[(i + 1) % n]);
        }
    }
};

// -- Python glue ------------------------------------------------------------------------------

const char* CAPSULE = "paperroute.vrp.Engine";

void destroy(PyObject* capsule) {
    delete static_cast<Engine*>(PyCapsule_GetPointer(capsule, CAPSULE));
}

Engine* engine_of(PyObject* capsule) {
    return static_cast<Engine*>(PyCapsule_GetPointer(capsule, CAPSULE));
}

// create(m, D, T, S, E, L, Q, cap, bal, k, clients, n_clients, NB, G, seed, workers, work,
// population, genetic): population is mu of the genetic search; bit i of `genetic` makes worker
// i run it, the other workers run the iterated local search.
PyObject* create(PyObject*, PyObject* args) {
    int m, k, nc, G, nworkers, population;
    unsigned long long genetic;
    PyObject *oD, *oT, *oS, *oE, *oL, *oQ, *oC, *oNB;
    long long cap, bal, work;
    unsigned long long seed;
    if (!PyArg_ParseTuple(args, "iOOOOOOLLiOiOiKiLiK", &m, &oD, &oT, &oS, &oE, &oL, &oQ, &cap,
                          &bal, &k, &oC, &nc, &oNB, &G, &seed, &nworkers, &work, &population,
                          &genetic))
        return nullptr;
    if (m < 2 || k < 1 || nc < 1 || nworkers < 1 || nworkers > 64 || G < 1 || population < 1)
        return PyErr_Format(PyExc_ValueError, "bad problem sizes");
    I32Buffer bD, bT;
    I64Buffer bS, bE, bL, bQ, bC, bNB;
    const Py_ssize_t mm = static_cast<Py_ssize_t>(m) * m;
    if (!bD.get(oD, mm, false, "D") || !bT.get(oT, mm, false, "T") || !bS.get(oS, m, false, "S") ||
        !bE.get(oE, m, false, "E") || !bL.get(oL, m, false, "L") || !bQ.get(oQ, m, false, "Q") ||
        !bC.get(oC, nc, false, "clients") ||
        !bNB.get(oNB, static_cast<Py_ssize_t>(m) * G, false, "neighbours"))
        return nullptr;
    auto* e = new Engine();
    Data& P = e->P;
    P.m = m;
    P.end = m - 1;
    P.D.assign(bD.data(), bD.data() + mm);
    P.T.assign(bT.data(), bT.data() + mm);
    P.S.assign(bS.data(), bS.data() + m);
    P.E.assign(bE.data(), bE.data() + m);
    P.L.assign(bL.data(), bL.data() + m);
    P.Q.assign(bQ.data(), bQ.data() + m);
    P.cap = cap;
    P.bal = bal;
    P.k = k;
    P.clients.assign(bC.data(), bC.data() + nc);
    P.G = G;
    P.nb.assign(bNB.data(), bNB.data() + static_cast<size_t>(m) * G);
    for (int i = 0; i < nworkers; ++i)
        e->workers.push_back(std::make_unique<Worker>(P, mix_seed(seed * 1000003ULL + i), work,
                                                      (genetic >> i) & 1 ? population : 0));
    return PyCapsule_New(e, CAPSULE, destroy);
}

// run(engine, target_work, seconds): every worker to target_work; (best objective or -1,
// work of the slowest worker, capped).
PyObject* run(PyObject*, PyObject* args) {
    PyObject* capsule;
    long long target;
    double seconds;
    if (!PyArg_ParseTuple(args, "OLd", &capsule, &target, &seconds)) return nullptr;
    Engine* e = engine_of(capsule);
    if (!e) return nullptr;
    Py_BEGIN_ALLOW_THREADS;
    e->epoch(target, seconds);
    Py_END_ALLOW_THREADS;
    int who = 0;
    i64 b = e->best_obj(&who);
    i64 low = LLONG_MAX;
    bool capped = false;
    for (auto& w : e->workers) low = std::min(low, w->s.work), capped |= w->capped;
    return Py_BuildValue("(LLO)", static_cast<long long>(b), static_cast<long long>(low),
                         capped ? Py_True : Py_False);
}

// best(engine, out (k x width), lengths (k)): the best feasible routes, nodes with the depot
// and the end; returns the objective or -1.
PyObject* best(PyObject*, PyObject* args) {
    PyObject *capsule, *out, *lens;
    int width;
    if (!PyArg_ParseTuple(args, "OOOi", &capsule, &out, &lens, &width)) return nullptr;
    Engine* e = engine_of(capsule);
    if (!e) return nullptr;
    I64Buffer bo, bl;
    if (!bo.get(out, static_cast<Py_ssize_t>(e->P.k) * width, true, "out") ||
        !bl.get(lens, e->P.k, true, "lengths"))
        return nullptr;
    int who = 0;
    i64 b = e->best_obj(&who);
    if (b < 0) return PyLong_FromLongLong(-1);
    const Routes& R = e->workers[who]->best;
    for (int r = 0; r < e->P.k; ++r) {
        const auto& nodes = R.R[r].nodes;
        if (static_cast<int>(nodes.size()) > width)
            return PyErr_Format(PyExc_ValueError, "route longer than the output");
        bl.data()[r] = static_cast<i64>(nodes.size());
        for (size_t p = 0; p < nodes.size(); ++p) bo.data()[static_cast<size_t>(r) * width + p] = nodes[p];
    }
    return PyLong_FromLongLong(b);
}

// child(engine, out (k x width), lengths (k)): a crossover child of two parents from the
// first worker's population (started if need be), before any descent; for tests.
PyObject* child(PyObject*, PyObject* args) {
    PyObject *capsule, *out, *lens;
    int width;
    if (!PyArg_ParseTuple(args, "OOOi", &capsule, &out, &lens, &width)) return nullptr;
    Engine* e = engine_of(capsule);
    if (!e) return nullptr;
    Worker& w = *e->workers[0];
    if (!w.genetic) return PyErr_Format(PyExc_ValueError, "the search has no population");
    I64Buffer bo, bl;
    if (!bo.get(out, static_cast<Py_ssize_t>(e->P.k) * width, true, "out") ||
        !bl.get(lens, e->P.k, true, "lengths"))
        return nullptr;
    if (!e->started) {
        w.start(Deadline(1e9));
        e->started = e->workers.size() == 1;
    }
    w.fitness(w.feas);
    w.fitness(w.infeas);
    const Individual* a = w.tournament();
    const Individual* b = w.tournament();
    w.crossover(*a, *b);
    for (int r = 0; r < e->P.k; ++r) {
        const auto& nodes = w.s.S.R[r].nodes;
        if (static_cast<int>(nodes.size()) > width)
            return PyErr_Format(PyExc_ValueError, "route longer than the output");
        bl.data()[r] = static_cast<i64>(nodes.size());
        for (size_t p = 0; p < nodes.size(); ++p) bo.data()[static_cast<size_t>(r) * width + p] = nodes[p];
    }
    w.educate(&w.touched);
    return PyLong_FromLongLong(static_cast<long long>(w.feas.size() + w.infeas.size()));
}

// shrink(engine, work): lower every worker's total work to `work` (never below what it has
// done), so that a search the clock would cut short still cools down and ends on work.
PyObject* shrink(PyObject*, PyObject* args) {
    PyObject* capsule;
    long long work;
    if (!PyArg_ParseTuple(args, "OL", &capsule, &work)) return nullptr;
    Engine* e = engine_of(capsule);
    if (!e) return nullptr;
    for (auto& w : e->workers) w->limit = std::max<i64>(std::min<i64>(w->limit, work), w->s.work);
    Py_RETURN_NONE;
}

// stats(engine): (total work, total iterations, capped)
PyObject* stats(PyObject*, PyObject* args) {
    PyObject* capsule;
    if (!PyArg_ParseTuple(args, "O", &capsule)) return nullptr;
    Engine* e = engine_of(capsule);
    if (!e) return nullptr;
    i64 work = 0, its = 0;
    bool capped = false;
    for (auto& w : e->workers) work += w->s.work, its += w->iterations, capped |= w->capped;
    return Py_BuildValue("(LLO)", static_cast<long long>(work), static_cast<long long>(its),
                         capped ? Py_True : Py_False);
}

PyMethodDef METHODS[] = {
    {"create", create, METH_VARARGS, "A search on a routing problem."},
    {"run", run, METH_VARARGS, "Run every worker to a work target; (best, work, capped)."},
    {"best", best, METH_VARARGS, "Copy the best feasible routes out; their objective or -1."},
    {"stats", stats, METH_VARARGS, "(work, iterations, capped)."},
    {"shrink", shrink, METH_VARARGS, "Lower every worker's total work (never below its own)."},
    {"child", child, METH_VARARGS, "A crossover child, before its descent (for tests)."},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_vrp", "The compiled multi-carrier search.", -1,
                      METHODS};

}  // namespace paperroute::vrp

PyMODINIT_FUNC PyInit__vrp() {
    PyObject* m = PyModule_Create(&paperroute::vrp::MODULE);
    if (m && PyModule_AddStringConstant(m, "SOURCE_HASH", PAPERROUTE_SOURCE_HASH) != 0) {
        Py_DECREF(m);
        return nullptr;
    }
    return m;
}
