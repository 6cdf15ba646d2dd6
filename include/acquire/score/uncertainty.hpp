/// \file
/// Uncertainty scorers on one model's predictions: least confidence, margin, entropy, ratio.
// Uncertainty scorers on one model's predictions: least confidence, margin, entropy, ratio.
//
// Input: an N x K matrix, rows are samples, either probabilities (rows are distributions) or,
// wrapped in `acquire::logits(L)`, unnormalised log-probabilities from which the softmax is
// taken internally in a numerically stable way. Any Eigen dense expression works: a Matrix, an
// `Eigen::Map` over a row-major framework buffer, a column-major Map, a block. Output: an
// N-vector of the same Scalar; higher = query first (Settles 2009 survey, section 3.1).
//
//     Eigen::Map<const Eigen::Matrix<float, -1, -1, Eigen::RowMajor>> P(buf, n, k);
//     Eigen::VectorXf h = acquire::entropy(P);                  // probabilities
//     Eigen::VectorXf g = acquire::entropy(acquire::logits(L)); // logits, same scale
//     acquire::margin(P, out);                                  // into a caller's vector
//
// Every scorer is O(N K) time, O(1) extra memory per row, one pass over the input for the
// probability forms (two for logits), and runs rows in parallel under OpenMP with identical
// results on any thread count.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"
#include "acquire/core/plogp.hpp"
#include "acquire/core/rows.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace acquire {

/// \addtogroup uncertainty_scorers
/// @{

/// Marks a matrix as logits (log-probabilities up to a per-row constant) instead of
/// probabilities: `acquire::entropy(acquire::logits(L))`. Holds a reference, so use it inline,
/// within the call.
template <class Derived>
class Logits {
public:
    /// Wraps `matrix` (held by reference: it must outlive the wrapper).
    explicit Logits(const Derived& matrix) : matrix_(matrix) {}
    /// The wrapped N x K logits.
    const Derived& matrix() const { return matrix_; }

private:
    const Derived& matrix_;
};

/// Wraps an N x K matrix of logits for a scorer: `acquire::entropy(acquire::logits(L))` takes
/// the softmax of each row internally. The result holds a reference to `matrix`: use it inline.
template <class Derived>
Logits<Derived> logits(const Eigen::MatrixBase<Derived>& matrix) {
    return Logits<Derived>(matrix.derived());
}

/// @}

