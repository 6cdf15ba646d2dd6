/// \file
/// Seeded random numbers that are the same on every platform: acquire::Rng and
/// acquire::random_select.
// Seeded random numbers that give the same stream on every platform, compiler and standard
// library: xoshiro256** (Blackman & Vigna 2018) seeded through splitmix64, with our own
// integer-to-uniform and bounded-integer code. `std::uniform_real_distribution` and friends are
// implementation-defined and are never used in acquire.
#pragma once

#include "acquire/core/error.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace acquire {

/// \addtogroup core_vocabulary
/// @{

/// xoshiro256**: 256 bits of state, period 2^256 - 1, passes BigCrush. Cheap to copy; one per
/// thread or per stream. `Rng(seed)` with the same seed gives the same numbers everywhere.
class Rng {
public:
    /// A stream seeded by `seed` (any value, 0 included, spread by splitmix64).
    explicit Rng(std::uint64_t seed = 0) {
        // splitmix64 spreads any seed (0 included) over the four state words.
        for (auto& word : state_) {
            seed += 0x9e3779b97f4a7c15ULL;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            word = z ^ (z >> 31);
        }
    }

    /// Next 64 uniformly distributed bits.
    std::uint64_t next() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    /// Uniform double in [0, 1): the top 53 bits scaled by 2^-53 (exact, no rounding).
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    /// Uniform integer in [0, n), n >= 1, without modulo bias: draws below 2^64 mod n are
    /// rejected (probability < n / 2^64), the rest reduced modulo n.
    std::uint64_t below(std::uint64_t n) {
        const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
        for (;;) {
            const std::uint64_t x = next();
            if (x >= threshold) return x % n;
        }
    }

    /// Standard normal deviate (Box-Muller on our own uniforms; one value per call).
    double normal() {
        constexpr double two_pi = 6.283185307179586476925286766559;
        const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * u2);
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t state_[4];
};

/// @}

namespace detail {

/// The splitmix64 finaliser (Stafford's mix 13): a bijection of 64-bit words whose output bits
/// each depend on every input bit.
constexpr std::uint64_t mix64(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/// The stream of race keys of one (seed, step): a word that race_uniform mixes with the row.
constexpr std::uint64_t race_stream(std::uint64_t seed, std::uint64_t step) {
    return mix64(mix64(seed ^ 0x243f6a8885a308d3ULL) + (step + 1) * 0x9e3779b97f4a7c15ULL);
}

/// Uniform double in (0, 1] for row `row` of a race stream: splitmix64 at position row + 1 of
/// the stream (a counter, so any row is drawn without the others), top 53 bits, plus one, times
/// 2^-53 (exact). The same value on every platform.
constexpr double race_uniform(std::uint64_t stream, std::uint64_t row) {
    return static_cast<double>((mix64(stream + (row + 1) * 0xd1b54a32d192ed03ULL) >> 11) + 1) * 0x1.0p-53;
}

/// Exponential race key of a row at one step of a sampler: -ln u, u = race_uniform(
/// race_stream(seed, step), row), so key ~ Exp(1), independent across rows and steps, computed
/// from (seed, step, row) alone. argmin_i key_i / w_i draws i with probability w_i / sum_j w_j
/// (the exponential race), whatever order or split the rows are visited in. std::log: the
/// keys agree across platforms whose libm log is correctly rounded (glibc, musl, macOS).
inline double race_key(std::uint64_t seed, std::uint64_t step, std::uint64_t row) {
    return -std::log(race_uniform(race_stream(seed, step), row));
}

}  // namespace detail

/// \addtogroup core_vocabulary
/// @{

/// The random baseline: k distinct indices drawn uniformly from [0, n) minus `exclude`, in draw
/// order. A partial Fisher-Yates shuffle driven by `Rng(seed)`, so the same (n, k, seed,
/// exclude) gives the same picks on every platform. O(n) time and memory.
///
/// Throws invalid_input when n < 0, `exclude` has an index outside [0, n) or a duplicate, or
/// k is negative or larger than n - |exclude|.
inline std::vector<Index> random_select(Index n, Index k, std::uint64_t seed,
                                        const std::vector<Index>& exclude = {}) {
    constexpr const char* fn = "random_select";
    if (n < 0) detail::fail(fn, "n must be >= 0, got ", n);
    const auto excluded = detail::index_mask(fn, "exclude", exclude, n);
    const Index available = n - static_cast<Index>(exclude.size());
    detail::check_budget(fn, "k", k, available);
    std::vector<Index> pool;
    pool.reserve(static_cast<std::size_t>(available));
    for (Index i = 0; i < n; ++i)
        if (!excluded[static_cast<std::size_t>(i)]) pool.push_back(i);
    Rng rng(seed);
    for (Index j = 0; j < k; ++j) {
        const auto remaining = static_cast<std::uint64_t>(available - j);
        const auto pick = j + static_cast<Index>(rng.below(remaining));
        std::swap(pool[static_cast<std::size_t>(j)], pool[static_cast<std::size_t>(pick)]);
    }
    pool.resize(static_cast<std::size_t>(k));
    return pool;
}

/// @}

}  // namespace acquire
