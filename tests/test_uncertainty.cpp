// Uncertainty scorers: hand-computed values, a brute-force double reference, every layout, the
// logits forms, and every bad input.
#include <acquire/score/uncertainty.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

using acquire::Index;
using acquire::invalid_input;
using acquire::Matrix;
using acquire::RowMatrix;
using acquire::Vector;

namespace {

enum class Kind { least_confidence, margin, entropy, ratio };
constexpr Kind all_kinds[] = {Kind::least_confidence, Kind::margin, Kind::entropy, Kind::ratio};

const char* name(Kind k) {
    switch (k) {
        case Kind::least_confidence: return "least_confidence";
        case Kind::margin: return "margin";
        case Kind::entropy: return "entropy";
        default: return "ratio";
    }
}

template <class Input>
auto score(Kind kind, const Input& input, const acquire::CheckOptions& checks = {}) {
    switch (kind) {
        case Kind::least_confidence: return acquire::least_confidence(input, checks);
        case Kind::margin: return acquire::margin(input, checks);
        case Kind::entropy: return acquire::entropy(input, checks);
        default: return acquire::ratio(input, checks);
    }
}

/// The definitions, written as plainly as possible, in double.
Eigen::VectorXd reference(Kind kind, const Eigen::MatrixXd& p) {
    Eigen::VectorXd out(p.rows());
    for (Index i = 0; i < p.rows(); ++i) {
        std::vector<double> row;
        for (Index k = 0; k < p.cols(); ++k) row.push_back(p(i, k));
        std::sort(row.rbegin(), row.rend());
        const double p1 = row[0], p2 = row.size() > 1 ? row[1] : 0.0;
        double h = 0;
        for (double v : row)
            if (v > 0) h -= v * std::log(v);
        switch (kind) {
            case Kind::least_confidence: out[i] = 1 - p1; break;
            case Kind::margin: out[i] = 1 - (p1 - p2); break;
            case Kind::entropy: out[i] = h; break;
            default: out[i] = p2 / p1;
        }
    }
    return out;
}

template <class T>
T tolerance() {
    return std::is_same<T, float>::value ? T(2e-5) : T(1e-12);
}

}  // namespace

TEMPLATE_TEST_CASE("uncertainty scorers give hand-computed values", "[uncertainty]", float, double) {
    using T = TestType;
    RowMatrix<T> p(4, 3);
    p << T(0.2), T(0.3), T(0.5),  //
        T(1), T(0), T(0),         //
        T(0.5), T(0.5), T(0),     //
        T(1) / 3, T(1) / 3, T(1) / 3;
    const T third = T(1) / 3;
    Vector<T> lc(4), mg(4), h(4), r(4);
    lc << T(0.5), T(0), T(0.5), 1 - third;
    mg << T(0.8), T(0), T(1), T(1);
    h << T(1.0296530140645737), T(0), std::log(T(2)), std::log(T(3));
    r << T(0.6), T(0), T(1), T(1);

    auto check_all = [&](const auto& probabilities) {
        CHECK((acquire::least_confidence(probabilities) - lc).cwiseAbs().maxCoeff() <= tolerance<T>());
        CHECK((acquire::margin(probabilities) - mg).cwiseAbs().maxCoeff() <= tolerance<T>());
        CHECK((acquire::entropy(probabilities) - h).cwiseAbs().maxCoeff() <= tolerance<T>());
        CHECK((acquire::ratio(probabilities) - r).cwiseAbs().maxCoeff() <= tolerance<T>());
    };
    check_all(p);
    check_all(Matrix<T>(p));

    INFO("a one-hot row scores exactly +0 everywhere, never -0 or a NaN from 0 ln 0");
    for (Kind kind : all_kinds) {
        const Vector<T> s = score(kind, p);
        CHECK(s[1] == T(0));
        CHECK_FALSE(std::signbit(s[1]));
    }
}

