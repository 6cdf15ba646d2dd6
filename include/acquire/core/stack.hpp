/// \file
/// A zero-copy, read-only view of T predictions of N x K over a user's buffer:
/// acquire::PredictionStack.
// PredictionStack: a zero-copy, read-only view of T predictions of N x K over a user's buffer.
//
// Committee and Bayesian scorers read T probability matrices of the same pool: an ensemble of
// T models, T stochastic forward passes with MC dropout, or T weight samples. Frameworks hand
// them out in different layouts, and the view reads each one in place:
//
//     // torch.stack(passes) of shape [T, N, K], row-major float:
//     auto S = acquire::PredictionStack<float>::tnk(buf, T, N, K);
//     // [N, T, K] (samples first) and [N, K, T] (the layout of several Python libraries):
//     auto S2 = acquire::PredictionStack<float>::ntk(buf, N, T, K);
//     auto S3 = acquire::PredictionStack<float>::nkt(buf, N, K, T);
//     // or T separate matrices (the vector must outlive the view):
//     std::vector<Eigen::MatrixXf> members = ...;
//     acquire::PredictionStack<float> S4(members);
//
// Entry (t, i, k) — member t, sample i, class k — lives at member_data(t) + i * row_stride() +
// k * class_stride(). Nothing is copied; the view holds pointers, so the buffer must outlive it.
// Shapes are checked at construction (T, N, K >= 1, members agree); the values (finite, rows
// are distributions) are checked by each scorer, which names the member and the row.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/rows.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <string>
#include <vector>

namespace acquire {

/// \addtogroup core_vocabulary
/// @{

/// A zero-copy, read-only view of T predictions of N x K (ensemble members, MC-dropout passes):
/// entry (t, i, k) at member_data(t) + i * row_stride() + k * class_stride(). See the file
/// comment for the layouts; the buffer must outlive the view.
template <class Scalar>
class PredictionStack {
public:
    /// One member's N x K prediction, read in place (row-major view with run-time strides).
    using MemberMap = Eigen::Map<const RowMatrix<Scalar>, Eigen::Unaligned,
                                 Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;

    /// General strided view: entry (t, i, k) at data[t * member_stride + i * row_stride +
    /// k * class_stride]. Strides are in elements and must be >= 1.
    PredictionStack(const Scalar* data, Index members, Index rows, Index cols, Index member_stride,
                    Index row_stride, Index class_stride)
        : rows_(rows), cols_(cols), row_stride_(row_stride), class_stride_(class_stride) {
        check_sizes(members, rows, cols);
        if (data == nullptr) detail::fail("PredictionStack", "data is null");
        if (member_stride < 1 || row_stride < 1 || class_stride < 1)
            detail::fail("PredictionStack", "strides must be >= 1, got member ", member_stride,
                         ", row ", row_stride, ", class ", class_stride);
        members_.reserve(static_cast<std::size_t>(members));
        for (Index t = 0; t < members; ++t) members_.push_back(data + t * member_stride);
    }

    /// T separate N x K matrices (column- or row-major Eigen matrices, all the same shape). The
    /// view points into the vector's matrices: keep the vector alive and unchanged while used.
    template <class MatrixType>
    explicit PredictionStack(const std::vector<MatrixType>& members) {
        if (members.empty()) detail::fail("PredictionStack", "needs at least one member, got 0");
        rows_ = members.front().rows();
        cols_ = members.front().cols();
        check_sizes(static_cast<Index>(members.size()), rows_, cols_);
        const bool row_major = MatrixType::IsRowMajor;
        const Index outer = members.front().outerStride();
        row_stride_ = row_major ? outer : 1;
        class_stride_ = row_major ? 1 : outer;
        for (std::size_t t = 0; t < members.size(); ++t) {
            const auto& m = members[t];
            if (m.rows() != rows_ || m.cols() != cols_)
                detail::fail("PredictionStack", "member ", t, " is ", m.rows(), " x ", m.cols(),
                             " but member 0 is ", rows_, " x ", cols_);
            members_.push_back(m.data());
        }
    }

