// Committee scorers: hand-computed values, a brute-force double reference on random stacks, the
// three layouts bit-identical, float against double, T = 1, the permutation invariant.
#include "stack_fixtures.hpp"

#include <acquire/core/random.hpp>
#include <acquire/score/committee.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

using acquire::Index;
using acquire::PredictionStack;
using Catch::Contains;

namespace {

enum class Kind { vote, consensus, kl, max_kl, variation };
constexpr Kind all_kinds[] = {Kind::vote, Kind::consensus, Kind::kl, Kind::max_kl, Kind::variation};

template <class T>
acquire::Vector<T> score(Kind kind, const PredictionStack<T>& s, const acquire::CheckOptions& c = {}) {
    switch (kind) {
        case Kind::vote: return acquire::vote_entropy(s, c);
        case Kind::consensus: return acquire::consensus_entropy(s, c);
        case Kind::kl: return acquire::kl_disagreement(s, c);
        case Kind::max_kl: return acquire::max_kl_disagreement(s, c);
        default: return acquire::variation_ratio(s, c);
    }
}

const std::vector<double>& pick(Kind kind, const stack_fixtures::Reference& r) {
    switch (kind) {
        case Kind::vote: return r.vote;
        case Kind::consensus: return r.consensus;
        case Kind::kl: return r.kl;
        case Kind::max_kl: return r.max_kl;
        default: return r.variation;
    }
}

}  // namespace

TEMPLATE_TEST_CASE("committee scorers: hand-computed values", "[committee]", float, double) {
    using T = TestType;
    // T = 2 members, N = 3 samples, K = 2 classes, layout [T][N][K].
    const std::vector<T> buf{1, 0, 0.7f, 0.3f, 0.5f, 0.5f,    // member 0
                             0, 1, 0.7f, 0.3f, 0.2f, 0.8f};   // member 1
    const auto s = PredictionStack<T>::tnk(buf.data(), 2, 3, 2);
    const double ln2 = std::log(2.0), h73 = -(0.7 * std::log(0.7) + 0.3 * std::log(0.3));
    const auto close = [](double expected) { return Approx(expected).margin(1e-6); };
    INFO("row 0: the members are sure and opposite; row 1: they agree; row 2: a tie in member 0 votes class 0");
    const auto ve = acquire::vote_entropy(s), ce = acquire::consensus_entropy(s),
               kl = acquire::kl_disagreement(s), mk = acquire::max_kl_disagreement(s),
               vr = acquire::variation_ratio(s);
    CHECK(ve[0] == close(ln2));
    CHECK(ve[1] == 0);
    CHECK(ve[2] == close(ln2));
    CHECK(ce[0] == close(ln2));
    CHECK(ce[1] == close(h73));
    CHECK(ce[2] == close(-(0.35 * std::log(0.35) + 0.65 * std::log(0.65))));
    CHECK(kl[0] == close(ln2));
    CHECK(kl[1] == close(0));
    CHECK(mk[0] == close(ln2));
    const double kl0 = 0.5 * std::log(0.5 / 0.35) + 0.5 * std::log(0.5 / 0.65);
    const double kl1 = 0.2 * std::log(0.2 / 0.35) + 0.8 * std::log(0.8 / 0.65);
    CHECK(kl[2] == close((kl0 + kl1) / 2));
    CHECK(mk[2] == close(std::max(kl0, kl1)));
    CHECK(vr[0] == close(0.5));
    CHECK(vr[1] == 0);
    CHECK(vr[2] == close(0.5));
}

TEMPLATE_TEST_CASE("committee scorers match a brute-force double reference in every layout",
                   "[committee]", float, double) {
    using T = TestType;
    for (double disagreement : {0.0, 1.0, 4.0}) {
        acquire::synthetic::StackOptions o;
        o.disagreement = disagreement;
        o.seed = 7;
        const stack_fixtures::Layouts<T> s(7, 301, 5, o);
        const auto ref = stack_fixtures::reference(stack_fixtures::to_double(s.view_tnk()));
        for (Kind kind : all_kinds) {
            INFO("disagreement " << disagreement << ", kind " << int(kind));
            const auto a = score(kind, s.view_tnk());
            INFO("the three layouts give bit-identical scores");
            CHECK(score(kind, s.view_ntk()) == a);
            CHECK(score(kind, s.view_nkt()) == a);
            const auto& want = pick(kind, ref);
            const double tol = sizeof(T) == 4 ? 1e-5 : 1e-12;
            for (Index i = 0; i < a.size(); ++i)
                CHECK(double(a[i]) == Approx(want[static_cast<std::size_t>(i)]).epsilon(tol).margin(tol));
        }
    }
}

