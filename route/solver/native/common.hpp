// Shared by the compiled engines: the seeded generator, the safety clock, and the glue that
// reads numpy arrays through the buffer protocol. Everything a search decides comes from its
// inputs and the generator, so the same inputs give the same result on any machine.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <chrono>
#include <cstdint>

namespace paperroute {

using i64 = std::int64_t;
using u64 = std::uint64_t;

// xorshift64* (Vigna 2016): small, fast and identical on every platform.
struct Rng {
    u64 state;
    explicit Rng(u64 seed) : state(seed ? seed : 0x9E3779B97F4A7C15ULL) {}
    u64 next() {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 2685821657736338717ULL;
    }
    // A number in [0, k), k > 0.
    i64 below(i64 k) { return static_cast<i64>((next() >> 11) % static_cast<u64>(k)); }
    // True with probability num / den.
    bool chance(i64 num, i64 den) { return below(den) < num; }
};

// A well-mixed non-zero state from any seed (splitmix64).
inline u64 mix_seed(u64 seed) {
    u64 z = seed * 0x9E3779B97F4A7C15ULL + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return z ? z : 1;
}

// The safety cap: a monotonic deadline, looked at only every so often.
struct Deadline {
    std::chrono::steady_clock::time_point at;
    explicit Deadline(double seconds_from_now)
        : at(std::chrono::steady_clock::now() +
             std::chrono::microseconds(static_cast<i64>(seconds_from_now * 1e6))) {}
    bool passed() const { return std::chrono::steady_clock::now() >= at; }
};

// A borrowed, C-contiguous buffer of T (int64 or int32) of a known number of items (a numpy
// array).
template <class T>
class IntBuffer {
  public:
    IntBuffer() = default;
    IntBuffer(const IntBuffer&) = delete;
    IntBuffer& operator=(const IntBuffer&) = delete;
    ~IntBuffer() {
        if (held_) PyBuffer_Release(&view_);
    }
    // Returns false with a Python error set if obj is not such a buffer.
    bool get(PyObject* obj, Py_ssize_t items, bool writable, const char* name) {
        int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
        if (PyObject_GetBuffer(obj, &view_, flags) != 0) return false;
        held_ = true;
        const char* f = view_.format ? view_.format : "B";
        if (*f == '<' || *f == '=' || *f == '@') ++f;
        // A signed integer format whose native size is T's ('i' int, 'l' long, 'q' long long).
        const size_t native = *f == 'i' ? sizeof(int) : *f == 'l' ? sizeof(long)
                              : *f == 'q' ? sizeof(long long) : 0;
        const Py_ssize_t size = static_cast<Py_ssize_t>(sizeof(T));
        bool ok_format = view_.itemsize == size && native == sizeof(T) && f[1] == '\0';
        if (!ok_format || view_.len != items * size) {
            PyErr_Format(PyExc_ValueError, "%s must be a contiguous int%d array of %zd items",
                         name, static_cast<int>(8 * sizeof(T)), items);
            return false;
        }
        return true;
    }
    T* data() const { return static_cast<T*>(view_.buf); }

  private:
    Py_buffer view_{};
    bool held_ = false;
};

using I64Buffer = IntBuffer<i64>;
using I32Buffer = IntBuffer<int32_t>;

}  // namespace paperroute

// The hash of the sources a binary was built from, so a stale build is recognised.
#ifndef PAPERROUTE_SOURCE_HASH
#define PAPERROUTE_SOURCE_HASH "unknown"
#endif