TEMPLATE_TEST_CASE("K = 1 and K = 2 edge cases", "[uncertainty]", float, double) {
    using T = TestType;
    const RowMatrix<T> one = RowMatrix<T>::Ones(3, 1);
    for (Kind kind : all_kinds) {
        INFO(name(kind) << " of a single class is 0");
        CHECK(score(kind, one).isZero(0));
        CHECK(score(kind, Matrix<T>(one)).isZero(0));
        CHECK(score(kind, acquire::logits(RowMatrix<T>::Constant(3, 1, T(7)))).isZero(0));
    }
    RowMatrix<T> two(3, 2);
    two << T(0.9), T(0.1), T(0.25), T(0.75), T(0.5), T(0.5);
    Vector<T> mg(3), r(3);
    mg << T(0.2), T(0.5), T(1);
    r << T(0.1) / T(0.9), T(1) / 3, T(1);
    CHECK(acquire::margin(two).isApprox(mg, tolerance<T>()));
    CHECK(acquire::ratio(two).isApprox(r, tolerance<T>()));
    CHECK(acquire::margin(Matrix<T>(two)).isApprox(mg, tolerance<T>()));
    CHECK(acquire::ratio(Matrix<T>(two)).isApprox(r, tolerance<T>()));
}

TEMPLATE_TEST_CASE("ties in the top two give margin 1 and ratio 1", "[uncertainty]", float, double) {
    using T = TestType;
    RowMatrix<T> p(3, 4);
    p << T(0.4), T(0.1), T(0.4), T(0.1),  //
        T(0.25), T(0.25), T(0.25), T(0.25),  //
        T(0.1), T(0.3), T(0.3), T(0.3);
    for (const auto& s : {acquire::margin(p), acquire::margin(Matrix<T>(p))}) CHECK(s.isOnes(0));
    for (const auto& s : {acquire::ratio(p), acquire::ratio(Matrix<T>(p))}) CHECK(s.isOnes(0));
}

TEMPLATE_TEST_CASE("every layout and expression gives the same scores as a double reference",
                   "[uncertainty]", float, double) {
    using T = TestType;
    // More rows than one block (2048) with a ragged tail, so the column-major path is exercised
    // across blocks; exact ties in 20% of rows.
    const Index n = 4100;
    for (Index k : {2, 3, 10, 37}) {
        acquire::synthetic::ProbabilityOptions options;
        options.tie_fraction = 0.2;
        options.seed = static_cast<std::uint64_t>(k);
        const RowMatrix<T> row = acquire::synthetic::probabilities<T>(n, k, options);
        const Matrix<T> col = row;
        // The same pool embedded in a larger matrix: blocks with an outer stride.
        Matrix<T> big_col = Matrix<T>::Zero(n + 5, k + 3);
        big_col.block(2, 1, n, k) = col;
        RowMatrix<T> big_row = big_col;
        std::vector<T> buffer(row.data(), row.data() + row.size());
        Eigen::Map<const RowMatrix<T>> mapped(buffer.data(), n, k);
        Eigen::Map<const Matrix<T>> mapped_col(col.data(), n, k);

        for (Kind kind : all_kinds) {
            INFO(name(kind) << " with K = " << k);
            const Eigen::VectorXd expected = reference(kind, row.template cast<double>());
            const Vector<T> s = score(kind, row);
            CHECK((s.template cast<double>() - expected).cwiseAbs().maxCoeff() <= 1e-5);
            INFO("row-major, column-major, Maps and strided blocks agree bit for bit or within rounding");
            CHECK((score(kind, col) - s).cwiseAbs().maxCoeff() <= tolerance<T>());
            CHECK(score(kind, mapped) == s);
            CHECK(score(kind, mapped_col) == score(kind, col));
            CHECK(score(kind, big_row.block(2, 1, n, k)) == s);
            CHECK(score(kind, big_col.block(2, 1, n, k)) == score(kind, col));
            INFO("an expression (transpose of a transpose) works too");
            CHECK((score(kind, col.transpose().transpose()) - s).cwiseAbs().maxCoeff() <= tolerance<T>());
        }
    }
}

TEST_CASE("float and double agree", "[uncertainty]") {
    const RowMatrix<double> pd = acquire::synthetic::probabilities<double>(500, 50);
    const RowMatrix<float> pf = pd.cast<float>();
    for (Kind kind : all_kinds) {
        INFO(name(kind));
        CHECK((score(kind, pf).cast<double>() - score(kind, pd)).cwiseAbs().maxCoeff() < 1e-5);
    }
}