TEMPLATE_TEST_CASE("committee scorers: one member, and permuted rows", "[committee]", float, double) {
    using T = TestType;
    const stack_fixtures::Layouts<T> one(1, 50, 4);
    for (Kind kind : {Kind::vote, Kind::kl, Kind::max_kl, Kind::variation}) {
        INFO("T = 1 has no disagreement: kind " << int(kind));
        CHECK(score(kind, one.view_tnk()).cwiseAbs().maxCoeff() == 0);
    }
    INFO("T = 1 consensus entropy is the member's entropy");
    const auto ref = stack_fixtures::reference(stack_fixtures::to_double(one.view_tnk()));
    const auto ce = acquire::consensus_entropy(one.view_tnk());
    for (Index i = 0; i < 50; ++i) CHECK(double(ce[i]) == Approx(ref.consensus[std::size_t(i)]).epsilon(1e-5));

    const stack_fixtures::Layouts<T> s(5, 40, 3);
    std::vector<acquire::Matrix<T>> members, shuffled;
    std::vector<Index> perm(40);
    for (Index i = 0; i < 40; ++i) perm[std::size_t(i)] = (i * 17 + 3) % 40;
    for (Index t = 0; t < 5; ++t) {
        members.push_back(s.view_tnk().member(t));
        shuffled.push_back(members.back()(perm, Eigen::all));
    }
    for (Kind kind : all_kinds) {
        INFO("permuting the rows permutes the scores: kind " << int(kind));
        const auto a = score(kind, PredictionStack<T>(members));
        const auto b = score(kind, PredictionStack<T>(shuffled));
        for (Index i = 0; i < 40; ++i) CHECK(b[i] == a[perm[std::size_t(i)]]);
    }
}

TEMPLATE_TEST_CASE("committee scorers reject bad stacks by name", "[committee][checks]", float, double) {
    using T = TestType;
    stack_fixtures::Layouts<T> s(3, 10, 4);
    s.tnk[static_cast<std::size_t>((1 * 10 + 6) * 4 + 2)] = std::numeric_limits<T>::infinity();
    const auto v = s.view_tnk();
    REQUIRE_THROWS_WITH(acquire::vote_entropy(v), Contains("acquire::vote_entropy: predictions member 1 row 6 column 2 is inf"));
    REQUIRE_THROWS_WITH(acquire::consensus_entropy(v), Contains("acquire::consensus_entropy: predictions member 1 row 6"));
    REQUIRE_THROWS_WITH(acquire::kl_disagreement(v), Contains("acquire::kl_disagreement: predictions member 1 row 6"));
    REQUIRE_THROWS_WITH(acquire::max_kl_disagreement(v), Contains("acquire::max_kl_disagreement: predictions member 1"));
    REQUIRE_THROWS_WITH(acquire::variation_ratio(v), Contains("acquire::variation_ratio: predictions member 1"));
    acquire::CheckOptions bad_tolerance;
    bad_tolerance.tolerance = -1;
    REQUIRE_THROWS_WITH(acquire::vote_entropy(v, bad_tolerance), Contains("tolerance must be finite and >= 0"));
}

TEMPLATE_TEST_CASE("checked committee scores equal unchecked ones; a late bad block is named",
                   "[committee][checks]", float, double) {
    // The checks run on each packed block inside the scoring pass: they must not change a score,
    // and a bad row far past the first block (and past good blocks) must still be named.
    using T = TestType;
    acquire::CheckOptions off;
    off.values = false;
    for (Index k : {3, 40}) {
        stack_fixtures::Layouts<T> s(5, 4000, k);
        for (Kind kind : all_kinds) {
            CHECK((score(kind, s.view_ntk()).array() == score(kind, s.view_ntk(), off).array()).all());
            CHECK((score(kind, s.view_nkt()).array() == score(kind, s.view_nkt(), off).array()).all());
        }
        s.ntk[static_cast<std::size_t>((3999 * 5 + 4) * k + 1)] = T(-0.25);
        s.ntk[static_cast<std::size_t>((3998 * 5 + 2) * k + 0)] += T(0.01);
        for (Kind kind : all_kinds)
            REQUIRE_THROWS_WITH(score(kind, s.view_ntk()), Contains("predictions member 2 row 3998 sums to"));
    }
}

TEMPLATE_TEST_CASE("hard votes: ties go to the lowest class and a NaN never wins, for every K",
                   "[committee]", float, double) {
    // Short rows find each member's argmax in SIMD lanes, in the pass that validates the block;
    // long rows and the rows the lanes leave over use a scalar loop. Entries drawn from three
    // values make ties common, and NaNs sit first, last and in between; the votes must be those
    // of `if (row[k] > row[best]) best = k` in every case (checks off: NaN is not a distribution).
    using T = TestType;
    acquire::CheckOptions off;
    off.values = false;
    acquire::Rng rng(11);
    for (Index k = 1; k <= 40; ++k) {
        const Index members = 6, rows = 203;
        std::vector<T> buf(static_cast<std::size_t>(members * rows * k));
        for (auto& v : buf) {
            const auto draw = rng.next() % 16;
            v = draw == 0 ? std::numeric_limits<T>::quiet_NaN() : T(draw % 3) / 4;
        }
        const auto view = PredictionStack<T>::tnk(buf.data(), members, rows, k);
        const auto ref = stack_fixtures::reference(stack_fixtures::to_double(view));
        const auto ve = acquire::vote_entropy(view, off), vr = acquire::variation_ratio(view, off);
        INFO("K = " << k);
        for (Index i = 0; i < rows; ++i) {
            CHECK(double(ve[i]) == Approx(ref.vote[std::size_t(i)]).margin(1e-6));
            CHECK(double(vr[i]) == Approx(ref.variation[std::size_t(i)]).margin(1e-6));
        }
    }
}
