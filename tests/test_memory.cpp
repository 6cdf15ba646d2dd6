// Memory bounds promised in the options, measured: this binary interposes malloc and friends
// (glibc) to track the live heap and its peak, and checks each function's peak above the
// inputs against its documented bound.
//
// Not built into the sanitizer run's checks (AddressSanitizer owns malloc there).
#include <acquire/score/contrastive.hpp>
#include <acquire/select/batch_bald.hpp>
#include <acquire/select/facility_location.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstddef>
#include <cstdio>

#if defined(__SANITIZE_ADDRESS__)
#define ACQUIRE_MEMORY_TEST 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ACQUIRE_MEMORY_TEST 0
#endif
#endif
#ifndef ACQUIRE_MEMORY_TEST
#if defined(__GLIBC__)
#define ACQUIRE_MEMORY_TEST 1
#else
#define ACQUIRE_MEMORY_TEST 0
#endif
#endif

using acquire::Index;

#if ACQUIRE_MEMORY_TEST
#include <malloc.h>

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);
}

namespace {

std::atomic<long long> live{0}, peak{0};

void* counted(void* p) {
    if (p) {
        const long long now = live += static_cast<long long>(malloc_usable_size(p));
        long long seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
    }
    return p;
}
void uncount(void* p) {
    if (p) live -= static_cast<long long>(malloc_usable_size(p));
}

/// Peak live heap, in bytes, while f runs, above what was live when it started.
template <class F>
long long peak_above_start(F&& f) {
    const long long start = live.load();
    peak = start;
    f();
    return peak.load() - start;
}

}  // namespace

extern "C" {
void* malloc(std::size_t n) { return counted(__libc_malloc(n)); }
void* calloc(std::size_t n, std::size_t m) { return counted(__libc_calloc(n, m)); }
void* realloc(void* p, std::size_t n) {
    uncount(p);
    return counted(__libc_realloc(p, n));
}
void* memalign(std::size_t a, std::size_t n) { return counted(__libc_memalign(a, n)); }
void* aligned_alloc(std::size_t a, std::size_t n) { return counted(__libc_memalign(a, n)); }
int posix_memalign(void** out, std::size_t a, std::size_t n) {
    *out = counted(__libc_memalign(a, n));
    return *out ? 0 : 12;  // ENOMEM
}
void free(void* p) {
    uncount(p);
    __libc_free(p);
}
}

TEST_CASE("the tracker sees Eigen and std allocations", "[memory]") {
    const long long p = peak_above_start([] {
        Eigen::MatrixXf m(1000, 1000);
        m.setZero();
        std::vector<double> v(100000);
    });
    CHECK(p >= 4000000 + 800000);
    CHECK(p < 4000000 + 800000 + 65536);
}

TEST_CASE("facility_location stays within memory_bytes of similarities", "[memory]") {
    const Index n = 8000, d = 16;
    const auto X = acquire::synthetic::embeddings<float, Eigen::RowMajor>(n, d);
    acquire::FacilityLocationOptions o;
    o.memory_bytes = std::size_t(1) << 20;  // the full 8,000 x 8,000 block would be 256 MB
    const long long used = peak_above_start([&] { acquire::facility_location(X, {}, 20, o); });
    // the bound, plus O(N d) for the normalised copy and O(N) per-point state (gains, best
    // similarities, lazy bounds: 128 bytes per point covers them)
    const long long bound = static_cast<long long>(o.memory_bytes) + 2 * n * d * 4 + 128 * n + (1 << 16);
    std::printf("facility_location: peak %.2f MB, bound %.2f MB (full block: %.0f MB)\n", used / 1e6, bound / 1e6,
                double(n) * n * 4 / 1e6);
    CHECK(used <= bound);
}

TEST_CASE("contrastive_score keeps its distance tiles within memory_bytes per thread", "[memory]") {
    const Index n = 6000, m = 3000, d = 32, K = 10, k = 10;
    const auto Hp = acquire::synthetic::embeddings<float, Eigen::RowMajor>(n, d);
    const auto Hl = acquire::synthetic::embeddings<float, Eigen::RowMajor>(m, d, {32, 0.3, 2});
    const auto Pp = acquire::synthetic::probabilities<float, Eigen::RowMajor>(n, K);
    const auto Pl = acquire::synthetic::probabilities<float, Eigen::RowMajor>(m, K, {3.0, 0.0, 4});
    acquire::ContrastiveOptions o;
    o.memory_bytes = std::size_t(1) << 18;  // 256 KB per thread; N x M would be 72 MB
#ifdef _OPENMP
    const long long threads = omp_get_max_threads();
#else
    const long long threads = 1;
#endif
    const long long used = peak_above_start([&] { acquire::contrastive_score(Pp, Hp, Pl, Hl, k, o); });
    // tiles, plus per thread a 256-row block's k-NN lists and norms, plus the labeled
    // predictions and their logs, the labeled norms and the output
    const long long bound = threads * (static_cast<long long>(o.memory_bytes) + 256 * k * 16 + 256 * 8 + 4096) +
                            2 * m * K * 4 + m * 4 + n * 4 + (1 << 16);
    std::printf("contrastive_score: peak %.2f MB, bound %.2f MB (N x M: %.0f MB)\n", used / 1e6, bound / 1e6,
                double(n) * m * 4 / 1e6);
    CHECK(used <= bound);
}

TEST_CASE("batch_bald keeps its working memory to the documented O(T C + N + tiles)", "[memory]") {
    const Index T = 10, n = 3000, K = 10;
    const auto buf = acquire::synthetic::stack_buffer<float>(T, n, K);
    const auto S = acquire::PredictionStack<float>::tnk(buf.data(), T, n, K);
    acquire::BatchBaldOptions o;
    o.max_configurations = 1000;
    o.samples = 500;
    const long long used = peak_above_start([&] { acquire::batch_bald(S, 5, o); });
#ifdef _OPENMP
    const long long threads = omp_get_max_threads();
#else
    const long long threads = 1;
#endif
    const long long C = std::max<long long>(o.max_configurations, o.samples);
    // per thread one tile of about 2^20 doubles (8 MB) plus its T x (tile K) probabilities; the
    // T x C table (and the next step's), O(N) doubles
    const long long tile = std::max<long long>(1, (1 << 20) / (C * K));
    const long long bound = threads * (C * tile * K * 8 + T * tile * K * 8 + 4096) + 4 * T * C * 8 + 8 * n * 8 + (1 << 20);
    std::printf("batch_bald: peak %.2f MB, bound %.2f MB (an N x C matrix: %.0f MB)\n", used / 1e6, bound / 1e6,
                double(n) * double(C) * 8 / 1e6);
    CHECK(used <= bound);
}
#else
TEST_CASE("memory tests skipped in this build", "[memory]") { SUCCEED("sanitizer build or not glibc"); }
#endif