TEMPLATE_TEST_CASE("permuting rows permutes scores", "[uncertainty]", float, double) {
    using T = TestType;
    const RowMatrix<T> p = acquire::synthetic::probabilities<T>(300, 7);
    std::vector<Index> perm(300);
    std::iota(perm.begin(), perm.end(), Index(0));
    acquire::Rng rng(5);
    for (Index i = 299; i > 0; --i) std::swap(perm[i], perm[rng.below(static_cast<std::uint64_t>(i + 1))]);
    RowMatrix<T> shuffled(300, 7);
    for (Index i = 0; i < 300; ++i) shuffled.row(i) = p.row(perm[i]);
    for (Kind kind : all_kinds) {
        INFO(name(kind));
        const Vector<T> s = score(kind, p), t = score(kind, shuffled);
        for (Index i = 0; i < 300; ++i) CHECK(t[i] == s[perm[i]]);
    }
}

TEMPLATE_TEST_CASE("logits forms equal the probability forms on the softmax", "[uncertainty]",
                   float, double) {
    using T = TestType;
    for (Index k : {1, 2, 5, 100}) {
        acquire::synthetic::ProbabilityOptions options;
        options.sharpness = 4;
        options.tie_fraction = 0.1;
        const RowMatrix<T> l = acquire::synthetic::logits<T>(3000, k, options);
        const Matrix<T> lc = l;
        const RowMatrix<T> p = acquire::synthetic::softmax(l);
        for (Kind kind : all_kinds) {
            INFO(name(kind) << " K = " << k);
            const Vector<T> from_p = score(kind, p);
            CHECK((score(kind, acquire::logits(l)) - from_p).cwiseAbs().maxCoeff() <= T(1e-5));
            CHECK((score(kind, acquire::logits(lc)) - from_p).cwiseAbs().maxCoeff() <= T(1e-5));
            INFO("adding a constant to a row of logits changes nothing");
            const RowMatrix<T> shifted = (l.array() + T(50)).matrix();
            CHECK((score(kind, acquire::logits(shifted)) - from_p).cwiseAbs().maxCoeff() <= T(1e-4));
        }
    }
}

TEMPLATE_TEST_CASE("logits of +-1e4 give exact, finite answers", "[uncertainty]", float, double) {
    using T = TestType;
    RowMatrix<T> l(3, 3);
    l << T(1e4), T(-1e4), T(0),  //
        T(1e4), T(1e4), T(-1e4),  //
        T(-1e4), T(-1e4), T(-1e4);
    const Matrix<T> lc = l;
    const T ln2 = std::log(T(2)), ln3 = std::log(T(3));
    const T lc_expected[] = {0, T(0.5), 1 - T(1) / 3};
    const T mg_expected[] = {0, 1, 1};
    const T h_expected[] = {0, ln2, ln3};
    const T r_expected[] = {0, 1, 1};
    for (int layout = 0; layout < 2; ++layout) {
        INFO((layout ? "column-major" : "row-major"));
        const auto lcs = layout ? acquire::least_confidence(acquire::logits(lc))
                                : acquire::least_confidence(acquire::logits(l));
        const auto mgs = layout ? acquire::margin(acquire::logits(lc)) : acquire::margin(acquire::logits(l));
        const auto hs = layout ? acquire::entropy(acquire::logits(lc)) : acquire::entropy(acquire::logits(l));
        const auto rs = layout ? acquire::ratio(acquire::logits(lc)) : acquire::ratio(acquire::logits(l));
        for (Index i = 0; i < 3; ++i) {
            INFO("row " << i);
            CHECK(lcs[i] == Approx(lc_expected[i]).margin(1e-6));
            CHECK(mgs[i] == mg_expected[i]);
            CHECK(hs[i] == Approx(h_expected[i]).margin(1e-6));
            CHECK(rs[i] == Approx(r_expected[i]).margin(1e-30));  // Eigen's vectorised exp stops at ~1e-308
        }
        CHECK(lcs.allFinite());
        CHECK(hs.allFinite());
    }
}

