// Ragged outputs: per-sample scores equal the flat scorers applied to each sample's own rows and
// reduced by hand; the sequence scores from their definitions and by hand; the empty-sample rule;
// permutations; the offsets checks and the errors that name the sample and the element.
#include <acquire/score/ragged.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <type_traits>
#include <vector>

using acquire::ElementScore;
using acquire::Index;
using acquire::RaggedReduction;
using acquire::SequenceScore;
using acquire::StackScore;
using Catch::Contains;

namespace {

/// Samples with 3, 0, 1, 5, 0, 2, 4 and 0 elements: empty samples first-after-full, in the
/// middle, twice in a row nowhere, and last.
const std::vector<Index> sizes = {3, 0, 1, 5, 0, 2, 4, 0};

std::vector<Index> offsets_of(const std::vector<Index>& counts) {
    std::vector<Index> o(1, 0);
    for (const Index c : counts) o.push_back(o.back() + c);
    return o;
}

template <class T, int Storage = Eigen::RowMajor>
Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Storage> pool(Index rows, Index K, std::uint64_t seed) {
    acquire::synthetic::ProbabilityOptions o;
    o.seed = seed;
    o.tie_fraction = 0.2;
    return acquire::synthetic::probabilities<T, Storage>(rows, K, o);
}

/// A flat scorer on one sample's rows alone.
template <class T>
acquire::Vector<T> flat(ElementScore s, const acquire::RowMatrix<T>& p) {
    switch (s) {
        case ElementScore::least_confidence: return acquire::least_confidence(p);
        case ElementScore::margin: return acquire::margin(p);
        case ElementScore::entropy: return acquire::entropy(p);
        default: return acquire::ratio(p);
    }
}

template <class T>
acquire::Vector<T> flat_stack(StackScore s, const acquire::PredictionStack<T>& stack) {
    switch (s) {
        case StackScore::bald: return acquire::bald(stack);
        case StackScore::mean_std: return acquire::mean_std(stack);
        case StackScore::variation_ratio: return acquire::variation_ratio(stack);
        case StackScore::vote_entropy: return acquire::vote_entropy(stack);
        case StackScore::consensus_entropy: return acquire::consensus_entropy(stack);
        default: return acquire::kl_disagreement(stack);
    }
}

/// The reduction by hand, from the definitions; -1 for no elements.
template <class V>
double reduce(const V& v, RaggedReduction r) {
    if (v.size() == 0) return -1;
    double sum = 0, max = -std::numeric_limits<double>::infinity();
    for (Index i = 0; i < Index(v.size()); ++i) {
        sum += double(v[i]);
        max = std::max(max, double(v[i]));
    }
    return r == RaggedReduction::max ? max : r == RaggedReduction::sum ? sum : sum / double(v.size());
}

/// A sequence score from its definition, in double, straight from the token distributions.
template <class M>
double sequence_by_hand(const M& p, SequenceScore s) {
    const Index n = p.rows();
    if (n == 0) return -1;
    double h = 0, log_p = 0, prod = 1;
    for (Index t = 0; t < n; ++t) {
        double top = 0;
        for (Index k = 0; k < p.cols(); ++k) {
            const double v = double(p(t, k));
            if (v > 0) h -= v * std::log(v);
            top = std::max(top, v);
        }
        log_p += std::log(top);
        prod *= top;
    }
    switch (s) {
        case SequenceScore::total_entropy: return h;
        case SequenceScore::mean_entropy: return h / double(n);
        case SequenceScore::least_confidence: return 1 - prod;
        default: return -log_p / double(n);
    }
}

const ElementScore element_scores[] = {ElementScore::least_confidence, ElementScore::margin, ElementScore::entropy,
                                       ElementScore::ratio};
const RaggedReduction reductions[] = {RaggedReduction::max, RaggedReduction::mean, RaggedReduction::sum};
const SequenceScore sequence_scores[] = {SequenceScore::total_entropy, SequenceScore::mean_entropy,
                                         SequenceScore::least_confidence, SequenceScore::mnlp};
const StackScore stack_scores[] = {StackScore::bald,         StackScore::mean_std,
                                   StackScore::variation_ratio, StackScore::vote_entropy,
                                   StackScore::consensus_entropy, StackScore::kl_disagreement};

template <class T>
constexpr double eps() {
    return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

}  // namespace

TEMPLATE_TEST_CASE("ragged scores equal the flat scorers on each sample's rows, reduced by hand", "[ragged]", float,
                   double) {
    using T = TestType;
    const std::vector<Index> offsets = offsets_of(sizes);
    const Index total = offsets.back(), K = 6;
    const acquire::RowMatrix<T> rows = pool<T>(total, K, 3);
    const acquire::Matrix<T> columns = rows;  // the same numbers, column-major
    for (const ElementScore s : element_scores)
        for (const RaggedReduction r : reductions) {
            INFO("score " << int(s) << ", reduction " << int(r));
            const acquire::Vector<T> a = acquire::ragged_score(rows, offsets, s, r);
            const acquire::Vector<T> b = acquire::ragged_score(columns, offsets, s, r);
            REQUIRE(a.size() == Index(sizes.size()));
            REQUIRE(b.size() == Index(sizes.size()));
            for (std::size_t n = 0; n < sizes.size(); ++n) {
                const acquire::RowMatrix<T> own = rows.middleRows(offsets[n], sizes[n]);
                const double want = sizes[n] == 0 ? -1.0 : reduce(flat<T>(s, own), r);
                INFO("sample " << n);
                CHECK(double(a[Index(n)]) == Approx(want).epsilon(eps<T>()).margin(eps<T>()));
                CHECK(double(b[Index(n)]) == Approx(want).epsilon(eps<T>()).margin(eps<T>()));
            }
        }
}

TEMPLATE_TEST_CASE("sequence scores equal their definitions token by token", "[ragged][sequence]", float, double) {
    using T = TestType;
    const std::vector<Index> offsets = offsets_of(sizes);
    const Index total = offsets.back(), K = 5;
    const acquire::RowMatrix<T> rows = pool<T>(total, K, 8);
    const acquire::Matrix<T> columns = rows;
    // A view of a larger buffer (an outer stride): any expression is read in place.
    acquire::RowMatrix<T> wide = acquire::RowMatrix<T>::Zero(total, K + 3);
    wide.leftCols(K) = rows;
    for (const SequenceScore s : sequence_scores) {
        INFO("sequence score " << int(s));
        const acquire::Vector<T> a = acquire::sequence_score(rows, offsets, s);
        const acquire::Vector<T> b = acquire::sequence_score(columns, offsets, s);
        const acquire::Vector<T> c = acquire::sequence_score(wide.leftCols(K), offsets, s);
        for (std::size_t n = 0; n < sizes.size(); ++n) {
            INFO("sample " << n);
            const double want = sequence_by_hand(rows.middleRows(offsets[n], sizes[n]), s);
            CHECK(double(a[Index(n)]) == Approx(want).epsilon(eps<T>()).margin(eps<T>()));
            CHECK(double(b[Index(n)]) == Approx(want).epsilon(eps<T>()).margin(eps<T>()));
            CHECK(double(c[Index(n)]) == Approx(want).epsilon(eps<T>()).margin(eps<T>()));
        }
    }
}

TEMPLATE_TEST_CASE("a two-token sequence by hand; confident sequences keep their digits", "[ragged][sequence]", float,
                   double) {
    using T = TestType;
    acquire::RowMatrix<T> p(2, 2);
    p << T(0.9), T(0.1), T(0.6), T(0.4);
    const std::vector<Index> offsets = {0, 2};
    const double h1 = -(0.9 * std::log(0.9) + 0.1 * std::log(0.1));
    const double h2 = -(0.6 * std::log(0.6) + 0.4 * std::log(0.4));
    const double e = eps<T>();
    CHECK(double(acquire::sequence_score(p, offsets, SequenceScore::least_confidence)[0]) ==
          Approx(0.46).epsilon(e).margin(e));
    CHECK(double(acquire::sequence_score(p, offsets, SequenceScore::mnlp)[0]) ==
          Approx(-(std::log(0.9) + std::log(0.6)) / 2).epsilon(e));
    CHECK(double(acquire::sequence_score(p, offsets, SequenceScore::total_entropy)[0]) == Approx(h1 + h2).epsilon(e));
    CHECK(double(acquire::sequence_score(p, offsets, SequenceScore::mean_entropy)[0]) ==
          Approx((h1 + h2) / 2).epsilon(e));
    // The same tokens as two one-token samples: the ragged reductions of the flat scores.
    const std::vector<Index> split = {0, 1, 2};
    const auto lc = acquire::ragged_score(p, {0, 2}, ElementScore::least_confidence, RaggedReduction::sum);
    CHECK(double(lc[0]) == Approx(0.1 + 0.4).epsilon(e));
    const auto h = acquire::sequence_score(p, split, SequenceScore::total_entropy);
    CHECK(double(h[0]) == Approx(h1).epsilon(e));
    CHECK(double(h[1]) == Approx(h2).epsilon(e));

    // One-hot tokens score exactly +0 (not -0) under every sequence score.
    acquire::RowMatrix<T> sure(3, 3);
    sure << 1, 0, 0, 0, 1, 0, 0, 0, 1;
    for (const SequenceScore s : sequence_scores) {
        const T v = acquire::sequence_score(sure, {0, 3}, s)[0];
        CHECK(v == T(0));
        CHECK_FALSE(std::signbit(v));
    }

    // 1000 tokens each 1 - d sure: 1 - (1 - d)^1000 is about 1000 d; 1 - prod would keep only
    // the digits above the Scalar's epsilon, the logs and expm1 keep them all.
    const T d = std::is_same_v<T, float> ? T(1e-6) : T(1e-12);
    const Index n = 1000;
    acquire::RowMatrix<T> confident(n, 2);
    confident.col(0).setConstant(T(1) - d);
    confident.col(1) = (T(1) - confident.col(0).array()).matrix();  // exact: the rows sum to 1
    const double s = 1 - double(confident(0, 0));        // exact for a top probability >= 1/2
    const double want = -std::expm1(double(n) * std::log1p(-s));
    const double got = double(acquire::sequence_score(confident, {0, n}, SequenceScore::least_confidence)[0]);
    CHECK(got == Approx(want).epsilon(std::is_same_v<T, float> ? 1e-6 : 1e-12));
    CHECK(double(acquire::sequence_score(confident, {0, n}, SequenceScore::mnlp)[0]) ==
          Approx(-std::log1p(-s)).epsilon(std::is_same_v<T, float> ? 1e-6 : 1e-12));
}

TEST_CASE("empty samples score -1 under every score and reduction", "[ragged]") {
    const std::vector<Index> offsets = offsets_of(sizes);
    const acquire::RowMatrix<double> p = pool<double>(offsets.back(), 4, 21);
    std::vector<acquire::RowMatrix<double>> members = {pool<double>(offsets.back(), 4, 22),
                                                       pool<double>(offsets.back(), 4, 23)};
    const acquire::PredictionStack<double> stack(members);
    const auto check = [&](const Eigen::VectorXd& v) {
        for (std::size_t n = 0; n < sizes.size(); ++n) {
            INFO("sample " << n);
            if (sizes[n] == 0) CHECK(v[Index(n)] == -1);
            else CHECK(v[Index(n)] >= 0);
        }
    };
    for (const RaggedReduction r : reductions) {
        for (const ElementScore s : element_scores) check(acquire::ragged_score(p, offsets, s, r));
        for (const StackScore s : stack_scores) check(acquire::ragged_stack_score(stack, offsets, s, r));
    }
    for (const SequenceScore s : sequence_scores) check(acquire::sequence_score(p, offsets, s));

    // No rows at all (no image has a box): every sample scores -1.
    const acquire::RowMatrix<double> none(0, 4);
    for (const RaggedReduction r : reductions)
        CHECK(acquire::ragged_score(none, {0, 0, 0}, ElementScore::entropy, r) == Eigen::VectorXd::Constant(2, -1));
    for (const SequenceScore s : sequence_scores)
        CHECK(acquire::sequence_score(none, {0, 0}, s) == Eigen::VectorXd::Constant(1, -1));
}

TEMPLATE_TEST_CASE("ragged stack scores equal the stack scorers on each sample's rows", "[ragged][stack]", float,
                   double) {
    using T = TestType;
    const std::vector<Index> offsets = offsets_of(sizes);
    const Index total = offsets.back(), K = 4, Tm = 3;
    std::vector<acquire::RowMatrix<T>> members;
    for (Index t = 0; t < Tm; ++t) members.push_back(pool<T>(total, K, 30 + std::uint64_t(t)));
    // [T][total][K] and [total][K][T] buffers of the same stack.
    std::vector<T> tnk, nkt(static_cast<std::size_t>(Tm * total * K));
    for (const auto& m : members) tnk.insert(tnk.end(), m.data(), m.data() + m.size());
    for (Index t = 0; t < Tm; ++t)
        for (Index i = 0; i < total; ++i)
            for (Index k = 0; k < K; ++k)
                nkt[static_cast<std::size_t>((i * K + k) * Tm + t)] = members[std::size_t(t)](i, k);
    const auto a = acquire::PredictionStack<T>::tnk(tnk.data(), Tm, total, K);
    const auto b = acquire::PredictionStack<T>::nkt(nkt.data(), total, K, Tm);
    for (const StackScore s : stack_scores)
        for (const RaggedReduction r : reductions) {
            INFO("stack score " << int(s) << ", reduction " << int(r));
            const acquire::Vector<T> x = acquire::ragged_stack_score(a, offsets, s, r);
            const acquire::Vector<T> y = acquire::ragged_stack_score(b, offsets, s, r);
            for (std::size_t n = 0; n < sizes.size(); ++n) {
                INFO("sample " << n);
                double want = -1;
                if (sizes[n] > 0) {
                    std::vector<acquire::RowMatrix<T>> own;
                    for (const auto& m : members) own.push_back(m.middleRows(offsets[n], sizes[n]));
                    want = reduce(flat_stack<T>(s, acquire::PredictionStack<T>(own)), r);
                }
                CHECK(double(x[Index(n)]) == Approx(want).epsilon(eps<T>()).margin(eps<T>()));
                CHECK(double(y[Index(n)]) == Approx(want).epsilon(eps<T>()).margin(eps<T>()));
            }
        }
}

TEST_CASE("permuting the samples with their rows permutes the scores", "[ragged]") {
    const std::vector<Index> offsets = offsets_of(sizes);
    const Index total = offsets.back(), K = 5;
    const acquire::RowMatrix<double> p = pool<double>(total, K, 14), q = pool<double>(total, K, 15);
    const std::vector<std::size_t> perm = {5, 3, 7, 0, 6, 1, 4, 2};
    std::vector<Index> shuffled_sizes;
    for (const std::size_t j : perm) shuffled_sizes.push_back(sizes[j]);
    const std::vector<Index> shuffled_offsets = offsets_of(shuffled_sizes);
    acquire::RowMatrix<double> ps(total, K), qs(total, K);
    for (std::size_t n = 0; n < perm.size(); ++n) {
        ps.middleRows(shuffled_offsets[n], sizes[perm[n]]) = p.middleRows(offsets[perm[n]], sizes[perm[n]]);
        qs.middleRows(shuffled_offsets[n], sizes[perm[n]]) = q.middleRows(offsets[perm[n]], sizes[perm[n]]);
    }
    const auto same = [&](const Eigen::VectorXd& original, const Eigen::VectorXd& shuffled) {
        for (std::size_t n = 0; n < perm.size(); ++n) {
            INFO("position " << n << " holds sample " << perm[n]);
            CHECK(shuffled[Index(n)] == Approx(original[Index(perm[n])]).epsilon(1e-14).margin(1e-15));
        }
    };
    for (const RaggedReduction r : reductions)
        for (const ElementScore s : element_scores)
            same(acquire::ragged_score(p, offsets, s, r), acquire::ragged_score(ps, shuffled_offsets, s, r));
    for (const SequenceScore s : sequence_scores)
        same(acquire::sequence_score(p, offsets, s), acquire::sequence_score(ps, shuffled_offsets, s));
    const std::vector<acquire::RowMatrix<double>> members = {p, q}, shuffled_members = {ps, qs};
    const acquire::PredictionStack<double> a(members), b(shuffled_members);
    for (const StackScore s : stack_scores)
        same(acquire::ragged_stack_score(a, offsets, s, RaggedReduction::mean),
             acquire::ragged_stack_score(b, shuffled_offsets, s, RaggedReduction::mean));
}

TEST_CASE("bad offsets are named by entry, whatever the value checks", "[ragged][checks]") {
    const acquire::RowMatrix<double> p = pool<double>(12, 3, 5);
    const std::vector<acquire::RowMatrix<double>> members = {p, p};
    const acquire::PredictionStack<double> stack(members);
    acquire::CheckOptions off;
    off.values = false;
    for (const acquire::CheckOptions& c : {acquire::CheckOptions{}, off}) {
        const auto ragged = [&](const std::vector<Index>& o) {
            acquire::ragged_score(p, o, ElementScore::entropy, RaggedReduction::max, c);
        };
        const auto sequence = [&](const std::vector<Index>& o) {
            acquire::sequence_score(p, o, SequenceScore::mnlp, c);
        };
        const auto stacked = [&](const std::vector<Index>& o) {
            acquire::ragged_stack_score(stack, o, StackScore::bald, RaggedReduction::sum, c);
        };
        CHECK_THROWS_WITH(ragged({}), Contains("acquire::ragged_score: offsets has 0 entries, needs N + 1 >= 2"));
        CHECK_THROWS_WITH(ragged({12}), Contains("acquire::ragged_score: offsets has 1 entry, needs N + 1 >= 2"));
        CHECK_THROWS_WITH(ragged({1, 12}), Contains("acquire::ragged_score: offsets entry 0 is 1, must be 0"));
        CHECK_THROWS_WITH(ragged({-1, 12}), Contains("offsets entry 0 is -1, must be 0"));
        CHECK_THROWS_WITH(ragged({0, 4, 9, 7, 12}),
                          Contains("acquire::ragged_score: offsets entry 3 is 7, below entry 2 (9)"));
        CHECK_THROWS_WITH(ragged({0, 4, 11}),
                          Contains("acquire::ragged_score: offsets entry 2 (the last) is 11 but probabilities has 12 rows"));
        CHECK_THROWS_WITH(ragged({0, 4, 13}), Contains("offsets entry 2 (the last) is 13 but probabilities has 12 rows"));
        CHECK_THROWS_WITH(sequence({0}), Contains("acquire::sequence_score: offsets has 1 entry"));
        CHECK_THROWS_WITH(sequence({0, 5, 3, 12}), Contains("acquire::sequence_score: offsets entry 2 is 3, below entry 1 (5)"));
        CHECK_THROWS_WITH(sequence({2, 12}), Contains("acquire::sequence_score: offsets entry 0 is 2, must be 0"));
        CHECK_THROWS_WITH(sequence({0, 4}), Contains("acquire::sequence_score: offsets entry 1 (the last) is 4"));
        CHECK_THROWS_WITH(stacked({}), Contains("acquire::ragged_stack_score: offsets has 0 entries"));
        CHECK_THROWS_WITH(stacked({0, 6, 5, 12}), Contains("acquire::ragged_stack_score: offsets entry 2 is 5, below entry 1 (6)"));
        CHECK_THROWS_WITH(stacked({3, 12}), Contains("acquire::ragged_stack_score: offsets entry 0 is 3, must be 0"));
        CHECK_THROWS_WITH(stacked({0, 13}),
                          Contains("acquire::ragged_stack_score: offsets entry 1 (the last) is 13 but stack has 12 rows"));
        CHECK_NOTHROW(ragged({0, 12}));
        CHECK_NOTHROW(sequence({0, 0, 12, 12}));
        CHECK_NOTHROW(stacked({0, 5, 5, 12}));
    }
    // No class, and a bad tolerance, named by the ragged function.
    const acquire::RowMatrix<double> no_class(0, 0);
    CHECK_THROWS_WITH(acquire::ragged_score(no_class, {0, 0}, ElementScore::margin, RaggedReduction::max),
                      Contains("acquire::ragged_score: probabilities must have at least one column"));
    acquire::CheckOptions bad;
    bad.tolerance = -1;
    CHECK_THROWS_WITH(acquire::sequence_score(p, {0, 12}, SequenceScore::mnlp, bad),
                      Contains("acquire::sequence_score: options tolerance"));
    CHECK_THROWS_WITH(acquire::ragged_stack_score(stack, {0, 12}, StackScore::bald, RaggedReduction::max, bad),
                      Contains("acquire::ragged_stack_score: options tolerance"));
}

TEMPLATE_TEST_CASE("bad values name the sample and the element", "[ragged][checks]", float, double) {
    using T = TestType;
    // Samples of 2, 0, 3, 0, 2 rows: row 3 is element 1 of sample 2 (past an empty sample).
    const std::vector<Index> offsets = {0, 2, 2, 5, 5, 7};
    acquire::RowMatrix<T> p = pool<T>(7, 4, 9);
    p(3, 2) = std::numeric_limits<T>::quiet_NaN();
    const acquire::Matrix<T> columns = p;
    CHECK_THROWS_WITH(acquire::ragged_score(p, offsets, ElementScore::entropy, RaggedReduction::mean),
                      Contains("acquire::ragged_score: probabilities sample 2 element 1 class 2 is nan"));
    CHECK_THROWS_WITH(acquire::ragged_score(columns, offsets, ElementScore::margin, RaggedReduction::max),
                      Contains("acquire::ragged_score: probabilities sample 2 element 1 class 2 is nan"));
    CHECK_THROWS_WITH(acquire::sequence_score(p, offsets, SequenceScore::least_confidence),
                      Contains("acquire::sequence_score: probabilities sample 2 element 1 class 2 is nan"));
    acquire::CheckOptions off;
    off.values = false;
    CHECK_NOTHROW(acquire::ragged_score(p, offsets, ElementScore::entropy, RaggedReduction::mean, off));
    CHECK_NOTHROW(acquire::sequence_score(p, offsets, SequenceScore::mnlp, off));

    // The lowest bad row is named: row 5 (sample 4 element 0) sums to 1.5, row 6 is negative.
    acquire::RowMatrix<T> q = pool<T>(7, 4, 10);
    q.row(5).setConstant(T(0.375));  // sums to 1.5, every entry in range
    q(6, 0) = T(-0.25);
    CHECK_THROWS_WITH(acquire::sequence_score(q, offsets, SequenceScore::total_entropy),
                      Contains("acquire::sequence_score: probabilities sample 4 element 0 sums to 1.5"));
    // Row 0: the first sample's first element.
    q(0, 1) = T(2);
    CHECK_THROWS_WITH(acquire::ragged_score(q, offsets, ElementScore::ratio, RaggedReduction::sum),
                      Contains("probabilities sample 0 element 0 class 1 is 2 (must be in [0, 1])"));

    // A stack: the member is named too, the lowest bad row first, then its lowest member.
    std::vector<acquire::RowMatrix<T>> members = {pool<T>(7, 4, 11), pool<T>(7, 4, 12), pool<T>(7, 4, 13)};
    members[2].row(2).setConstant(T(0.375));  // sample 2 element 0, member 2
    members[1].row(2).setConstant(T(0.375));  // the same row, member 1: named
    members[0].row(6).setConstant(T(0.375));  // a later row, member 0
    const acquire::PredictionStack<T> stack(members);
    for (const StackScore s : stack_scores)
        CHECK_THROWS_WITH(acquire::ragged_stack_score(stack, offsets, s, RaggedReduction::max),
                          Contains("acquire::ragged_stack_score: stack member 1 sample 2 element 0 sums to 1.5"));
    CHECK_NOTHROW(acquire::ragged_stack_score(stack, offsets, StackScore::bald, RaggedReduction::max, off));
}