namespace detail {

enum class Uncertainty { least_confidence, margin, entropy, ratio };

template <class T>
struct scorer_input : std::is_base_of<Eigen::MatrixBase<T>, T> {
    static const T& matrix(const T& m) { return m; }
    static constexpr bool from_logits = false;
};
template <class D>
struct scorer_input<Logits<D>> : std::true_type {
    static const D& matrix(const Logits<D>& l) { return l.matrix(); }
    static constexpr bool from_logits = true;
};
template <class Input>
using scorer_matrix_t =
    std::decay_t<decltype(scorer_input<Input>::matrix(std::declval<const Input&>()))>;
template <class Input>
using scorer_scalar_t = typename scorer_matrix_t<Input>::Scalar;
template <class Input>
using enable_scorer_input = std::enable_if_t<scorer_input<Input>::value>;

/// Rows per block: large enough that each column segment of a column-major block is a long
/// sequential read the prefetcher can follow (2048 rows measured 30% slower at K = 100), small
/// enough that the per-block accumulators (32 KB each in float) stay in L1/L2.
constexpr Index uncertainty_block = 8192;

/// The row score for U (entropy has none: its logs are plogp.hpp's or Eigen's).
constexpr RowScore row_score(Uncertainty u) {
    return u == Uncertainty::least_confidence ? RowScore::least_confidence
           : u == Uncertainty::margin         ? RowScore::margin
           : u == Uncertainty::ratio          ? RowScore::ratio
                                              : RowScore::none;
}

/// Score of one contiguous row (row-major input). With `Check`, also validates the row in the
/// same pass (probabilities: a distribution; logits: finite) and clears `ok` when it is not;
/// the score itself is computed exactly as without `Check`.
template <Uncertainty U, bool FromLogits, bool Check, class Row>
auto score_row(const Row& r, typename Row::Scalar tol, bool& ok) {
    using Scalar = typename Row::Scalar;
    constexpr Scalar inf = std::numeric_limits<Scalar>::infinity();
    Scalar lo = 0, sum = 0, unused = 0;
    if constexpr (!FromLogits) {
        if constexpr (U == Uncertainty::least_confidence) {
            Scalar p1;
            row_pass<false, Check>(r, Scalar(0), p1, unused, lo, sum);
            if constexpr (Check) ok &= distribution_ok(lo, p1, sum, tol);
            return row_top_score<RowScore::least_confidence>(p1, Scalar(0));
        } else if constexpr (U == Uncertainty::entropy) {
            constexpr Scalar tiny = std::numeric_limits<Scalar>::min();
            // max(p, tiny) makes 0 ln 0 = 0 without a branch: 0 * ln(tiny) = 0.
            const Scalar h = Scalar(0) - (r * r.max(tiny).log()).sum();  // 0 - x: never -0
            if constexpr (Check) {  // the row is in L1 now; the logs dominate the cost
                Scalar hi;
                row_pass<false, true>(r, Scalar(0), hi, unused, lo, sum);
                ok &= distribution_ok(lo, hi, sum, tol);
            }
            return h;
        } else {
            Scalar p1, p2;
            row_pass<true, Check>(r, Scalar(0), p1, p2, lo, sum);
            if constexpr (Check) ok &= distribution_ok(lo, p1, sum, tol);
            return row_top_score<row_score(U)>(p1, p2);
        }
    } else {
        // x - x is 0 for every finite x and NaN otherwise.
        if constexpr (Check) ok &= (r - r).sum() == Scalar(0);
        Scalar m1, m2;
        if constexpr (U == Uncertainty::margin || U == Uncertainty::ratio) {
            row_pass<true, false>(r, -inf, m1, m2, lo, sum);
            if constexpr (U == Uncertainty::ratio) return std::exp(m2 - m1);
        } else {
            m1 = r.maxCoeff();
        }
        if constexpr (U != Uncertainty::ratio) {
            if constexpr (U == Uncertainty::entropy) {
                const auto z = r - m1;
                const Scalar s = z.exp().sum();
                return std::log(s) - (z.exp() * z).sum() / s;
            } else {
                const Scalar s = (r - m1).exp().sum();
                if constexpr (U == Uncertainty::least_confidence) return Scalar(1) - Scalar(1) / s;
                else return Scalar(1) + std::expm1(m2 - m1) / s;
            }
        }
    }
}

#ifdef ACQUIRE_AVX2
/// ColumnCheck's chunk loop over a contiguous column segment in AVX2 (its W lanes are one
/// register): the same min, max and per-row sums in the same order. Returns the entries done.
template <class Scalar>
ACQUIRE_AVX2_KERNEL Index column_check_avx2(const Scalar* c, Index n, Scalar* sums, Scalar* lo,
                                            Scalar* hi) {
    using A = Avx2<Scalar>;
    using V = typename A::V;
    constexpr int L = A::lanes;
    V l = A::load(lo), h = A::load(hi);
    Index i = 0;
    for (; i + L <= n; i += L) {
        const V v = A::load(c + i);
        l = A::min(l, v);
        h = A::max(h, v);
        A::store(sums + i, A::add(A::load(sums + i), v));
    }
    A::store(lo, l);
    A::store(hi, h);
    return i;
}
#endif

/// Validation state of a column-major block, fed one column segment at a time in the scoring
/// sweep: per-row sums, and the block's lowest and highest entry (probabilities), or a running
/// sum of x - x that stays 0 exactly while every entry is finite (logits).
template <class Scalar, bool FromLogits>
struct ColumnCheck {
    static constexpr int W = 32 / int(sizeof(Scalar));
    using Lanes = Eigen::Array<Scalar, W, 1>;
    Eigen::Array<Scalar, Eigen::Dynamic, 1> sums;
    Lanes lo = Lanes::Constant(std::numeric_limits<Scalar>::infinity());
    Lanes hi = Lanes::Constant(-std::numeric_limits<Scalar>::infinity());
    Lanes zero = Lanes::Zero();
    Scalar lo_tail = std::numeric_limits<Scalar>::infinity();
    Scalar hi_tail = -std::numeric_limits<Scalar>::infinity();
    Scalar zero_tail = 0;