TEMPLATE_TEST_CASE("the output overloads write into a caller's vector", "[uncertainty]", float,
                   double) {
    using T = TestType;
    const RowMatrix<T> p = acquire::synthetic::probabilities<T>(50, 4);
    Vector<T> out(50);
    Vector<T> big = Vector<T>::Constant(60, T(-7));
    for (Kind kind : all_kinds) {
        INFO(name(kind));
        const Vector<T> expected = score(kind, p);
        switch (kind) {
            case Kind::least_confidence: acquire::least_confidence(p, out); break;
            case Kind::margin: acquire::margin(p, out); break;
            case Kind::entropy: acquire::entropy(p, big.segment(5, 50)); acquire::entropy(p, out); break;
            default: acquire::ratio(p, out);
        }
        CHECK(out == expected);
    }
    CHECK(big.head(5).isConstant(T(-7)));
    CHECK(big.segment(5, 50) == acquire::entropy(p));
    Vector<T> wrong(49);
    REQUIRE_THROWS_WITH(acquire::margin(p, wrong),
                        Catch::Contains("acquire::margin") && Catch::Contains("out has 49 entries"));
}

TEMPLATE_TEST_CASE("bad inputs raise invalid_input naming function, argument and row",
                   "[uncertainty][checks]", float, double) {
    using T = TestType;
    using Catch::Contains;
    RowMatrix<T> p = acquire::synthetic::probabilities<T>(20, 3);

    REQUIRE_THROWS_AS(acquire::entropy(RowMatrix<T>(0, 3)), invalid_input);
    REQUIRE_THROWS_WITH(acquire::entropy(RowMatrix<T>(0, 3)),
                        Contains("acquire::entropy: probabilities must have at least one row"));
    REQUIRE_THROWS_WITH(acquire::margin(RowMatrix<T>(4, 0)), Contains("0 x 0") || Contains("4 x 0"));

    RowMatrix<T> bad = p;
    bad(17, 1) += T(0.25);
    REQUIRE_THROWS_WITH(acquire::entropy(bad),
                        Contains("acquire::entropy: probabilities row 17 sums to 1.25") &&
                            Contains("tolerance 0.001"));
    acquire::CheckOptions loose;
    loose.tolerance = 0.3;
    CHECK_NOTHROW(acquire::entropy(bad, loose));
    acquire::CheckOptions unchecked;
    unchecked.values = false;
    CHECK_NOTHROW(acquire::entropy(bad, unchecked));

    bad = p;
    bad(4, 2) = std::numeric_limits<T>::quiet_NaN();
    for (Kind kind : all_kinds) {
        INFO(name(kind));
        REQUIRE_THROWS_WITH(score(kind, bad), Contains(std::string("acquire::") + name(kind)) &&
                                                  Contains("row 4 column 2") && Contains("finite"));
        REQUIRE_THROWS_WITH(score(kind, Matrix<T>(bad)), Contains("row 4 column 2"));
        REQUIRE_THROWS_WITH(score(kind, acquire::logits(bad)), Contains("logits row 4 column 2"));
    }
    bad(4, 2) = std::numeric_limits<T>::infinity();
    REQUIRE_THROWS_WITH(acquire::ratio(bad), Contains("row 4 column 2 is inf"));
    REQUIRE_THROWS_WITH(acquire::ratio(acquire::logits(bad)), Contains("row 4 column 2 is inf"));

    bad = p;
    bad(9, 0) = T(-0.5);
    bad(9, 1) += T(0.5);
    REQUIRE_THROWS_WITH(acquire::least_confidence(bad),
                        Contains("probabilities row 9 column 0 is -0.5") && Contains("[0, 1]"));

    acquire::CheckOptions negative;
    negative.tolerance = -1;
    REQUIRE_THROWS_WITH(acquire::entropy(p, negative), Contains("tolerance must be finite and >= 0"));
    REQUIRE_THROWS_AS(acquire::entropy(p, negative), std::invalid_argument);
}

TEMPLATE_TEST_CASE("the checks name the lowest bad row across blocks and layouts", "[checks]",
                   float, double) {
    using T = TestType;
    using Catch::Contains;
    // Bad rows in two different 8192-row blocks: the lower one must be named, whatever the
    // layout and the thread count.
    RowMatrix<T> p = acquire::synthetic::probabilities<T>(20000, 4);
    p(15000, 0) = T(2);
    p(9000, 3) += T(0.01);
    const Matrix<T> c = p;
    REQUIRE_THROWS_WITH(acquire::margin(p), Contains("row 9000 sums to"));
    REQUIRE_THROWS_WITH(acquire::margin(c), Contains("row 9000 sums to"));
    p(9000, 3) -= T(0.01);
    const Matrix<T> c2 = p;
    REQUIRE_THROWS_WITH(acquire::margin(p), Contains("row 15000 column 0 is 2 (must be in [0, 1])"));
    REQUIRE_THROWS_WITH(acquire::margin(c2), Contains("row 15000 column 0 is 2"));
}

