// acquire/interop/torch.hpp: every view reads the same numbers as torch itself, in place, for
// contiguous, transposed, sliced and expanded tensors; bad tensors are refused with the named
// reason (device, dtype, dimensions, grad, expanded stack dimension, negative index).
#include <acquire/interop/torch.hpp>
#include <acquire/score/bayesian.hpp>
#include <acquire/score/uncertainty.hpp>
#include <acquire/core/top_k.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

using acquire::Index;
using acquire::invalid_input;
using acquire::StackDims;
using Catch::Contains;

namespace {

template <class T>
torch::Dtype dtype_of() {
    return std::is_same_v<T, float> ? torch::kFloat : torch::kDouble;
}

/// Softmax of seeded random logits: rows are distributions, so acquire's scorers accept them.
template <class T>
torch::Tensor probabilities(std::vector<std::int64_t> shape, std::int64_t dim, std::uint64_t seed) {
    torch::manual_seed(seed);
    return torch::softmax(torch::randn(shape, torch::TensorOptions().dtype(dtype_of<T>())), dim);
}

/// Every entry of the map equals what torch reads at (i, k), through torch's own indexing.
template <class T, class Map>
void check_matrix(const Map& m, const torch::Tensor& t) {
    REQUIRE(m.rows() == t.size(0));
    REQUIRE(m.cols() == t.size(1));
    const auto ref = t.contiguous();  // a copy through torch, read by plain pointer
    const T* p = ref.template data_ptr<T>();
    for (Index i = 0; i < m.rows(); ++i)
        for (Index k = 0; k < m.cols(); ++k) {
            INFO("entry (" << i << ", " << k << ")");
            REQUIRE(m(i, k) == p[i * m.cols() + k]);
        }
    INFO("no copy: the map points into the tensor's storage");
    CHECK(m.data() == t.template data_ptr<T>());
}

template <class T>
void check_stack(const acquire::PredictionStack<T>& s, const torch::Tensor& tnk) {
    REQUIRE(s.members() == tnk.size(0));
    REQUIRE(s.rows() == tnk.size(1));
    REQUIRE(s.cols() == tnk.size(2));
    const auto a = tnk.accessor<T, 3>();
    for (Index t = 0; t < s.members(); ++t)
        for (Index i = 0; i < s.rows(); ++i)
            for (Index k = 0; k < s.cols(); ++k) {
                INFO("entry (" << t << ", " << i << ", " << k << ")");
                REQUIRE(s(t, i, k) == a[t][i][k]);
            }
}

}  // namespace

TEMPLATE_TEST_CASE("as_matrix views contiguous, transposed, sliced and expanded tensors", "[torch]", float, double) {
    using T = TestType;
    const auto base = probabilities<T>({7, 5}, 1, 1);

    SECTION("contiguous") { check_matrix<T>(acquire::as_matrix<T>(base), base); }
    SECTION("transposed") {
        const auto t = base.t();
        REQUIRE(!t.is_contiguous());
        const auto m = acquire::as_matrix<T>(t);
        check_matrix<T>(m, t);
        CHECK(m.outerStride() == 1);
        CHECK(m.innerStride() == 5);
    }
    SECTION("sliced: a column range and every other row, with a storage offset") {
        const auto t = base.slice(0, 1, 7, 2).narrow(1, 2, 3);
        REQUIRE(t.storage_offset() == 7);
        check_matrix<T>(acquire::as_matrix<T>(t), t);
    }
    SECTION("a 2-D slice of a 3-D tensor") {
        const auto big = probabilities<T>({4, 6, 3}, 2, 2);
        const auto t = big.select(1, 4);  // [4, 3], rows 18 apart
        check_matrix<T>(acquire::as_matrix<T>(t), t);
    }
    SECTION("expanded: one row repeated, stride 0") {
        const auto t = base.narrow(0, 2, 1).expand({6, 5});
        REQUIRE(t.stride(0) == 0);
        check_matrix<T>(acquire::as_matrix<T>(t), t);
    }
    SECTION("scores through the view equal scores of a contiguous copy") {
        const auto t = base.t().contiguous().t();  // column-major memory
        const acquire::RowMatrix<T> copy = acquire::as_matrix<T>(base);
        const acquire::Vector<T> a = acquire::entropy(acquire::as_matrix<T>(t)), b = acquire::entropy(copy);
        CHECK(a.isApprox(b, T(1e-6)));
        CHECK(acquire::top_k(acquire::margin(acquire::as_matrix<T>(t)), 3) == acquire::top_k(acquire::margin(copy), 3));
    }
}