    /// Layout [T][N][K], e.g. torch.stack of T forward passes.
    static PredictionStack tnk(const Scalar* data, Index members, Index rows, Index cols) {
        return PredictionStack(data, members, rows, cols, rows * cols, cols, 1);
    }
    /// Layout [N][T][K]: the T predictions of a sample are adjacent.
    static PredictionStack ntk(const Scalar* data, Index rows, Index members, Index cols) {
        return PredictionStack(data, members, rows, cols, cols, members * cols, 1);
    }
    /// Layout [N][K][T]: members innermost, as several Python libraries store MC samples.
    static PredictionStack nkt(const Scalar* data, Index rows, Index cols, Index members) {
        return PredictionStack(data, members, rows, cols, 1, cols * members, members);
    }

    Index members() const { return static_cast<Index>(members_.size()); }  ///< T
    Index rows() const { return rows_; }                                    ///< N
    Index cols() const { return cols_; }                                    ///< K
    /// Elements between consecutive samples (rows) of a member.
    Index row_stride() const { return row_stride_; }
    /// Elements between consecutive classes of a sample.
    Index class_stride() const { return class_stride_; }
    /// Address of entry (t, 0, 0); t is not range-checked (see member() for a checked view).
    const Scalar* member_data(Index t) const { return members_[static_cast<std::size_t>(t)]; }

    /// p_t(class k | sample i).
    Scalar operator()(Index t, Index i, Index k) const {
        return member_data(t)[i * row_stride_ + k * class_stride_];
    }

    /// Member t as an N x K Eigen expression, read in place.
    MemberMap member(Index t) const {
        if (t < 0 || t >= members())
            detail::fail("PredictionStack::member", "member ", t, " out of range [0, ", members(),
                         ")");
        return MemberMap(member_data(t), rows_, cols_,
                         Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(row_stride_, class_stride_));
    }

private:
    static void check_sizes(Index members, Index rows, Index cols) {
        if (members < 1 || rows < 1 || cols < 1)
            detail::fail("PredictionStack", "needs T, N, K >= 1, got T = ", members, ", N = ", rows,
                         ", K = ", cols);
    }