TEMPLATE_TEST_CASE("checked scores are bit-identical to unchecked ones", "[uncertainty][checks]",
                   float, double) {
    // The checks run inside the scoring pass; they must never change a score. K covers the
    // scalar row loop (K < 4 lanes) and the lane loop with a tail, both layouts, both forms.
    using T = TestType;
    acquire::CheckOptions off;
    off.values = false;
    for (Index k : {1, 3, 17, 40, 101}) {
        const RowMatrix<T> p = acquire::synthetic::probabilities<T, Eigen::RowMajor>(9000, k);
        const Matrix<T> c = p;
        const RowMatrix<T> l = (p.array().max(T(1e-30)).log() + T(3)).matrix();
        const Matrix<T> lc = l;
        for (Kind kind : all_kinds) {
            INFO(name(kind) << " K = " << k);
            const Vector<T> reference = score(kind, p, off);
            CHECK((score(kind, p).array() == reference.array()).all());
            CHECK((score(kind, c).array() == score(kind, c, off).array()).all());
            CHECK((score(kind, acquire::logits(l)).array() ==
                   score(kind, acquire::logits(l), off).array()).all());
            CHECK((score(kind, acquire::logits(lc)).array() ==
                   score(kind, acquire::logits(lc), off).array()).all());
        }
    }
}

TEMPLATE_TEST_CASE("the fused checks catch what a score would hide", "[uncertainty][checks]", float,
                   double) {
    using T = TestType;
    using Catch::Contains;
    const T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity();
    for (Index k : {3, 100}) {
        INFO("K = " << k);
        const RowMatrix<T> p = acquire::synthetic::probabilities<T, Eigen::RowMajor>(20000, k);
        // A NaN inside a lane: max and min may skip it, the sum may not.
        RowMatrix<T> bad = p;
        bad(12345, k - 2) = nan;
        for (Kind kind : all_kinds) {
            INFO(name(kind));
            REQUIRE_THROWS_WITH(score(kind, bad), Contains("row 12345 column " + std::to_string(k - 2)));
            REQUIRE_THROWS_WITH(score(kind, Matrix<T>(bad)), Contains("row 12345 column"));
        }
        // -inf logits leave least confidence and margin finite: still an error.
        RowMatrix<T> l = (p.array() + T(1)).log().matrix();
        l(19999, 0) = -inf;
        for (Kind kind : all_kinds) {
            INFO(name(kind));
            REQUIRE_THROWS_WITH(score(kind, acquire::logits(l)),
                                Contains(std::string("acquire::") + name(kind) + ": logits row 19999 column 0 is -inf"));
            REQUIRE_THROWS_WITH(score(kind, acquire::logits(Matrix<T>(l))), Contains("logits row 19999 column 0"));
        }
        // An entry above 1 whose row still sums to 1.
        bad = p;
        bad(16384, 0) = T(1.5);
        bad(16384, 1) = T(-0.5) + bad(16384, 1);
        REQUIRE_THROWS_WITH(acquire::least_confidence(bad), Contains("row 16384 column"));
    }
}