TEMPLATE_TEST_CASE("as_vector views 1-D tensors with their stride", "[torch]", float, double) {
    using T = TestType;
    const auto base = torch::arange(12, torch::TensorOptions().dtype(dtype_of<T>()));
    const auto t = base.slice(0, 1, 12, 3);  // 1, 4, 7, 10
    const auto v = acquire::as_vector<T>(t);
    REQUIRE(v.size() == 4);
    for (Index i = 0; i < 4; ++i) CHECK(v[i] == T(1 + 3 * i));
    CHECK(v.data() == t.template data_ptr<T>());
    CHECK(acquire::top_k(v, 2) == std::vector<Index>{3, 2});
}

TEMPLATE_TEST_CASE("as_stack views every dimension order and stride", "[torch]", float, double) {
    using T = TestType;
    const Index Tm = 4, N = 6, K = 3;
    const auto tnk = probabilities<T>({Tm, N, K}, 2, 3);

    SECTION("[T, N, K] contiguous") {
        const auto s = acquire::as_stack<T>(tnk);
        check_stack<T>(s, tnk);
        CHECK(s.member_data(0) == tnk.template data_ptr<T>());
    }
    SECTION("[N, T, K] and [N, K, T] tensors, contiguous in that order") {
        const auto ntk = tnk.permute({1, 0, 2}).contiguous();
        const auto nkt = tnk.permute({1, 2, 0}).contiguous();
        check_stack<T>(acquire::as_stack<T>(ntk, StackDims::ntk), tnk);
        check_stack<T>(acquire::as_stack<T>(nkt, StackDims::nkt), tnk);
        INFO("the [N][K][T] memory layout is recognised as members innermost");
        CHECK(acquire::as_stack<T>(nkt, StackDims::nkt).class_stride() == Tm);
    }
    SECTION("a permuted (non-contiguous) [T, N, K] view of [N, K, T] memory") {
        const auto memory = tnk.permute({1, 2, 0}).contiguous();
        const auto view = memory.permute({2, 0, 1});
        REQUIRE(!view.is_contiguous());
        check_stack<T>(acquire::as_stack<T>(view), tnk);
    }
    SECTION("sliced: members 1..3, every other sample") {
        const auto view = tnk.narrow(0, 1, 3).slice(1, 0, N, 2);
        check_stack<T>(acquire::as_stack<T>(view), view);
    }
    SECTION("a size-1 expanded member dimension is fine") {
        const auto one = tnk.narrow(0, 2, 1).expand({1, N, K});
        check_stack<T>(acquire::as_stack<T>(one), one);
    }
    SECTION("BALD through the view equals BALD of a contiguous copy") {
        const auto memory = tnk.permute({1, 2, 0}).contiguous();
        const acquire::Vector<T> a = acquire::bald(acquire::as_stack<T>(memory.permute({2, 0, 1})));
        const acquire::Vector<T> b = acquire::bald(acquire::as_stack<T>(tnk));
        CHECK(a.isApprox(b, T(1e-5)));
    }
}

TEST_CASE("index tensors to and from std::vector<Index>", "[torch]") {
    const std::vector<Index> picks{5, 0, 17, 3};
    const auto t = acquire::to_tensor(picks);
    CHECK(t.scalar_type() == torch::kLong);
    CHECK(t.dim() == 1);
    CHECK(acquire::to_indices(t) == picks);
    CHECK(acquire::to_tensor({}).numel() == 0);
    CHECK(acquire::to_indices(acquire::to_tensor({})).empty());

    INFO("int32, uint8 and strided index tensors");
    CHECK(acquire::to_indices(torch::tensor({2, 9, 4}, torch::kInt)) == std::vector<Index>{2, 9, 4});
    CHECK(acquire::to_indices(torch::tensor({200, 1}, torch::kByte)) == std::vector<Index>{200, 1});
    CHECK(acquire::to_indices(torch::arange(10, torch::kLong).slice(0, 1, 10, 4)) == std::vector<Index>{1, 5, 9});

    CHECK_THROWS_WITH(acquire::to_indices(torch::tensor({1, -4, 2}, torch::kLong), "labeled"),
                      "acquire::to_indices: labeled position 1 is -4 (must be >= 0)");
    CHECK_THROWS_WITH(acquire::to_indices(torch::zeros({3}, torch::kFloat)), Contains("integer dtype"));
    CHECK_THROWS_WITH(acquire::to_indices(torch::zeros({3}, torch::kBool)), Contains("integer dtype"));
    CHECK_THROWS_WITH(acquire::to_indices(torch::zeros({2, 2}, torch::kLong)), Contains("must have 1 dimension, got 2"));
    CHECK_THROWS_AS(acquire::to_indices(torch::Tensor()), invalid_input);
}