    explicit ColumnCheck(Index rows) {
        if constexpr (!FromLogits) sums = Eigen::Array<Scalar, Eigen::Dynamic, 1>::Zero(rows);
    }

    /// Adds the chunk [i, i + W) of column segment `c` (call for every full chunk in order).
    template <class Column>
    void chunk(const Column& c, Index i) {
        const Lanes v = c.template segment<W>(i);
        if constexpr (FromLogits) {
            zero += v - v;
        } else {
            lo = lo.min(v);
            hi = hi.max(v);
            sums.template segment<W>(i) += v;
        }
    }
    /// Adds entry i of column segment `c` (the tail after the full chunks).
    template <class Column>
    void entry(const Column& c, Index i) {
        const Scalar v = c.coeff(i);
        if constexpr (FromLogits) {
            zero_tail += v - v;
        } else {
            lo_tail = std::min(lo_tail, v);
            hi_tail = std::max(hi_tail, v);
            sums[i] += v;
        }
    }
    /// Adds a whole column segment.
    template <class Column>
    void column(const Column& c) {
        Index i = 0;
#ifdef ACQUIRE_AVX2
        if constexpr (!FromLogits && bool(Column::Flags & Eigen::DirectAccessBit)) {
            if (c.innerStride() == 1 && cpu_has_avx2()) {
                i = column_check_avx2(c.data(), c.size(), sums.data(), lo.data(), hi.data());
            }
        }
#endif
        for (; i + W <= c.size(); i += W) chunk(c, i);
        for (; i < c.size(); ++i) entry(c, i);
    }
    bool ok(Scalar tol) const {
        if constexpr (FromLogits) {
            return zero.sum() + zero_tail == Scalar(0);
        } else {
            return std::min(lo.minCoeff(), lo_tail) >= Scalar(0) &&
                   std::max(hi.maxCoeff(), hi_tail) <= Scalar(1) &&
                   ((sums - Scalar(1)).abs() <= tol).all();
        }
    }
};

/// Scores rows [r0, r0 + nb) of a column-major input: sweeps the columns, each a contiguous
/// segment, keeping per-row accumulators as arrays (vectorised across rows). With `Check`,
/// validates the block in the same sweep and returns whether it is valid; the scores are
/// computed exactly as without `Check`.
template <Uncertainty U, bool FromLogits, bool Check, class Block, class Out>
bool score_column_block(const Block& x, Out out, typename Block::Scalar tol) {
    using Scalar = typename Block::Scalar;
    using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;
    constexpr Scalar inf = std::numeric_limits<Scalar>::infinity();
    const Index nb = x.rows(), K = x.cols();
    constexpr bool needs_second = U == Uncertainty::margin || U == Uncertainty::ratio;
    [[maybe_unused]] ColumnCheck<Scalar, FromLogits> check(Check ? nb : 0);
    const auto valid = [&] {
        if constexpr (Check) return check.ok(tol);
        else return true;
    };

    if constexpr (!FromLogits && U == Uncertainty::entropy) {
        constexpr Scalar tiny = std::numeric_limits<Scalar>::min();
        Array acc = Array::Zero(nb);
        for (Index k = 0; k < K; ++k) {
            const auto p = x.col(k).array();
            acc += p * p.max(tiny).log();
            if constexpr (Check) check.column(p);
        }
        out = (Scalar(0) - acc).matrix();
        return valid();
    } else {
        Array m1 = x.col(0).array();
        Array m2 = Array::Constant(nb, FromLogits ? -inf : Scalar(0));
        if constexpr (Check) check.column(x.col(0).array());
        for (Index k = 1; k < K; ++k) {
            const auto v = x.col(k).array();
            if constexpr (needs_second || Check) {
                // One fused sweep per column over fixed-size chunks (separate Eigen assignments
                // would walk the accumulators once each).
                constexpr int W = 32 / int(sizeof(Scalar));
                using Lanes = Eigen::Array<Scalar, W, 1>;
                Index i = 0;
                for (; i + W <= nb; i += W) {
                    const Lanes a = m1.template segment<W>(i), c = v.template segment<W>(i);
                    if constexpr (needs_second)
                        m2.template segment<W>(i) = m2.template segment<W>(i).max(a.min(c));
                    m1.template segment<W>(i) = a.max(c);
                    if constexpr (Check) check.chunk(v, i);
                }
                for (; i < nb; ++i) {
                    if constexpr (needs_second) m2[i] = std::max(m2[i], std::min(m1[i], v[i]));
                    m1[i] = std::max(m1[i], v[i]);
                    if constexpr (Check) check.entry(v, i);
                }
            } else {
                m1 = m1.max(v);
            }
        }
        if constexpr (!FromLogits) {
            if constexpr (U == Uncertainty::least_confidence) out = (Scalar(1) - m1).matrix();
            else if constexpr (U == Uncertainty::margin) out = (Scalar(1) - (m1 - m2)).matrix();
            else out = (m2 / m1).matrix();
        } else if constexpr (U == Uncertainty::ratio) {
            out = (m2 - m1).exp().matrix();
        } else {
            Array s = Array::Zero(nb), t;
            if constexpr (U == Uncertainty::entropy) t = Array::Zero(nb);
            for (Index k = 0; k < K; ++k) {
                const Array z = x.col(k).array() - m1;
                const Array e = z.exp();
                s += e;
                if constexpr (U == Uncertainty::entropy) t += e * z;
            }
            if constexpr (U == Uncertainty::least_confidence) out = (Scalar(1) - s.inverse()).matrix();
            else if constexpr (U == Uncertainty::margin)
                out = (Scalar(1) + (m2 - m1).expm1() / s).matrix();
            else out = (s.log() - t / s).matrix();
        }
        return valid();
    }
}

#ifdef ACQUIRE_AVX2
/// The rows of a column-major block with few columns in AVX2: `count` rows, column k at
/// x + k * stride. Strips of two registers of rows run through all K columns with their
/// accumulators in registers (score_column_block keeps them in arrays and reloads them per
/// column, which under SSE2 leaves the checked sweep compute-bound). Same operations per row,
/// in the same order, as score_column_block, so the same bits; the block's highest entry is the
/// highest row maximum. Returns the rows done; the caller scores the rest.
template <Uncertainty U, bool Check, class Scalar>
ACQUIRE_AVX2_KERNEL Index short_columns_avx2(const Scalar* x, Index stride, Index count, Index K,
                                             Scalar* out, Scalar tol, bool& ok) {
    using A = Avx2<Scalar>;
    using V = typename A::V;
    constexpr int L = A::lanes, C = 2;
    constexpr bool second = U == Uncertainty::margin || U == Uncertainty::ratio;
    const V zero = A::set1(0), tolerance = A::set1(tol);
    V bad = zero;
    Index i = 0;
    for (; i + C * L <= count; i += C * L) {
        V m1[C], m2[C], lo[C], sum[C];
        for (int c = 0; c < C; ++c) {
            m1[c] = A::load(x + i + c * L);
            m2[c] = zero;
            lo[c] = m1[c];
            sum[c] = A::add(zero, m1[c]);
        }
        for (Index k = 1; k < K; ++k)
            for (int c = 0; c < C; ++c) {
                const V v = A::load(x + k * stride + i + c * L);
                if constexpr (second) m2[c] = A::max(m2[c], A::min(m1[c], v));
                m1[c] = A::max(m1[c], v);
                if constexpr (Check) {
                    lo[c] = A::min(lo[c], v);
                    sum[c] = A::add(sum[c], v);
                }
            }
        for (int c = 0; c < C; ++c) {
            A::store(out + i + c * L, top_score<row_score(U), A>(m1[c], m2[c]));  // m2 starts at 0
            if constexpr (Check) bad = A::bit_or(bad, not_distribution<A>(lo[c], m1[c], sum[c], tolerance));
        }
    }
    if (A::any(bad)) ok = false;
    return i;
}

/// The rows of a column-major block with many columns in AVX2: score_column_block's sweep, with
/// its operations per row in the same order, so the same bits. Runs of 1024 rows (their
/// accumulators stay in L1) go through the columns four at a time, so each accumulator is
/// loaded and stored once per four columns, not once per column. Returns the rows done.
template <Uncertainty U, bool Check, class Scalar>
ACQUIRE_AVX2_KERNEL Index long_columns_avx2(const Scalar* x, Index stride, Index count, Index K,
                                            Scalar* out, Scalar tol, bool& ok) {
    using A = Avx2<Scalar>;
    using V = typename A::V;
    constexpr int L = A::lanes;
    constexpr Index run = 1024, group = 4;
    constexpr bool second = U == Uncertainty::margin || U == Uncertainty::ratio;
    const V zero = A::set1(0), tolerance = A::set1(tol);
    V bad = zero, lo = A::set1(std::numeric_limits<Scalar>::infinity());
    alignas(32) Scalar top2[run], sums[run];
    const Index rows = count - count % L;
    for (Index r0 = 0; r0 < rows; r0 += run) {
        const Index nr = std::min(run, rows - r0);
        Scalar* top1 = out + r0;
        for (Index i = 0; i < nr; i += L) {
            const V v = A::load(x + r0 + i);
            A::store(top1 + i, v);
            A::store(top2 + i, zero);
            if constexpr (Check) {
                lo = A::min(lo, v);
                A::store(sums + i, A::add(zero, v));
            }
        }
        for (Index k0 = 1; k0 < K; k0 += group) {
            const Index k1 = std::min(K, k0 + group);
            for (Index i = 0; i < nr; i += L) {
                V m1 = A::load(top1 + i), m2, sum;
                if constexpr (second) m2 = A::load(top2 + i);
                if constexpr (Check) sum = A::load(sums + i);
                for (Index k = k0; k < k1; ++k) {
                    const V v = A::load(x + k * stride + r0 + i);
                    if constexpr (second) m2 = A::max(m2, A::min(m1, v));
                    m1 = A::max(m1, v);
                    if constexpr (Check) {
                        lo = A::min(lo, v);
                        sum = A::add(sum, v);
                    }
                }
                A::store(top1 + i, m1);
                if constexpr (second) A::store(top2 + i, m2);
                if constexpr (Check) A::store(sums + i, sum);
            }
        }
        for (Index i = 0; i < nr; i += L) {
            const V m1 = A::load(top1 + i);
            A::store(top1 + i, top_score<row_score(U), A>(m1, A::load(top2 + i)));  // top2 starts at 0
            // The lowest entry is the block's (`lo`, tested below): zero stands in for it here.
            if constexpr (Check) bad = A::bit_or(bad, not_distribution<A>(zero, m1, A::load(sums + i), tolerance));
        }
    }
    if (A::any(A::bit_or(bad, A::not_ge(lo, zero)))) ok = false;
    return rows;
}
#endif

/// The columns below which a column-major block goes to short_columns_avx2.
constexpr Index short_column_limit = 32;

inline const char* uncertainty_name(Uncertainty u) {
    switch (u) {
        case Uncertainty::least_confidence: return "least_confidence";
        case Uncertainty::margin: return "margin";
        case Uncertainty::entropy: return "entropy";
        default: return "ratio";
    }
}

/// Scores every row in parallel blocks of rows. With `Check`, each block is validated in the
/// scoring pass itself (the row or column segment is in registers or L1 when it is checked), so
/// the default, checked call reads the input once. A block found invalid is re-scanned row by
/// row after the pass (in double, for probabilities) to name the lowest offending row with the
/// same message a separate check would give; `out` is then left partly written.
template <Uncertainty U, bool FromLogits, bool Check, class Matrix, class Out>
void score_blocks(const Matrix& x, Out& out, const char* fn, const char* argument, double tolerance) {
    using Scalar = typename Matrix::Scalar;
    const Index n = x.rows();
    const Index blocks = (n + uncertainty_block - 1) / uncertainty_block;
    const auto tol = static_cast<Scalar>(tolerance);
    [[maybe_unused]] std::vector<char> bad(Check ? static_cast<std::size_t>(blocks) : 0, 0);
    parallel_for(blocks, 2, [&](Index b) {
        const Index r0 = b * uncertainty_block;
        const Index nb = std::min(uncertainty_block, n - r0);
        bool ok = true;
        Index done = 0;         // rows an AVX2 kernel scored (for row-major entropy: checked)
        bool logs_done = false;  // entropy's rows [r0, r0 + done) have their scores
#ifdef ACQUIRE_PLOGP
        if constexpr (U == Uncertainty::entropy && !FromLogits && std::is_same_v<Scalar, float> &&
                      bool(Matrix::Flags & Eigen::DirectAccessBit) && Matrix::InnerStrideAtCompileTime == 1) {
            // The logs in AVX-512F or AVX2 with Eigen's bits (plogp.hpp), the check in the same pass.
            const Index K = x.cols(), stride = x.outerStride();
            const float* data = x.data() + (Matrix::IsRowMajor ? r0 * stride : r0);
            float* scores = out.data() + r0;
            logs_done = true;
            if constexpr (Matrix::IsRowMajor) {
                if (cpu_has_avx512f()) ok = entropy_rows_avx512<Check>(data, stride, nb, K, scores, tol);
                else if (cpu_has_avx2()) ok = entropy_rows_avx2<Check>(data, stride, nb, K, scores, tol);
                if (cpu_has_avx2()) done = nb;
            } else {
                if (cpu_has_avx512f()) done = entropy_columns_avx512<Check>(data, stride, nb, K, scores, tol, ok);
                else if (cpu_has_avx2()) done = entropy_columns_avx2<Check>(data, stride, nb, K, scores, tol, ok);
            }
        }
#endif
#ifdef ACQUIRE_AVX2
        if constexpr (!FromLogits && bool(Matrix::Flags & Eigen::DirectAccessBit)) {
            const Index K = x.cols(), stride = x.outerStride();
            if (x.innerStride() == 1 && cpu_has_avx2() && !logs_done) {
                if constexpr (Matrix::IsRowMajor && (U != Uncertainty::entropy || Check)) {
                    constexpr RowScore score = row_score(U);
                    if (K >= short_row_limit<Scalar>) {
                        long_rows_avx2<score, Check>(x.data() + r0 * stride, stride, nb, K,
                                                     out.data() + r0, tol, ok);
                        done = nb;
                    } else {
                        done = short_rows_avx2<score, Check>(x.data() + r0 * stride, stride, nb, K,
                                                             out.data() + r0, tol, ok);
                    }
                } else if constexpr (!Matrix::IsRowMajor && U != Uncertainty::entropy) {
                    if (K < short_column_limit)
                        done = short_columns_avx2<U, Check>(x.data() + r0, stride, nb, K,
                                                            out.data() + r0, tol, ok);
                    else
                        done = long_columns_avx2<U, Check>(x.data() + r0, stride, nb, K,
                                                           out.data() + r0, tol, ok);
                }
            }
        }
#endif
        if constexpr (Matrix::IsRowMajor) {
            if (U == Uncertainty::entropy && !FromLogits && !logs_done) {
                // The AVX2 kernel only checked these rows; their logs are Eigen's. While the logs
                // are computed, the lines of the next block's rows are asked for (when a block
                // takes at most 1 MB), so that the next check reads from cache, not memory.
                bool unused = true;
                for (Index i = r0; i < r0 + done; ++i) {
#ifdef ACQUIRE_AVX2
                    if constexpr (Check && bool(Matrix::Flags & Eigen::DirectAccessBit)) {
                        const auto row_bytes = std::uintptr_t(x.outerStride()) * sizeof(Scalar);
                        if (std::uintptr_t(done) * row_bytes <= (std::uintptr_t(1) << 20))
                            prefetch_span(x.data() + i * x.outerStride(), std::uintptr_t(uncertainty_block) * row_bytes,
                                          row_bytes);
                    }
#endif
                    out[i] = score_row<U, FromLogits, false>(x.row(i).array(), tol, unused);
                }
            }
            for (Index i = r0 + done; i < r0 + nb; ++i)
                out[i] = score_row<U, FromLogits, Check>(x.row(i).array(), tol, ok);
        } else if (done < nb) {
            ok &= score_column_block<U, FromLogits, Check>(x.middleRows(r0 + done, nb - done),
                                                           out.segment(r0 + done, nb - done), tol);
        }
        if constexpr (Check) bad[static_cast<std::size_t>(b)] = !ok;
    });
    if constexpr (Check) {
        for (Index b = 0; b < blocks; ++b) {
            if (!bad[static_cast<std::size_t>(b)]) continue;
            const Index r0 = b * uncertainty_block, nb = std::min(uncertainty_block, n - r0);
            if constexpr (FromLogits) check_finite(fn, argument, x.middleRows(r0, nb), r0);
            else
                for (Index i = r0; i < r0 + nb; ++i) {
                    const std::string problem = probability_row_problem(x, i, tolerance);
                    if (!problem.empty()) fail(fn, argument, problem);
                }
        }
    }
}

template <Uncertainty U, class Input>
void uncertainty_into(const Input& input, Eigen::Ref<Vector<scorer_scalar_t<Input>>> out,
                      const CheckOptions& checks) {
    constexpr bool from_logits = scorer_input<Input>::from_logits;
    const auto& x = scorer_input<Input>::matrix(input);
    const char* fn = uncertainty_name(U);
    const char* argument = from_logits ? "logits" : "probabilities";
    check_shape(fn, argument, x.rows(), x.cols());
    if (out.size() != x.rows())
        fail(fn, "out has ", out.size(), " entries but ", argument, " has ", x.rows(), " rows");
    check_tolerance(fn, checks);
    if (checks.values) score_blocks<U, from_logits, true>(x, out, fn, argument, checks.tolerance);
    else score_blocks<U, from_logits, false>(x, out, fn, argument, checks.tolerance);
}

template <Uncertainty U, class Input>
Vector<scorer_scalar_t<Input>> uncertainty(const Input& input, const CheckOptions& checks) {
    Vector<scorer_scalar_t<Input>> out(scorer_input<Input>::matrix(input).rows());
    uncertainty_into<U>(input, out, checks);
    return out;
}

}  // namespace detail

