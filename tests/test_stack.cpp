// PredictionStack: every layout and the vector constructor read the same numbers in place, and
// bad shapes and bad values are named (member and row).
#include "stack_fixtures.hpp"

#include <acquire/core/stack.hpp>
#include <acquire/score/bayesian.hpp>

#include <catch2/catch.hpp>

#include <limits>

using acquire::Index;
using acquire::invalid_input;
using acquire::PredictionStack;
using Catch::Contains;

TEMPLATE_TEST_CASE("PredictionStack reads every layout in place", "[stack]", float, double) {
    using T = TestType;
    const stack_fixtures::Layouts<T> s(3, 5, 4);
    const auto a = s.view_tnk(), b = s.view_ntk(), c = s.view_nkt();
    std::vector<acquire::Matrix<T>> members;
    std::vector<acquire::RowMatrix<T>> row_members;
    for (Index t = 0; t < 3; ++t) {
        members.push_back(a.member(t));
        row_members.push_back(a.member(t));
    }
    const PredictionStack<T> d(members), e(row_members);
    for (const auto* v : {&a, &b, &c, &d, &e}) {
        REQUIRE(v->members() == 3);
        REQUIRE(v->rows() == 5);
        REQUIRE(v->cols() == 4);
        for (Index t = 0; t < 3; ++t) {
            CHECK(v->member(t) == a.member(t));
            for (Index i = 0; i < 5; ++i)
                for (Index k = 0; k < 4; ++k)
                    CHECK((*v)(t, i, k) == s.tnk[static_cast<std::size_t>((t * 5 + i) * 4 + k)]);
        }
    }
    INFO("no copy: the view points into the caller's buffer");
    CHECK(a.member_data(1) == s.tnk.data() + 20);
    CHECK(d.member_data(2) == members[2].data());
    INFO("a padded custom layout through the strided constructor");
    std::vector<T> padded(static_cast<std::size_t>(3 * 5 * 6), T(-1));
    for (Index t = 0; t < 3; ++t)
        for (Index i = 0; i < 5; ++i)
            for (Index k = 0; k < 4; ++k) padded[static_cast<std::size_t>(t * 30 + i * 6 + k)] = a(t, i, k);
    const PredictionStack<T> f(padded.data(), 3, 5, 4, 30, 6, 1);
    for (Index t = 0; t < 3; ++t) CHECK(f.member(t) == a.member(t));
    CHECK(acquire::bald(f) == acquire::bald(a));
}

TEMPLATE_TEST_CASE("PredictionStack rejects bad shapes", "[stack][checks]", float, double) {
    using T = TestType;
    std::vector<T> buf(24, T(0.25));
    REQUIRE_THROWS_WITH(PredictionStack<T>::tnk(buf.data(), 0, 6, 4),
                        Contains("acquire::PredictionStack: needs T, N, K >= 1, got T = 0"));
    REQUIRE_THROWS_WITH(PredictionStack<T>::ntk(buf.data(), 6, 1, 0), Contains("K = 0"));
    REQUIRE_THROWS_WITH(PredictionStack<T>::tnk(nullptr, 1, 6, 4), Contains("data is null"));
    REQUIRE_THROWS_WITH(PredictionStack<T>(buf.data(), 1, 6, 4, 24, 0, 1), Contains("strides must be >= 1"));
    std::vector<acquire::Matrix<T>> none;
    REQUIRE_THROWS_WITH(PredictionStack<T>(none), Contains("at least one member"));
    std::vector<acquire::Matrix<T>> mismatched{acquire::Matrix<T>::Constant(5, 3, T(1) / 3),
                                               acquire::Matrix<T>::Constant(5, 3, T(1) / 3),
                                               acquire::Matrix<T>::Constant(5, 2, T(0.5))};
    REQUIRE_THROWS_WITH(PredictionStack<T>(mismatched),
                        Contains("member 2 is 5 x 2 but member 0 is 5 x 3"));
    const auto s = PredictionStack<T>::tnk(buf.data(), 1, 6, 4);
    REQUIRE_THROWS_WITH(s.member(1), Contains("member 1 out of range [0, 1)"));
}

