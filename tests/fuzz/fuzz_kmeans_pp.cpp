// k-means++ seeding: initial centers (possibly bad), fixed or drawn first pick, duplicate rows
// (zero potential), budgets.
#include "fuzz.hpp"

#include <acquire/select/kmeans_pp.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Bytes in(data, size);
    const Index n = in.upto(40), d = in.upto(5);
    const bool hostile = in.flag();
    const auto X = in.matrix<double, Eigen::RowMajor>(n, d, hostile);
    acquire::KMeansPPOptions o;
    o.initial = in.indices(n, 5, hostile);
    o.first = in.rarely(3) ? in.upto(n) - 1 : -1;
    o.seed = in.byte();
    o.checks.values = !in.rarely(4);
    const Index b = in.upto(n + 1);
    fuzz::accept_invalid([&] {
        const auto s = acquire::kmeans_pp(X, b, o);
        fuzz::expect_selection(s, n, b, o.initial);
    });
    return 0;
}