TEMPLATE_TEST_CASE("bad tensors are refused with the reason", "[torch]", float, double) {
    using T = TestType;
    using Other = std::conditional_t<std::is_same_v<T, float>, double, float>;
    const auto p = probabilities<T>({4, 3}, 1, 4);

    CHECK_THROWS_WITH(acquire::as_matrix<T>(torch::Tensor(), "probabilities"),
                      "acquire::as_matrix: probabilities is an undefined tensor");
    CHECK_THROWS_WITH(acquire::as_matrix<Other>(p, "probabilities"),
                      Contains("acquire::as_matrix: probabilities has dtype") && Contains("torch::k"));
    CHECK_THROWS_WITH(acquire::as_matrix<T>(p.to(torch::kHalf)), Contains("has dtype Half"));
    CHECK_THROWS_WITH(acquire::as_matrix<T>(p.to(torch::kInt)), Contains("has dtype Int"));
    CHECK_THROWS_WITH(acquire::as_matrix<T>(p.reshape({12}), "probabilities"),
                      "acquire::as_matrix: probabilities must have 2 dimensions, got 1 (shape [12])");
    CHECK_THROWS_WITH(acquire::as_vector<T>(p), Contains("must have 1 dimension, got 2"));
    CHECK_THROWS_WITH(acquire::as_stack<T>(p), Contains("acquire::as_stack: tensor must have 3 dimensions, got 2"));

    INFO("a tensor that requires grad: detach it");
    const auto g = p.clone().requires_grad_(true);
    CHECK_THROWS_WITH(acquire::as_matrix<T>(g, "logits"),
                      "acquire::as_matrix: logits requires grad: pass tensor.detach() (acquire only reads the values)");
    CHECK_NOTHROW(acquire::as_matrix<T>(g.detach()));
    CHECK_THROWS_WITH(acquire::as_stack<T>(g.reshape({1, 4, 3})), Contains("requires grad"));

    INFO("a tensor not on the CPU (the meta device stands in for CUDA, absent here)");
    const auto meta = torch::empty({4, 3}, torch::TensorOptions().dtype(dtype_of<T>()).device(torch::kMeta));
    CHECK_THROWS_WITH(acquire::as_matrix<T>(meta, "probabilities"),
                      Contains("probabilities is on device meta") && Contains("move it to the CPU first"));
    CHECK_THROWS_WITH(acquire::to_indices(torch::empty({3}, torch::TensorOptions().dtype(torch::kLong).device(torch::kMeta))),
                      Contains("move it to the CPU first"));

    INFO("sparse tensors");
    CHECK_THROWS_WITH(acquire::as_matrix<T>(p.to_sparse()), Contains("layout") && Contains("to_dense"));

    INFO("an expanded stack dimension would make every member alias one buffer: refused");
    const auto one = p.reshape({1, 4, 3});
    CHECK_THROWS_WITH(acquire::as_stack<T>(one.expand({5, 4, 3}), StackDims::tnk, "mc"),
                      Contains("acquire::as_stack: mc dimension 0 (T) is expanded (stride 0") &&
                          Contains("tensor.contiguous()"));
    CHECK_NOTHROW(acquire::as_stack<T>(one.expand({5, 4, 3}).contiguous()));
    CHECK_THROWS_WITH(acquire::as_stack<T>(torch::empty({0, 4, 3}, dtype_of<T>())), Contains("T, N, K >= 1"));
}

TEST_CASE("the README's From libtorch snippet runs", "[torch]") {
    torch::manual_seed(7);
    torch::nn::Linear model(8, 5);  // stands in for a network: 8 features -> 5 classes
    const auto pool_images = torch::randn({300, 8});
    const auto labeled_tensor = torch::tensor({3, 141, 59}, torch::kLong);

    // --- begin snippet
    torch::NoGradGuard no_grad;
    torch::Tensor logits = model->forward(pool_images);             // [N, K] on the CPU
    torch::Tensor probs = torch::softmax(logits, /*dim=*/1);        // float32 [N, K]
    auto P = acquire::as_matrix<float>(probs, "probabilities");     // Eigen view, no copy
    std::vector<acquire::Index> labeled = acquire::to_indices(labeled_tensor);
    std::vector<acquire::Index> batch = acquire::top_k(acquire::margin(P), 10, labeled);
    torch::Tensor query = pool_images.index_select(0, acquire::to_tensor(batch));  // [10, 8]

    // Or straight from the logits (a numerically stable log-softmax inside):
    auto same = acquire::top_k(acquire::margin(acquire::logits(acquire::as_matrix<float>(logits))), 10, labeled);
    // --- end snippet

    CHECK(query.size(0) == 10);
    CHECK(batch == same);
    for (Index i : batch) CHECK(std::find(labeled.begin(), labeled.end(), i) == labeled.end());
    INFO("the first pick has the smallest margin (largest acquire::margin score) among unlabeled rows");
    const auto sorted = std::get<0>(probs.topk(2, 1));
    const auto gap = (sorted.select(1, 0) - sorted.select(1, 1));
    gap.index_fill_(0, labeled_tensor, 2.0f);
    CHECK(gap.argmin().item<std::int64_t>() == batch[0]);
}
