// The multi-carrier search behind route.solver.penalised (module route.solver._vrp).
//
// Each worker runs an iterated local search through infeasible ground (Vidal et al. 2013):
// lateness is time warp, an overfull bag costs per item, and both prices adapt so that about
// half the solutions visited are feasible. Every iteration ruins and recreates part of the
// current routes and descends (vrp_search.hpp); the result is kept under a threshold that
// shrinks to nothing as the work runs out. Workers (one per thread) run with their own seeds
// and meet at fixed amounts of work (epochs), where the best routes so far are handed around
// in worker order: the result depends on the seed, the work and the number of workers, never
// on which thread ran faster.

#include <memory>
#include <thread>
#include <vector>

#include "common.hpp"
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

    Worker(const Data& P, u64 seed, i64 work) : s(P, seed), limit(work) {}

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

    void start() {
        const Data& P = s.P;
        // Penalties start at the exchange rate between metres and seconds of driving.
        i64 dsum = 0, tsum = 0, drow = 0;
        for (i64 x : P.D) dsum += x;
        for (i64 x : P.T) tsum += x;
        for (int j = 0; j < P.m; ++j) drow += P.d(0, j);
        s.w.tw = std::max<i64>(1, dsum / std::max<i64>(tsum, 1));
        s.w.load = std::max<i64>(1, drow / std::max(P.m, 1));
        std::vector<int> todo = P.clients;
        s.shuffle(todo);
        s.recreate(todo, 0);
        s.activate_all();
        s.improve(limit, true);
        cur = s.S;
        cur.totals(cur_tot);
        start_thr = std::max<i64>(1, cur_tot[0] / 100);
        consider();
    }

    void iterate() {
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
        // Penalties chase a target: about half of the solutions visited feasible.
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
            if (!started) w->start();
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

// create(m, D, T, S, E, L, Q, cap, bal, k, clients, n_clients, NB, G, seed, workers, work)
PyObject* create(PyObject*, PyObject* args) {
    int m, k, nc, G, nworkers;
    PyObject *oD, *oT, *oS, *oE, *oL, *oQ, *oC, *oNB;
    long long cap, bal, work;
    unsigned long long seed;
    if (!PyArg_ParseTuple(args, "iOOOOOOLLiOiOiKiL", &m, &oD, &oT, &oS, &oE, &oL, &oQ, &cap,
                          &bal, &k, &oC, &nc, &oNB, &G, &seed, &nworkers, &work))
        return nullptr;
    if (m < 2 || k < 1 || nc < 1 || nworkers < 1 || G < 1)
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
        e->workers.push_back(std::make_unique<Worker>(P, mix_seed(seed * 1000003ULL + i), work));
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
