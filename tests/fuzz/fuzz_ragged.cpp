// ragged_score, sequence_score and ragged_stack_score: float or double, row- or column-major,
// checks on or off, samples with no elements, and hostile offsets (negative, decreasing, a first
// entry other than 0, a last entry other than the row count, too few entries). Offsets that are
// not CSR must always be refused; on an accepted call with the value checks on, an empty sample
// scores -1 and every other sample >= 0.
#include "fuzz.hpp"

#include <acquire/score/ragged.hpp>

#include <vector>

namespace {

/// Whether `offsets` are CSR offsets of `rows` rows: N + 1 >= 2 entries from 0 to rows, never
/// decreasing (written out here, independently of the library's check).
bool valid_offsets(const std::vector<Index>& offsets, Index rows) {
    if (offsets.size() < 2 || offsets.front() != 0 || offsets.back() != rows) return false;
    for (std::size_t j = 1; j < offsets.size(); ++j)
        if (offsets[j] < offsets[j - 1]) return false;
    return true;
}

/// The contract of an accepted call.
template <class V>
void expect_ragged(const V& s, const std::vector<Index>& offsets, Index rows, bool checked) {
    if (!valid_offsets(offsets, rows)) fuzz::contract_broken("accepted offsets that are not CSR");
    const Index N = static_cast<Index>(offsets.size()) - 1;
    fuzz::expect_scores(s, N, checked);
    if (!checked) return;
    for (Index n = 0; n < N; ++n) {
        const bool empty = offsets[static_cast<std::size_t>(n)] == offsets[static_cast<std::size_t>(n) + 1];
        if (empty && s[n] != -1) fuzz::contract_broken("an empty sample did not score -1");
        if (!empty && !(s[n] >= 0)) fuzz::contract_broken("a sample with elements scored below 0");
    }
}

template <class Scalar, int Storage>
void run(fuzz::Bytes& in) {
    const Index N = in.upto(10), K = in.upto(6);
    const bool hostile = in.flag();
    acquire::CheckOptions checks;
    checks.values = !in.rarely(4);
    std::vector<Index> offsets(1, 0);
    for (Index n = 0; n < N; ++n) offsets.push_back(offsets.back() + (in.rarely(3) ? 0 : in.upto(5)));
    const Index total = offsets.back();
    if (hostile && in.rarely(2)) {
        const Index c = in.upto(4);
        const std::size_t j = static_cast<std::size_t>(in.upto(static_cast<Index>(offsets.size()) - 1));
        if (c == 0) offsets[j] = -1;
        else if (c == 1) offsets[j] += 1;
        else if (c == 2) offsets[j] -= 1;
        else if (c == 3) offsets.pop_back();
        else offsets.push_back(total + in.upto(1) - 1);  // one more entry, sometimes below the last
    }
    const auto P = in.probabilities<Scalar, Storage>(total, K, hostile);
    const int which = in.byte() % 3;
    fuzz::accept_invalid([&] {
        if (which == 0) {
            const auto score = static_cast<acquire::ElementScore>(in.byte() % 4);
            const auto reduction = static_cast<acquire::RaggedReduction>(in.byte() % 3);
            expect_ragged(acquire::ragged_score(P, offsets, score, reduction, checks), offsets, total, checks.values);
        } else if (which == 1) {
            const auto score = static_cast<acquire::SequenceScore>(in.byte() % 4);
            expect_ragged(acquire::sequence_score(P, offsets, score, checks), offsets, total, checks.values);
        } else {
            // T members of the same rows, [T][total][K]; PredictionStack refuses total = 0.
            const Index T = 1 + in.upto(3);
            std::vector<acquire::RowMatrix<Scalar>> members(1, acquire::RowMatrix<Scalar>(P));
            for (Index t = 1; t < T; ++t) members.push_back(in.probabilities<Scalar, Eigen::RowMajor>(total, K, hostile));
            const acquire::PredictionStack<Scalar> stack(members);
            const auto score = static_cast<acquire::StackScore>(in.byte() % 6);
            const auto reduction = static_cast<acquire::RaggedReduction>(in.byte() % 3);
            expect_ragged(acquire::ragged_stack_score(stack, offsets, score, reduction, checks), offsets, total,
                          checks.values);
        }
    });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Bytes in(data, size);
    switch (in.byte() % 4) {
        case 0: run<float, Eigen::RowMajor>(in); break;
        case 1: run<float, Eigen::ColMajor>(in); break;
        case 2: run<double, Eigen::RowMajor>(in); break;
        default: run<double, Eigen::ColMajor>(in); break;
    }
    return 0;
}
