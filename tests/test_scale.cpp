// Index arithmetic past 2^31 elements: a pool whose N x K (or N x d) exceeds 2^31 floats,
// backed by an 8.6 GB anonymous mapping that is never written except for two rows, so the
// kernel maps every other page to its shared zero page (no 8 GB allocation). Only the last rows
// hold values, at offsets beyond 2^31: any 32-bit offset would read the wrong row.
//
// Release builds only: under AddressSanitizer the shadow of the mapping and the run time are
// not worth it.
#include <acquire/core/stack.hpp>
#include <acquire/score/bayesian.hpp>
#include <acquire/score/committee.hpp>
#include <acquire/score/uncertainty.hpp>
#include <acquire/select/k_center.hpp>

#include <catch2/catch.hpp>

#include <cmath>

#if defined(__unix__)
#include <sys/mman.h>
#endif

using acquire::Index;

#if defined(__SANITIZE_ADDRESS__)
#define ACQUIRE_SCALE_TEST 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ACQUIRE_SCALE_TEST 0
#endif
#endif
#ifndef ACQUIRE_SCALE_TEST
#if defined(__unix__)
#define ACQUIRE_SCALE_TEST 1
#else
#define ACQUIRE_SCALE_TEST 0
#endif
#endif

#if ACQUIRE_SCALE_TEST
namespace {

class Zeros {  // a read-mostly mapping of zero pages
public:
    explicit Zeros(std::size_t bytes) : bytes_(bytes) {
        p_ = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
#ifdef MADV_HUGEPAGE
        // Read faults then map the 2 MB huge zero page: 4,000 faults and TLB entries, not 2 M.
        if (p_ != MAP_FAILED) madvise(p_, bytes, MADV_HUGEPAGE);
#endif
    }
    ~Zeros() {
        if (p_ != MAP_FAILED) munmap(p_, bytes_);
    }
    bool ok() const { return p_ != MAP_FAILED; }
    float* data() const { return static_cast<float*>(p_); }

private:
    std::size_t bytes_;
    void* p_;
};

}  // namespace

TEST_CASE("scorers and k-center index correctly past 2^31 elements", "[scale]") {
    const Index K = 1024, N = (Index(1) << 21) + 1;  // N K = 2^31 + 1024
    REQUIRE(N * K > (Index(1) << 31));
    Zeros mem(static_cast<std::size_t>(N * K) * sizeof(float));
    if (!mem.ok()) {
        WARN("could not map " << N * K * 4 / (1 << 20) << " MB of address space; skipped");
        return;
    }
    float* p = mem.data();
    // Row N-1 one-hot on the last class; row N-2 half on classes 0 and K-1 (row-major offsets
    // (N-1) K + K-1 = 2^31 + 1023, beyond 2^31).
    p[(N - 1) * K + K - 1] = 1.0f;
    p[(N - 2) * K] = 0.5f;
    p[(N - 2) * K + K - 1] = 0.5f;
    acquire::CheckOptions fast;
    fast.values = false;  // the zero rows are not distributions; the point is the offsets
    using Rows = Eigen::Map<const acquire::RowMatrix<float>>;
    const Rows P(p, N, K);
    const Eigen::VectorXf lc = acquire::least_confidence(P, fast);
    CHECK(lc[N - 1] == 0.0f);
    CHECK(lc[N - 2] == 0.5f);
    CHECK(lc[0] == 1.0f);
    const Eigen::VectorXf h = acquire::entropy(P, fast);
    CHECK(h[N - 2] == Approx(std::log(2.0)));
    CHECK(h[N - 1] == 0.0f);

    // A one-member stack over the row-major buffer.
    const auto S = acquire::PredictionStack<float>::tnk(p, 1, N, K);
    const Eigen::VectorXf ce = acquire::consensus_entropy(S, fast);
    CHECK(ce[N - 2] == Approx(std::log(2.0)));
    CHECK(acquire::bald(S, fast)[N - 2] == Approx(0.0).margin(1e-6));

    // k-center over N points in K dimensions: from the zero row 0, the farthest point is the
    // one-hot row N - 1 (distance 1), then row N - 2.
    acquire::KCenterOptions o;
    o.first = 0;
    o.checks.values = false;
    const auto sel = acquire::k_center_greedy(P, {}, 3, o);
    CHECK(sel.indices == std::vector<Index>{0, N - 1, N - 2});

    // The same buffer read as an N x K column-major matrix: entry (i, k) is at i + k N, so
    // (N - 1, K - 1) sits at N K - 1.
    p[N * K - 1] = 0.25f;  // last, as it overwrites row N - 1 of the row-major view
    using Cols = Eigen::Map<const acquire::Matrix<float>>;
    const Cols C(p, N, K);
    CHECK(acquire::least_confidence(C, fast)[N - 1] == 0.75f);

}
#else
TEST_CASE("scale test skipped in this build", "[scale]") { SUCCEED("sanitizer build or no mmap"); }
#endif