/// \addtogroup uncertainty_scorers
/// @{

/// Least confidence (Lewis & Gale 1994; Settles 2009 section 3.1):
///   s(x) = 1 - max_k p_k.
/// In [0, 1 - 1/K]; 0 for a one-hot row and for K = 1, highest for the uniform row. For a single
/// model this equals the variation ratio. `probabilities` may also be `acquire::logits(L)`:
/// then max_k p_k = 1 / sum_k exp(l_k - max l), exact for any finite logits.
template <class Input, class = detail::enable_scorer_input<Input>>
auto least_confidence(const Input& probabilities, const CheckOptions& checks = {}) {
    return detail::uncertainty<detail::Uncertainty::least_confidence>(probabilities, checks);
}
/// least_confidence written into `out` (size N): no allocation, for training loops.
template <class Input, class = detail::enable_scorer_input<Input>>
void least_confidence(const Input& probabilities,
                      Eigen::Ref<Vector<detail::scorer_scalar_t<Input>>> out,
                      const CheckOptions& checks = {}) {
    detail::uncertainty_into<detail::Uncertainty::least_confidence>(probabilities, out, checks);
}

/// Margin (Scheffer et al. 2001, "smallest margin"), turned so that higher = query first:
///   s(x) = 1 - (p_(1) - p_(2)),   p_(1) >= p_(2) the two largest probabilities.
/// In [0, 1]; 1 when the top two tie (including two entries equal to the maximum), 0 for a
/// one-hot row, and 0 for K = 1 (p_(2) taken as 0). From logits:
/// p_(1) - p_(2) = (1 - exp(l_(2) - l_(1))) / sum_k exp(l_k - l_(1)).
template <class Input, class = detail::enable_scorer_input<Input>>
auto margin(const Input& probabilities, const CheckOptions& checks = {}) {
    return detail::uncertainty<detail::Uncertainty::margin>(probabilities, checks);
}
/// margin written into `out` (size N).
template <class Input, class = detail::enable_scorer_input<Input>>
void margin(const Input& probabilities, Eigen::Ref<Vector<detail::scorer_scalar_t<Input>>> out,
            const CheckOptions& checks = {}) {
    detail::uncertainty_into<detail::Uncertainty::margin>(probabilities, out, checks);
}