#ifdef ACQUIRE_AVX2
namespace {

/// Rows that stress the kernels: ties at the top, zeros of both signs, one-hot rows, and every
/// kind of bad row (NaN, +-Inf, negative, above 1, bad sum, negative in a row summing to 1) at
/// `bad_row` when `bad` > 0.
template <class T>
RowMatrix<T> kernel_input(Index n, Index k, int bad, Index bad_row) {
    acquire::synthetic::ProbabilityOptions options;
    options.seed = 7 + static_cast<std::uint64_t>(k);
    options.tie_fraction = 0.2;
    RowMatrix<T> p = acquire::synthetic::probabilities<T, Eigen::RowMajor>(n, k, options);
    for (Index i = 0; i < n; i += 5) p.row(i).setConstant(T(1) / T(k));  // all tie
    for (Index i = 1; i < n; i += 7) {
        p.row(i).setZero();
        p(i, (i * 3) % k) = T(1);
        if (k > 2) p(i, (i + 1) % k) = T(-0.0);
    }
    for (Index i = 2; i < n && k > 1; i += 9) {  // two equal maxima
        p.row(i).setZero();
        p(i, 0) = p(i, k - 1) = T(0.5);
    }
    const T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity();
    const Index c = (bad_row * 5) % k;
    switch (bad) {
        case 1: p(bad_row, c) = nan; break;
        case 2: p(bad_row, c) = inf; break;
        case 3: p(bad_row, c) = -inf; break;
        case 4: p(bad_row, c) = T(-0.25); break;
        case 5: p(bad_row, c) = T(1.25); break;
        case 6: p(bad_row, c) += T(0.01); break;
        case 7:  // a negative entry in a row that sums to 1 with every entry below 1
            if (k >= 3) {
                p.row(bad_row).setZero();
                p(bad_row, c) = T(-0.25);
                p(bad_row, (c + 1) % k) = T(0.6);
                p(bad_row, (c + 2) % k) = T(0.65);
            }
            break;
        default: break;
    }
    return p;
}

template <acquire::detail::Uncertainty U, class T>
void compare_kernels(const RowMatrix<T>& p, T tol) {
    namespace d = acquire::detail;
    constexpr bool scored = U != d::Uncertainty::entropy;
    const Index n = p.rows(), K = p.cols();
    Vector<T> fast = Vector<T>::Constant(n, T(-7)), base = fast;
    bool ok_fast = true, ok_base = true;
    Index done = n;
    if (K < d::short_row_limit<T>) {
        done = d::short_rows_avx2<d::row_score(U), true>(p.data(), K, n, K, fast.data(), tol, ok_fast);
        // Whole groups of two registers' rows, less the last one when its loads would read
        // past the matrix's last entry.
        const Index group = 2 * d::Avx2<T>::lanes, Q = d::Avx2<T>::columns;
        Index want = n - n % group;
        if (want > 0 && (want - 1) * K + (K + Q - 1) / Q * Q > n * K) want -= group;
        REQUIRE(done == want);
    } else {
        d::long_rows_avx2<d::row_score(U), true>(p.data(), K, n, K, fast.data(), tol, ok_fast);
    }
    for (Index i = 0; i < done; ++i) {
        const T s = d::score_row<U, false, true>(p.row(i).array(), tol, ok_base);
        if (scored) base[i] = s;
    }
    CHECK(ok_fast == ok_base);
    CHECK(std::memcmp(fast.data(), base.data(), sizeof(T) * static_cast<std::size_t>(n)) == 0);
    if constexpr (scored) {
        const Matrix<T> c = p;
        fast.setConstant(T(-7));
        base = fast;
        ok_fast = true;
        const bool few = K < d::short_column_limit;
        done = few ? d::short_columns_avx2<U, true>(c.data(), n, n, K, fast.data(), tol, ok_fast)
                   : d::long_columns_avx2<U, true>(c.data(), n, n, K, fast.data(), tol, ok_fast);
        REQUIRE(done == n - n % ((few ? 2 : 1) * d::Avx2<T>::lanes));
        ok_base = d::score_column_block<U, false, true>(c.topRows(done), base.head(done), tol);
        CHECK(ok_fast == ok_base);
        CHECK(std::memcmp(fast.data(), base.data(), sizeof(T) * static_cast<std::size_t>(n)) == 0);
    }
}

}  // namespace