    std::vector<const Scalar*> members_;
    Index rows_ = 0, cols_ = 0, row_stride_ = 1, class_stride_ = 1;
};

/// @}

namespace detail {

/// Rows of packed blocks handed to stack kernels: about 16K scalars, so a block stays in L2,
/// but at least 32 rows while that stays under 128K scalars, so that each member's run in a
/// [T][N][K] stack is long enough for the prefetcher (8 rows at T = 20, K = 100 ran 1.5x slower).
/// Column-major members (row stride 1: a [T][N][K][H][W] image's pixels) are read as T K runs of
/// the block's rows, so there the block grows to 512 rows while under 128K scalars (81-row runs
/// at T = 20, K = 10 ran 1.4x slower than the [T][N][K] stack). Scores do not depend on the
/// block size: every row is computed on its own.
inline Index stack_block_rows(Index members, Index cols, Index row_stride = 0) {
    const Index per_row = members * cols;
    const Index rows = std::max<Index>({Index(1), Index(16384) / per_row, std::min<Index>(32, Index(131072) / per_row)});
    return row_stride == 1 ? std::max(rows, std::min<Index>(512, Index(131072) / per_row)) : rows;
}

// Eigen's SSE/AVX packet types carry vector attributes that GCC warns about as template
// arguments (Eigen silences the same warning in its own headers).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#endif
/// Copies rows [r0, r0 + b) of every member into `out` packed as [T][b][K] (member blocks of
/// b x K, row-major, contiguous), whatever the stack's layout.
template <class Scalar>
void gather_block(const PredictionStack<Scalar>& s, Index r0, Index b, Scalar* out) {
    const Index T = s.members(), K = s.cols(), rs = s.row_stride(), cs = s.class_stride();
    if (cs == 1 && rs == K) {  // [T][N][K]: each member's block is one contiguous run
        for (Index t = 0; t < T; ++t)
            std::copy(s.member_data(t) + r0 * K, s.member_data(t) + (r0 + b) * K, out + t * b * K);
        return;
    }
    const Index member_step = T > 1 ? s.member_data(1) - s.member_data(0) : 0;
    bool members_innermost = T > 1 && member_step == 1;
    for (Index t = 2; t < T && members_innermost; ++t) members_innermost = s.member_data(t) - s.member_data(t - 1) == 1;
    if (members_innermost) {  // [N][K][T]: read each (sample, class) run of T members in order
        const Scalar* base = s.member_data(0);
        // A sample's K x T run is a few KB: read it T times with stride T from L1 and write each
        // member's K classes contiguously (the other loop order scatters every write).
        // Full P x P tiles go through SIMD registers (Eigen's packet transpose).
        using Packet = typename Eigen::internal::packet_traits<Scalar>::type;
        constexpr Index P = Eigen::internal::unpacket_traits<Packet>::size;
        // No tiles without SIMD packets (EIGEN_DONT_VECTORIZE): everything is left to the loop below.
        const Index k_tiled = P > 1 && cs == T ? K - K % P : 0, t_tiled = P > 1 ? T - T % P : 0;
        for (Index i = 0; i < b; ++i) {
            const Scalar* src = base + (r0 + i) * rs;
            Scalar* dst_row = out + i * K;
            if constexpr (P > 1) {
                for (Index k = 0; k < k_tiled; k += P)
                    for (Index t = 0; t < t_tiled; t += P) {
                        Eigen::internal::PacketBlock<Packet, int(P)> tile;
                        for (Index j = 0; j < P; ++j)
                            tile.packet[j] = Eigen::internal::ploadu<Packet>(src + (k + j) * T + t);
                        Eigen::internal::ptranspose(tile);
                        for (Index j = 0; j < P; ++j)
                            Eigen::internal::pstoreu(dst_row + (t + j) * b * K + k, tile.packet[j]);
                    }
            }
            for (Index t = 0; t < T; ++t) {  // what the tiles left: trailing members, classes
                Scalar* dst = dst_row + t * b * K;
                for (Index k = t < t_tiled ? k_tiled : 0; k < K; ++k) dst[k] = src[k * cs + t];
            }
        }
        return;
    }
    if (rs == 1 && b > 1) {  // column-major members ([T][N][K][H][W] images): each class a run of b rows
        for (Index t = 0; t < T; ++t)
            for (Index k = 0; k < K; ++k) {
                const Scalar* src = s.member_data(t) + k * cs + r0;
                Scalar* dst = out + t * b * K + k;
                for (Index i = 0; i < b; ++i) dst[i * K] = src[i];
            }
        return;
    }
    // Rows outermost, so layouts that keep a sample's members together ([N][T][K]) are read
    // sequentially; short plain loops (K is often ~10) rather than a memmove call each.
    for (Index i = 0; i < b; ++i)
        for (Index t = 0; t < T; ++t) {
            const Scalar* src = s.member_data(t) + (r0 + i) * rs;
            Scalar* dst = out + (t * b + i) * K;
            if (cs == 1)
                for (Index k = 0; k < K; ++k) dst[k] = src[k];
            else
                for (Index k = 0; k < K; ++k) dst[k] = src[k * cs];
        }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/// Whether every row of a packed [T][b][K] block (T * b contiguous rows of K) is a
/// distribution: finite, in [0, 1], summing to 1 within `tol`. One pass in the block's memory
/// order, meant to run on a block that was just gathered and is still in cache.
template <class Scalar>
bool packed_block_ok(const Scalar* packed, Index rows, Index K, Scalar tol) {
    using Row = Eigen::Map<const Eigen::Array<Scalar, 1, Eigen::Dynamic>>;
    constexpr Index W = 32 / Index(sizeof(Scalar));
#ifdef ACQUIRE_AVX2
    if (cpu_has_avx2()) {
        // The same verdicts as the code below (its sums are added in the same order; the range
        // is a min and max in any order), in AVX2. Short rows leave a few rows to that code.
        bool good = true;
        if (K >= short_row_limit<Scalar>) {
            long_rows_avx2<RowScore::none, true>(packed, K, rows, K, static_cast<Scalar*>(nullptr), tol, good);
            return good;
        }
        const Index done = short_rows_avx2<RowScore::none, true>(packed, K, rows, K, static_cast<Scalar*>(nullptr),
                                                                 tol, good);
        packed += done * K;
        rows -= done;
        if (!good) return false;
    }
#endif
    if (K < short_row_limit<Scalar>) {
        // Short rows: a row's sum alone is a chain of K dependent adds, so the range is
        // checked over the whole block at once (vectorised; a NaN or Inf also spoils its row's
        // sum) and the sums of four rows run side by side, each still added in class order.
        using Lanes = Eigen::Array<Scalar, W, 1>;
        Lanes lo = Lanes::Zero(), hi = Lanes::Zero();
        const Index size = rows * K;
        Index e = 0;
        for (; e + W <= size; e += W) {
            const Lanes v = Eigen::Map<const Lanes>(packed + e);
            lo = lo.min(v);
            hi = hi.max(v);
        }
        bool ok = lo.minCoeff() >= Scalar(0) && hi.maxCoeff() <= Scalar(1);
        for (; e < size; ++e) ok &= packed[e] >= Scalar(0) && packed[e] <= Scalar(1);
        Index r = 0;
        for (; r + 4 <= rows; r += 4) {
            const Scalar* p = packed + r * K;
            Scalar s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (Index k = 0; k < K; ++k) {
                s0 += p[k];
                s1 += p[K + k];
                s2 += p[2 * K + k];
                s3 += p[3 * K + k];
            }
            ok &= std::abs(s0 - Scalar(1)) <= tol && std::abs(s1 - Scalar(1)) <= tol;
            ok &= std::abs(s2 - Scalar(1)) <= tol && std::abs(s3 - Scalar(1)) <= tol;
        }
        for (; r < rows; ++r) {
            Scalar sum = 0;
            for (Index k = 0; k < K; ++k) sum += packed[r * K + k];
            ok &= std::abs(sum - Scalar(1)) <= tol;
        }
        return ok;
    }
    bool ok = true;
    for (Index r = 0; r < rows; ++r) {
        Scalar hi, lo, sum, unused;
        row_pass<false, true>(Row(packed + r * K, K), Scalar(0), hi, unused, lo, sum);
        ok &= distribution_ok(lo, hi, sum, tol);
    }
    return ok;
}

/// gather_block, and with `check` whether every row gathered is a distribution (the verdict of
/// packed_block_ok on `out`). Where each member's rows of the block are one run ([T][N][K]) of
/// short rows, the check reads the run as it arrives from memory and the copy then reads it
/// from L1: the check's transposing arithmetic overlaps the stack's memory traffic instead of
/// following it (checked consensus entropy at K = 10 went from 1.14-1.18x the unchecked call
/// to 1.02-1.08x). Everything else is checked on `out` after the gather: for [N][T][K],
/// checking the source first moved the copy loop's work after the memory traffic instead, and
/// at K = 100 the plain copy streams faster than the check's loads (1.24x against 1.14x).
/// Verdicts are per row, so they are the same wherever the rows are read.
template <class Scalar>
bool gather_checked_block(const PredictionStack<Scalar>& s, Index r0, Index b, Scalar* out, bool check,
                          Scalar tol) {
    const Index T = s.members(), K = s.cols(), rs = s.row_stride(), cs = s.class_stride();
    bool ok = true;
    if (check && cs == 1 && rs == K && K < short_row_limit<Scalar>) {
        for (Index t = 0; t < T; ++t) {
            const Scalar* rows = s.member_data(t) + r0 * K;
            ok &= packed_block_ok(rows, b, K, tol);
            std::copy(rows, rows + b * K, out + t * b * K);
        }
        return ok;
    }
    gather_block(s, r0, b, out);
    if (check) ok = packed_block_ok(static_cast<const Scalar*>(out), T * b, K, tol);
    return ok;
}

/// Runs kernel(r0, b, packed, ok) over blocks of rows in parallel, where `packed` holds rows
/// [r0, r0 + b) of all members as [T][b][K] (see gather_block) and, with `check`, `ok` tells
/// whether they are all distributions (gather_checked_block; true without `check`). Each call
/// writes only its own rows' outputs; blocks are independent, so results do not depend on the
/// thread count.
template <class Scalar, class Kernel>
void for_each_gathered_block(const PredictionStack<Scalar>& s, bool check, Scalar tol, Kernel&& kernel) {
    const Index n = s.rows(), block = stack_block_rows(s.members(), s.cols(), s.row_stride());
    const Index blocks = (n + block - 1) / block;
    parallel_for(blocks, 2, [&](Index j) {
        thread_local std::vector<Scalar> packed;
        const Index r0 = j * block, b = std::min(block, n - r0);
        packed.resize(static_cast<std::size_t>(s.members() * b * s.cols()));
        const bool ok = gather_checked_block(s, r0, b, packed.data(), check, tol);
        kernel(r0, b, static_cast<const Scalar*>(packed.data()), ok);
    });
}

/// After a pass that flagged blocks of `block` rows as invalid (`bad`), re-scans the flagged
/// blocks in order, row by row and member by member in double, and throws for the lowest
/// offending row and its member:
/// `acquire::bald: predictions member 3 row 17 sums to 1.25 (tolerance 0.001)`.
template <class Scalar>
void report_stack_problem(const char* function, const PredictionStack<Scalar>& s,
                          const std::vector<char>& bad, Index block, double tolerance) {
    const Index n = s.rows(), T = s.members();
    for (std::size_t j = 0; j < bad.size(); ++j) {
        if (!bad[j]) continue;
        const Index r0 = static_cast<Index>(j) * block;
        for (Index i = r0; i < std::min(n, r0 + block); ++i)
            for (Index t = 0; t < T; ++t) {
                const std::string problem = probability_row_problem(s.member(t), i, tolerance);
                if (!problem.empty()) fail(function, "predictions member ", t, problem);
            }
    }
}

/// The scorers' pass over the stack: ok = kernel(r0, b, packed, check) per block (see
/// for_each_gathered_block). With `self_check`, the kernel validates the block in the pass
/// that scores it, and when `check` is set (it is when `checks.values` is) `ok` must be
/// packed_block_ok's verdict on the block; otherwise the gather validates each block as it
/// reads it (gather_checked_block) and the kernel's `ok` is ignored. Either way the default,
/// checked call reads the stack once. A bad block makes it throw after the pass (see
/// report_stack_problem); kernels then have run on bad values, which is harmless arithmetic.
template <bool self_check, class Scalar, class Kernel>
void stack_pass(const char* function, const PredictionStack<Scalar>& s, const CheckOptions& checks,
                Kernel&& kernel) {
    check_tolerance(function, checks);
    const Index n = s.rows(), block = stack_block_rows(s.members(), s.cols(), s.row_stride());
    const Index blocks = (n + block - 1) / block;
    std::vector<char> bad(checks.values ? static_cast<std::size_t>(blocks) : 0, 0);
    const auto tol = static_cast<Scalar>(checks.tolerance);
    for_each_gathered_block(s, checks.values && !self_check, tol, [&](Index r0, Index b, const Scalar* packed, bool ok) {
        const bool kernel_ok = kernel(r0, b, packed, checks.values && self_check);
        if (checks.values) bad[static_cast<std::size_t>(r0 / block)] = !(self_check ? kernel_ok : ok);
    });
    report_stack_problem(function, s, bad, block, checks.tolerance);
}

/// Runs kernel(r0, b, packed) over the stack's blocks like for_each_gathered_block and, when
/// `checks.values` is set, validates each block as it is gathered (stack_pass).
template <class Scalar, class Kernel>
void for_each_checked_stack_block(const char* function, const PredictionStack<Scalar>& s,
                                  const CheckOptions& checks, Kernel&& kernel) {
    stack_pass<false>(function, s, checks, [&](Index r0, Index b, const Scalar* packed, bool) {
        kernel(r0, b, packed);
        return true;
    });
}

/// Every member's rows are probability distributions: finite, in [0, 1], summing to 1 within
/// checks.tolerance, for callers that do not read the stack block by block anyway (scorers
/// validate inside their own pass with for_each_checked_stack_block). One parallel pass flags
/// blocks; the first flagged block is re-scanned in double, row by row and member by member,
/// to name the lowest offending row and its member.
template <class Scalar>
void check_stack(const char* function, const PredictionStack<Scalar>& s,
                 const CheckOptions& checks) {
    for_each_checked_stack_block(function, s, checks, [](Index, Index, const Scalar*) {});
}

}  // namespace detail
}  // namespace acquire