/// Predictive entropy (Shannon 1948; Settles & Craven 2008), natural log:
///   s(x) = -sum_k p_k ln p_k,   with 0 ln 0 = 0.
/// In [0, ln K]; 0 for a one-hot row and for K = 1. Probabilities below the smallest normal
/// number are treated as that number inside the log (an absolute change below 1e-35). From
/// logits: H = ln S - (sum_k e_k z_k) / S with z_k = l_k - max l, e_k = exp(z_k), S = sum e_k,
/// which is finite and exact for logits of any finite size (terms that underflow are 0).
template <class Input, class = detail::enable_scorer_input<Input>>
auto entropy(const Input& probabilities, const CheckOptions& checks = {}) {
    return detail::uncertainty<detail::Uncertainty::entropy>(probabilities, checks);
}
/// entropy written into `out` (size N).
template <class Input, class = detail::enable_scorer_input<Input>>
void entropy(const Input& probabilities, Eigen::Ref<Vector<detail::scorer_scalar_t<Input>>> out,
             const CheckOptions& checks = {}) {
    detail::uncertainty_into<detail::Uncertainty::entropy>(probabilities, out, checks);
}

/// Ratio of the two largest probabilities (the "ratio of confidence", Monarch 2021):
///   s(x) = p_(2) / p_(1).
/// In [0, 1]; 1 when the top two tie, 0 for a one-hot row and for K = 1. Ranks samples exactly
/// as margin does only when K = 2. From logits: exp(l_(2) - l_(1)).
template <class Input, class = detail::enable_scorer_input<Input>>
auto ratio(const Input& probabilities, const CheckOptions& checks = {}) {
    return detail::uncertainty<detail::Uncertainty::ratio>(probabilities, checks);
}
/// ratio written into `out` (size N).
template <class Input, class = detail::enable_scorer_input<Input>>
void ratio(const Input& probabilities, Eigen::Ref<Vector<detail::scorer_scalar_t<Input>>> out,
           const CheckOptions& checks = {}) {
    detail::uncertainty_into<detail::Uncertainty::ratio>(probabilities, out, checks);
}

/// @}

}  // namespace acquire