TEMPLATE_TEST_CASE("the AVX2 kernels give the baseline's bits and verdicts", "[uncertainty][checks]",
                   float, double) {
    // Same scores bit for bit (NaN rows included, with checks off they are still returned) and
    // the same verdict on every kind of bad row, in the transposed short rows, the long rows, the
    // short columns and the long columns. A CPU without AVX2 never runs these kernels.
    using T = TestType;
    using U = acquire::detail::Uncertainty;
    if (!acquire::detail::cpu_has_avx2()) {
        WARN("this CPU has no AVX2: nothing to compare");
        return;
    }
    const T tol = T(1e-3);
    for (Index k : {1, 2, 3, 7, 10, 15, 16, 17, 31, 32, 33, 40, 64, 101}) {
        for (int bad = 0; bad <= 7; ++bad)
            for (Index row : {Index(0), Index(9), Index(31), Index(44), Index(52)}) {
                if (bad == 0 && row > 0) continue;
                INFO("K = " << k << ", bad kind " << bad << " in row " << row);
                const RowMatrix<T> p = kernel_input<T>(53, k, bad, row);
                compare_kernels<U::least_confidence>(p, tol);
                compare_kernels<U::margin>(p, tol);
                compare_kernels<U::ratio>(p, tol);
                compare_kernels<U::entropy>(p, tol);
            }
    }
    {  // short rows read a few entries past each row's K-th: padding full of NaN changes nothing
        namespace d = acquire::detail;
        for (Index k = 1; k < d::short_row_limit<T>; ++k)
            for (Index pad : {0, 1, 3}) {
                INFO("K = " << k << ", stride K + " << pad);
                const Index n = 53, stride = k + pad;
                const RowMatrix<T> clean = kernel_input<T>(n, k, 0, 0);
                std::vector<T> buffer(static_cast<std::size_t>(n * stride), std::numeric_limits<T>::quiet_NaN());
                for (Index i = 0; i < n; ++i)
                    for (Index j = 0; j < k; ++j) buffer[static_cast<std::size_t>(i * stride + j)] = clean(i, j);
                Vector<T> fast = Vector<T>::Constant(n, T(-7));
                bool ok = true;
                const Index done = d::short_rows_avx2<d::RowScore::margin, true>(buffer.data(), stride, n, k,
                                                                                 fast.data(), tol, ok);
                CHECK(done >= 32);
                bool ok_base = true;
                for (Index i = 0; i < done; ++i)
                    CHECK(fast[i] == d::score_row<U::margin, false, true>(clean.row(i).array(), tol, ok_base));
                CHECK(ok == ok_base);
            }
    }
    for (int bad = 0; bad <= 7; ++bad) {  // long columns run 1024 rows at a time
        INFO("K = 40 over 2,100 rows, bad kind " << bad << " in row 2050");
        const RowMatrix<T> p = kernel_input<T>(2100, 40, bad, 2050);
        compare_kernels<U::least_confidence>(p, tol);
        compare_kernels<U::margin>(p, tol);
        compare_kernels<U::ratio>(p, tol);
    }
}
#endif

#ifdef ACQUIRE_PLOGP
namespace {
/// Equal bit for bit, or both NaN: which NaN a product of a NaN and another NaN gives depends
/// on its operands' order, which a compiler may swap (a multiply commutes).
template <class A, class B>
bool same_bits(const A& a, const B& b) {
    REQUIRE(a.size() == b.size());
    for (Index i = 0; i < a.size(); ++i)
        if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0 && !(std::isnan(a[i]) && std::isnan(b[i]))) return false;
    return true;
}
}  // namespace