TEMPLATE_TEST_CASE("stack value checks name the member and the row", "[stack][checks]", float, double) {
    using T = TestType;
    for (int layout = 0; layout < 3; ++layout) {
        INFO("layout " << layout);
        stack_fixtures::Layouts<T> s(4, 3000, 5);
        auto poke = [&](Index t, Index i, Index k, T v) {
            const T old = s.tnk[static_cast<std::size_t>((t * 3000 + i) * 5 + k)];
            s.tnk[static_cast<std::size_t>((t * 3000 + i) * 5 + k)] = v;
            s.ntk[static_cast<std::size_t>((i * 4 + t) * 5 + k)] = v;
            s.nkt[static_cast<std::size_t>((i * 5 + k) * 4 + t)] = v;
            return old;
        };
        auto view = [&] { return layout == 0 ? s.view_tnk() : layout == 1 ? s.view_ntk() : s.view_nkt(); };
        REQUIRE_NOTHROW(acquire::bald(view()));
        const T a = poke(2, 2917, 1, std::numeric_limits<T>::quiet_NaN());
        poke(3, 2999, 0, T(7));
        REQUIRE_THROWS_WITH(acquire::bald(view()),
                            Contains("acquire::bald: predictions member 2 row 2917 column 1 is nan"));
        poke(2, 2917, 1, a);
        const T b = poke(1, 2917, 0, T(-0.1));  // an earlier member in the same row is named first
        REQUIRE_THROWS_WITH(acquire::bald(view()), Contains("member 1 row 2917 column 0 is -0.1"));
        poke(1, 2917, 0, b);
        REQUIRE_THROWS_WITH(acquire::bald(view()), Contains("member 3 row 2999 column 0 is 7"));
        acquire::CheckOptions off;
        off.values = false;
        REQUIRE_NOTHROW(acquire::bald(view(), off));
    }
    std::vector<T> sums_wrong(6, T(0.5));  // T = 1, N = 2, K = 3: rows sum to 1.5
    REQUIRE_THROWS_WITH(acquire::mean_std(PredictionStack<T>::tnk(sums_wrong.data(), 1, 2, 3)),
                        Contains("acquire::mean_std: predictions member 0 row 0 sums to 1.5 (tolerance 0.001)"));
}

TEMPLATE_TEST_CASE("stack value checks catch every kind of bad row at every place in a block, short and long rows",
                   "[stack][checks]", float, double) {
    using T = TestType;
    // Short rows (K below four lanes' worth) are checked with the range over the whole block and
    // four rows' sums side by side: a bad row must be caught in each of the four places and in
    // the tail, whatever makes it bad.
    // [N][K][T] stacks are checked on the tiles their gather transposes: with 9 members, member
    // 1 sits in a full tile and member 8 in what the tiles leave, and classes past the last
    // full tile are added on in scalar code.
    const Index rows = 14;
    for (const Index members : {Index(3), Index(9)})
    for (const Index K : {Index(1), Index(2), Index(3), Index(10), Index(31), Index(40)}) {
        for (Index i : {Index(0), Index(1), Index(2), Index(3), Index(6), Index(13)}) {
            for (int kind = 0; kind < 6; ++kind)
            for (const Index m : {Index(1), members - 1}) {
                if (K == 1 && (kind == 1 || kind == 2)) continue;  // [1] cannot move mass
                INFO("T " << members << " K " << K << " member " << m << " row " << i << " kind " << kind);
                std::vector<T> buf(static_cast<std::size_t>(members * rows * K), T(1) / T(K));
                T* row = buf.data() + (m * rows + i) * K;
                switch (kind) {
                    case 0: for (Index k = 0; k < K; ++k) row[k] *= T(1.01); break;  // sums to 1.01
                    case 1: row[0] = T(-0.05); row[1] += T(1) / T(K) + T(0.05); break;  // a negative, sum 1
                    case 2: row[0] = T(1.25); row[1] -= T(1.25) - T(1) / T(K); break;   // above 1, sum 1
                    case 3: row[K - 1] = std::numeric_limits<T>::quiet_NaN(); break;
                    case 4: row[0] = std::numeric_limits<T>::infinity(); break;
                    default:  // one entry above 1, none negative, the sum within tolerance
                        for (Index k = 0; k < K; ++k) row[k] = 0;
                        row[K / 2] = T(1.0005);
                        break;
                }
                std::vector<T> nkt(buf.size());
                for (Index t = 0; t < members; ++t)
                    for (Index r = 0; r < rows; ++r)
                        for (Index k = 0; k < K; ++k)
                            nkt[static_cast<std::size_t>((r * K + k) * members + t)] =
                                buf[static_cast<std::size_t>((t * rows + r) * K + k)];
                const std::string where = "member " + std::to_string(m) + " row " + std::to_string(i);
                for (const auto& s : {acquire::PredictionStack<T>::tnk(buf.data(), members, rows, K),
                                      acquire::PredictionStack<T>::nkt(nkt.data(), rows, K, members)}) {
                    REQUIRE_THROWS_WITH(acquire::consensus_entropy(s), Contains(where));
                    REQUIRE_THROWS_WITH(acquire::bald(s), Contains(where));
                }
            }
        }
    }
}
