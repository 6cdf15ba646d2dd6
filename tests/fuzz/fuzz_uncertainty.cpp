// least_confidence, margin, entropy, ratio: probabilities or logits, float or double, row- or
// column-major, checks on or off, and the out-parameter overloads with a wrong-sized output.
#include "fuzz.hpp"

#include <acquire/score/uncertainty.hpp>

namespace {

template <class Scalar, int Storage>
void run(fuzz::Bytes& in) {
    const Index n = in.upto(40), k = in.upto(12);
    const bool hostile = in.flag(), logits = in.flag();
    acquire::CheckOptions checks;
    checks.values = !in.rarely(4);
    const auto m = logits ? in.matrix<Scalar, Storage>(n, k, hostile) : in.probabilities<Scalar, Storage>(n, k, hostile);
    const int which = in.byte() % 4;
    fuzz::accept_invalid([&] {
        acquire::Vector<Scalar> s;
        if (logits) {
            const auto l = acquire::logits(m);
            s = which == 0 ? acquire::least_confidence(l, checks)
              : which == 1 ? acquire::margin(l, checks)
              : which == 2 ? acquire::entropy(l, checks)
                           : acquire::ratio(l, checks);
        } else {
            s = which == 0 ? acquire::least_confidence(m, checks)
              : which == 1 ? acquire::margin(m, checks)
              : which == 2 ? acquire::entropy(m, checks)
                           : acquire::ratio(m, checks);
        }
        fuzz::expect_scores(s, n, checks.values);
    });
    fuzz::accept_invalid([&] {
        acquire::Vector<Scalar> out(n + in.upto(1));  // sometimes one too many
        acquire::entropy(m, out, checks);
        if (out.size() != n) fuzz::contract_broken("accepted a wrong-sized output");
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