TEST_CASE("the p ln p kernels give Eigen's bits and the fused checks' verdicts", "[uncertainty][checks]") {
    // plogp in AVX2 and AVX-512F against Eigen's packet expression on special values (zeros of
    // both signs, denormals, the smallest normal, values either side of sqrt(1/2), 1, above 1,
    // infinities, NaN, negatives) and a sweep of uniform values; then the row and column kernels
    // against score_row and score_column_block: scores bit for bit (bad rows included) and
    // verdicts, rows starting off a 16-byte boundary, K with and without a scalar tail.
    namespace d = acquire::detail;
    if (!d::cpu_has_avx2()) {
        WARN("this CPU has no AVX2: nothing to compare");
        return;
    }
    const bool avx512 = d::cpu_has_avx512f();
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> values = {0.0f, -0.0f, 1e-45f, 1e-40f, std::numeric_limits<float>::min(), 1e-30f, 1e-7f,
                                 0.25f, 0.5f, 0.70710677f, 0.70710683f, 0.75f, 0.999999f, 1.0f, 1.5f, 3e38f,
                                 inf, -inf, nan, -1.0f, -1e-30f, 2.0f};
    std::uint64_t state = 12345;
    for (int i = 0; i < 4000; ++i) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        values.push_back(std::ldexp(static_cast<float>(state >> 40) / 16777216.0f, -static_cast<int>(i % 40)));
    }
    while (values.size() % 16 != 0) values.push_back(0.5f);
    const Eigen::ArrayXf v = Eigen::Map<const Eigen::ArrayXf>(values.data(), Index(values.size()));
    const Eigen::ArrayXf eigen = v * v.max(std::numeric_limits<float>::min()).log();
    Eigen::ArrayXf wide(v.size()), widest(v.size());
    d::plogp_lanes_avx2(v.data(), v.size(), wide.data());
    CHECK(same_bits(wide, eigen));
    if (avx512) {
        d::plogp_lanes_avx512(v.data(), v.size(), widest.data());
        CHECK(same_bits(widest, eigen));
    }

    const float tol = 1e-3f;
    for (Index k : {1, 2, 3, 4, 7, 8, 10, 16, 17, 31, 32, 33, 64, 100, 101}) {
        for (int bad = 0; bad <= 7; ++bad)
            for (Index row : {Index(0), Index(9), Index(44), Index(52)}) {
                if (bad == 0 && row > 0) continue;
                INFO("K = " << k << ", bad kind " << bad << " in row " << row);
                const RowMatrix<float> p = kernel_input<float>(53, k, bad, row);
                // Rows one float past a 16-byte boundary, stride K + 1.
                std::vector<float> buffer(static_cast<std::size_t>(53 * (k + 1) + 4), nan);
                for (Index i = 0; i < 53; ++i)
                    for (Index j = 0; j < k; ++j) buffer[static_cast<std::size_t>(1 + i * (k + 1) + j)] = p(i, j);
                const Eigen::Map<const RowMatrix<float>, Eigen::Unaligned, Eigen::OuterStride<>> shifted(
                    buffer.data() + 1, 53, k, Eigen::OuterStride<>(k + 1));
                Vector<float> base(53);
                bool ok_base = true;
                for (Index i = 0; i < 53; ++i)
                    base[i] = d::score_row<d::Uncertainty::entropy, false, true>(shifted.row(i).array(), tol, ok_base);
                for (int width : {8, 16}) {
                    if (width == 16 && !avx512) continue;
                    INFO(width << " lanes");
                    Vector<float> fast = Vector<float>::Constant(53, -7.0f);
                    const bool ok = width == 8 ? d::entropy_rows_avx2<true>(shifted.data(), k + 1, 53, k, fast.data(), tol)
                                               : d::entropy_rows_avx512<true>(shifted.data(), k + 1, 53, k, fast.data(), tol);
                    CHECK(ok == ok_base);
                    CHECK(same_bits(fast, base));

                    const Matrix<float> c = p;
                    Vector<float> cfast = Vector<float>::Constant(53, -7.0f), cbase = cfast;
                    bool cok = true;
                    const Index done = width == 8 ? d::entropy_columns_avx2<true>(c.data(), 53, 53, k, cfast.data(), tol, cok)
                                                  : d::entropy_columns_avx512<true>(c.data(), 53, 53, k, cfast.data(), tol, cok);
                    REQUIRE(done == 53 - 53 % width);
                    const bool cok_base = d::score_column_block<d::Uncertainty::entropy, false, true>(
                        c.topRows(done), cbase.head(done), tol);
                    CHECK(cok == cok_base);
                    CHECK(same_bits(cfast, cbase));
                }
            }
    }
    for (int bad = 0; bad <= 7; ++bad) {  // columns run 1024 rows at a time
        INFO("K = 40 over 2,100 rows, bad kind " << bad << " in row 2050");
        const Matrix<float> c = kernel_input<float>(2100, 40, bad, 2050);
        for (int width : {8, 16}) {
            if (width == 16 && !avx512) continue;
            Vector<float> cfast = Vector<float>::Constant(2100, -7.0f), cbase = cfast;
            bool cok = true;
            const Index done = width == 8 ? d::entropy_columns_avx2<true>(c.data(), 2100, 2100, 40, cfast.data(), tol, cok)
                                          : d::entropy_columns_avx512<true>(c.data(), 2100, 2100, 40, cfast.data(), tol, cok);
            REQUIRE(done == 2100 - 2100 % width);
            CHECK(cok == d::score_column_block<d::Uncertainty::entropy, false, true>(c.topRows(done), cbase.head(done), tol));
            CHECK(same_bits(cfast, cbase));
        }
    }
}
#endif
