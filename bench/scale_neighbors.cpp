// One run of a neighbour selector on a large pool, for bench/scale_neighbors.py (which runs
// each in its own process, so that the peak memory is the run's own) and docs/scale.md.
//
//   scale_neighbors --task=T --n=N [--d=64 --k=20 --b=1000 --data=synthetic|fashion
//                    --compare=0|1 --parallel_build=0|1 --sample=2000 --M --ef_construction --ef_search --shards
//                    --efs=100,160,256,400 --refine --rounds=2]
//
// Tasks (pools: synthetic::embeddings float, 100 clusters, spread 0.3, seed 1; or the 70,000
// Fashion-MNIST images' pixels / 255, d = 784):
//   recall     hnsw::knn_graph(X, k); recall@k on --sample rows (seeded) against their exact
//              k nearest (nearest_neighbors of the sample over all rows);
//   facility   sparse facility_location(X, {}, b) with neighbors = k on a cosine HNSW graph;
//              --compare=1 also runs it on the exact graph and evaluates both pick sets on the
//              exact sparse objective;
//   probcover  probcover_delta(X, 100 clusters) on a graph of k, then probcover(X, delta, b); the
//              balls' recall on --sample rows (exact ball sizes by a scan of X);
//   typiclust  typiclust(X, b) with neighbors = 20 on a graph of k; --compare=1 also runs it
//              with the exact search and counts the picks both share;
//   cal        contrastive_score with N pool rows over N / 10 labeled rows (10 classes), graph
//              of 10;
//   refine     hnsw::knn_graph(X, k) without refinement, then --rounds (default 2) rounds of
//              hnsw::detail::refine_round on it: recall@k on --sample rows and seconds after each;
//   sweep      hnsw::knn_graph's indexes built once, then the --sample rows queried at each
//              ef_search of --efs (default 100,160,256,400): recall@k and microseconds per row;
//   faiss      the graph from --index=hnsw (faiss::IndexHNSWFlat, --M, --ef_construction and
//              --ef_search as hnsw::Options' defaults), --index=ivf (faiss::IndexIVFFlat, --nlist
//              default sqrt(N), trained on 64 rows per list, --nprobe default 16) or
//              --index=acquire (hnsw::knn_graph, default options): every row queried for its
//              k + 1 nearest, itself dropped, as a user hands a graph in (docs/python.md), then
//              checked as the selectors check one; build and graph seconds, recall@k. Needs
//              Debian's libfaiss-dev at build time; without it the task exits with 77 (skipped).
// Prints one JSON object: times in seconds, peak resident memory in MB (getrusage), and the
// task's figures.
#include "../examples/fashion_mnist/idx.hpp"

#include <acquire/core/random.hpp>
#include <acquire/hnsw.hpp>
#include <acquire/score/contrastive.hpp>
#include <acquire/select/facility_location.hpp>
#include <acquire/select/probcover.hpp>
#include <acquire/select/typiclust.hpp>
#include <acquire/synthetic.hpp>

#ifdef ACQUIRE_SCALE_FAISS
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#endif

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {

using acquire::Index;
using acquire::NeighborGraph;
using Pool = acquire::RowMatrix<float>;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double peak_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;
}

Pool load(const std::string& data, Index n, Index d) {
    if (data == "fashion") {
        const std::string dir = "/usr/share/datasets/fashion-mnist/";
        const auto a = fmnist::read_idx(dir + "train-images-idx3-ubyte.gz");
        const auto b = fmnist::read_idx(dir + "t10k-images-idx3-ubyte.gz");
        const Index rows = static_cast<Index>(a.dims[0] + b.dims[0]), cols = 784;
        Pool X(std::min(n, rows), cols);
        for (Index i = 0; i < X.rows(); ++i)
            for (Index f = 0; f < cols; ++f) {
                const auto& src = i < static_cast<Index>(a.dims[0]) ? a.bytes : b.bytes;
                const Index r = i < static_cast<Index>(a.dims[0]) ? i : i - static_cast<Index>(a.dims[0]);
                X(i, f) = static_cast<float>(src[static_cast<std::size_t>(r * cols + f)]) / 255.0f;
            }
        return X;
    }
    acquire::synthetic::EmbeddingOptions o;
    o.clusters = 100;
    return acquire::synthetic::embeddings<float, Eigen::RowMajor>(n, d, o);
}

/// `sample` distinct rows, seeded.
std::vector<Index> sample_rows(Index n, Index sample) {
    acquire::Rng rng(7);
    std::vector<Index> all(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) all[static_cast<std::size_t>(i)] = i;
    const Index s = std::min(sample, n);
    for (Index i = 0; i < s; ++i)
        std::swap(all[static_cast<std::size_t>(i)], all[static_cast<std::size_t>(i + static_cast<Index>(rng.below(static_cast<std::uint64_t>(n - i))))]);
    all.resize(static_cast<std::size_t>(s));
    return all;
}

/// The exact k nearest other rows of each sampled row (nearest_neighbors of the sample over all rows).
template <class Rows>
std::vector<std::set<Index>> exact_lists(const Rows& X, Index k, const std::vector<Index>& rows) {
    const Pool Q = X(rows, Eigen::all);
    const auto nn = acquire::nearest_neighbors(Q, X, k + 1);
    std::vector<std::set<Index>> truth(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r)
        for (Index t = 0; t <= k && static_cast<Index>(truth[r].size()) < k; ++t)
            if (nn.indices(static_cast<Index>(r), t) != rows[r]) truth[r].insert(nn.indices(static_cast<Index>(r), t));
    return truth;
}

/// The share of the true lists' members that `found(r)` (row r's listed neighbours) holds.
template <class Found>
double recall(const std::vector<std::set<Index>>& truth, Found found) {
    Index hit = 0, total = 0;
    for (std::size_t r = 0; r < truth.size(); ++r) {
        total += static_cast<Index>(truth[r].size());
        for (const Index j : found(r)) hit += static_cast<Index>(truth[r].count(j));
    }
    return static_cast<double>(hit) / static_cast<double>(std::max<Index>(1, total));
}

/// recall@k of g on the sampled rows against their true lists (exact_lists of those rows).
double graph_recall(const std::vector<std::set<Index>>& truth, const NeighborGraph& g, const std::vector<Index>& rows) {
    return recall(truth, [&](std::size_t r) {
        const auto i = static_cast<std::size_t>(rows[r]);
        return std::vector<Index>(g.indices.begin() + g.offsets[i], g.indices.begin() + g.offsets[i + 1]);
    });
}

/// recall@k of g on the sampled rows against their exact k nearest other rows.
template <class Rows>
double sampled_recall(const Rows& X, const NeighborGraph& g, Index k, const std::vector<Index>& rows) {
    return graph_recall(exact_lists(X, k, rows), g, rows);
}

/// The picks of `a` that `b` also made.
std::size_t shared_picks(const acquire::Selection& a, const acquire::Selection& b) {
    const std::set<Index> in_a(a.indices.begin(), a.indices.end());
    std::size_t same = 0;
    for (const Index i : b.indices) same += in_a.count(i);
    return same;
}

#ifdef ACQUIRE_SCALE_FAISS
/// The graph of `index` over the rows of X: each row's k + 1 nearest, itself dropped (or the
/// last if it was not found), in blocks of rows, into the arrays a user hands in.
NeighborGraph faiss_graph(const faiss::Index& index, const Pool& X, Index k) {
    const Index n = X.rows(), block = 16384, width = k + 1;
    NeighborGraph g;
    g.offsets.assign(static_cast<std::size_t>(n) + 1, 0);
    g.indices.reserve(static_cast<std::size_t>(n * k));
    g.distances.reserve(static_cast<std::size_t>(n * k));
    std::vector<faiss::Index::idx_t> I(static_cast<std::size_t>(block * width));
    std::vector<float> D(I.size());
    for (Index first = 0; first < n; first += block) {
        const Index m = std::min(block, n - first);
        index.search(m, X.row(first).data(), width, D.data(), I.data());
        for (Index r = 0; r < m; ++r) {
            Index kept = 0;
            for (Index t = 0; t < width && kept < k; ++t) {
                const auto e = static_cast<std::size_t>(r * width + t);
                if (I[e] < 0 || I[e] == first + r) continue;  // unfilled, or the row itself
                g.indices.push_back(static_cast<Index>(I[e]));
                g.distances.push_back(std::max(0.0, static_cast<double>(D[e])));
                ++kept;
            }
            g.offsets[static_cast<std::size_t>(first + r) + 1] = static_cast<Index>(g.indices.size());
        }
    }
    return g;
}
#endif

std::map<std::string, std::string> parse(int argc, char** argv) {
    std::map<std::string, std::string> out;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto eq = a.find('=');
        if (a.rfind("--", 0) != 0 || eq == std::string::npos) {
            std::fprintf(stderr, "scale_neighbors: bad argument %s\n", a.c_str());
            std::exit(2);
        }
        out[a.substr(2, eq - 2)] = a.substr(eq + 1);
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    auto flags = parse(argc, argv);
    const auto get = [&](const char* name, const char* fallback) {
        const auto it = flags.find(name);
        return it == flags.end() ? std::string(fallback) : it->second;
    };
    const std::string task = get("task", "recall"), data = get("data", "synthetic");
    const Index n = std::atoll(get("n", "100000").c_str()), d = std::atoll(get("d", "64").c_str());
    const Index k = std::atoll(get("k", "20").c_str()), b = std::atoll(get("b", "1000").c_str());
    const Index sample = std::atoll(get("sample", "2000").c_str());
    const bool compare = get("compare", "0") == "1";
    acquire::hnsw::Options h;
    h.deterministic = get("parallel_build", "0") != "1";
    h.M = std::atoll(get("M", std::to_string(h.M).c_str()).c_str());
    h.ef_construction = std::atoll(get("ef_construction", std::to_string(h.ef_construction).c_str()).c_str());
    h.ef_search = std::atoll(get("ef_search", "0").c_str());
    h.shards = std::atoll(get("shards", std::to_string(h.shards).c_str()).c_str());
    h.refine = std::atoll(get("refine", std::to_string(h.refine).c_str()).c_str());

    auto t0 = Clock::now();
    const Pool X = load(data, n, d);
    std::printf("{\"task\": \"%s\", \"data\": \"%s\", \"n\": %lld, \"d\": %lld, \"k\": %lld, \"b\": %lld, \"parallel_build\": %d, "
                "\"shards\": %lld, \"M\": %lld, \"ef_construction\": %lld, \"load_s\": %.2f",
                task.c_str(), data.c_str(), static_cast<long long>(X.rows()), static_cast<long long>(X.cols()),
                static_cast<long long>(k), static_cast<long long>(b), h.deterministic ? 0 : 1,
                static_cast<long long>(acquire::hnsw::detail::shard_count(h, X.rows())),
                static_cast<long long>(h.M), static_cast<long long>(h.ef_construction), since(t0));
    std::fflush(stdout);

    if (task == "recall") {
        t0 = Clock::now();
        const NeighborGraph g = acquire::hnsw::knn_graph(X, k, h);
        std::printf(", \"graph_s\": %.2f, \"peak_mb\": %.0f", since(t0), peak_mb());
        std::printf(", \"recall\": %.4f", sampled_recall(X, g, k, sample_rows(X.rows(), sample)));
    } else if (task == "refine") {
        // The graph without refinement, then --rounds rounds of hnsw::detail::refine_round on
        // it: recall@k and seconds after each.
        acquire::hnsw::Options plain = h;
        plain.refine = 0;
        t0 = Clock::now();
        NeighborGraph g = acquire::hnsw::knn_graph(X, k, plain);
        std::printf(", \"graph_s\": %.2f", since(t0));
        const std::vector<Index> rows = sample_rows(X.rows(), sample);
        const auto truth = exact_lists(X, k, rows);
        std::printf(", \"sample\": %zu, \"rounds\": [{\"round\": 0, \"recall\": %.4f}", rows.size(),
                    graph_recall(truth, g, rows));
        if (g.indices.size() != static_cast<std::size_t>(X.rows() * k)) return 1;  // rows short of k
        const std::vector<double> unscaled;
        for (Index round = 1; round <= std::atoll(get("rounds", "2").c_str()); ++round) {
            const auto t1 = Clock::now();
            acquire::hnsw::detail::refine_round(X, unscaled, g.indices, g.distances, k);
            std::printf(", {\"round\": %lld, \"refine_s\": %.2f, \"recall\": %.4f}", static_cast<long long>(round),
                        since(t1), graph_recall(truth, g, rows));
            std::fflush(stdout);
        }
        std::printf("], \"peak_mb\": %.0f", peak_mb());
    } else if (task == "sweep") {
        // One build of hnsw::knn_graph's indexes, then the sampled rows queried as it queries
        // them (hnsw::detail::query_shards: k + 1 from each shard, itself dropped, re-measured,
        // merged) at each ef of --efs: recall@k, and the queries' time per row in sample order
        // (colder than the graph's breadth-first order, so the ratios between efs are the
        // figures to read).
        namespace hd = acquire::hnsw::detail;
        t0 = Clock::now();
        hd::PortableL2 space(static_cast<std::size_t>(X.cols()));
        const std::vector<double> unscaled;
        const hd::Shards index = hd::build_shards(X, unscaled, space, h, 100);
        std::printf(", \"graph_s\": %.2f, \"peak_mb\": %.0f", since(t0), peak_mb());
        const std::vector<Index> rows = sample_rows(X.rows(), sample);
        const auto truth = exact_lists(X, k, rows);
        std::printf(", \"sample\": %zu", rows.size());
        std::string efs = get("efs", "100,160,256,400") + ",";
        std::printf(", \"sweep\": [");
        for (std::size_t at = 0, comma; (comma = efs.find(',', at)) != std::string::npos; at = comma + 1) {
            const Index ef = std::max<Index>(std::atoll(efs.substr(at, comma - at).c_str()), k + 1);
            for (auto& shard : index) shard->setEf(static_cast<std::size_t>(ef));
            std::vector<std::vector<Index>> lists(rows.size());
            const auto t1 = Clock::now();
            for (std::size_t r = 0; r < rows.size(); ++r) {
                const Index i = rows[r];
                const auto near = hd::query_shards(index, X.row(i).data(), k + 1, i, [&](Index j) {
                    return hd::exact_distance(X, unscaled, i, X, unscaled, j);
                });
                for (std::size_t t = 0; t < near.size() && static_cast<Index>(t) < k; ++t) lists[r].push_back(near[t].second);
            }
            const double per_row_us = since(t1) * 1e6 / static_cast<double>(rows.size());
            std::printf("%s{\"ef\": %lld, \"recall\": %.4f, \"query_us\": %.0f}", at ? ", " : "",
                        static_cast<long long>(ef), recall(truth, [&](std::size_t r) { return lists[r]; }), per_row_us);
        }
        std::printf("]");
    } else if (task == "faiss") {
#ifdef ACQUIRE_SCALE_FAISS
        const std::string kind = get("index", "hnsw");
        const auto ef = static_cast<int>(acquire::hnsw::detail::query_ef(h, k + 1));  // as hnsw::knn_graph's
        const int dims = static_cast<int>(X.cols());
        NeighborGraph g;
        std::unique_ptr<faiss::Index> quantizer, index;
        double build_s = 0;
        std::printf(", \"ef_search\": %d", ef);
        t0 = Clock::now();
        if (kind == "acquire") {
            g = acquire::hnsw::knn_graph(X, k, h);
        } else if (kind == "hnsw") {
            auto hnsw = std::make_unique<faiss::IndexHNSWFlat>(dims, static_cast<int>(h.M));
            hnsw->hnsw.efConstruction = static_cast<int>(h.ef_construction);
            hnsw->add(X.rows(), X.data());
            hnsw->hnsw.efSearch = ef;
            index = std::move(hnsw);
        } else if (kind == "ivf") {
            const Index nlist = std::max<Index>(1, std::atoll(get("nlist", std::to_string(static_cast<Index>(
                std::sqrt(static_cast<double>(X.rows())))).c_str()).c_str()));
            quantizer = std::make_unique<faiss::IndexFlatL2>(dims);
            auto ivf = std::make_unique<faiss::IndexIVFFlat>(quantizer.get(), dims, nlist);
            const Pool T = X(sample_rows(X.rows(), std::min(X.rows(), 64 * nlist)), Eigen::all);
            ivf->train(T.rows(), T.data());
            ivf->add(X.rows(), X.data());
            ivf->nprobe = static_cast<std::size_t>(std::atoll(get("nprobe", "16").c_str()));
            std::printf(", \"nlist\": %lld, \"nprobe\": %zu", static_cast<long long>(nlist), ivf->nprobe);
            index = std::move(ivf);
        } else {
            std::fprintf(stderr, "scale_neighbors: unknown --index=%s (acquire, hnsw or ivf)\n", kind.c_str());
            return 2;
        }
        if (index) {
            build_s = since(t0);
            g = faiss_graph(*index, X, k);
            acquire::detail::check_graph("scale_neighbors", "faiss graph", g, X.rows(), X.rows(), true);
        }
        std::printf(", \"index\": \"%s\", \"faiss\": \"%d.%d.%d\", \"build_s\": %.2f, \"graph_s\": %.2f, "
                    "\"peak_mb\": %.0f", kind.c_str(), FAISS_VERSION_MAJOR, FAISS_VERSION_MINOR, FAISS_VERSION_PATCH,
                    build_s, since(t0), peak_mb());
        std::printf(", \"recall\": %.4f", sampled_recall(X, g, k, sample_rows(X.rows(), sample)));
#else
        std::printf("}\n");
        std::fprintf(stderr, "scale_neighbors: built without faiss (Debian's libfaiss-dev)\n");
        return 77;
#endif
    } else if (task == "facility") {
        acquire::hnsw::Options cosine = h;
        cosine.cosine = true;
        t0 = Clock::now();
        const NeighborGraph g = acquire::hnsw::knn_graph(X, k, cosine);
        const double graph_s = since(t0);
        acquire::FacilityLocationOptions o;
        o.neighbors = k;
        o.graph = &g;
        const auto t1 = Clock::now();
        const acquire::Selection picks = acquire::facility_location(X, {}, b, o);
        std::printf(", \"graph_s\": %.2f, \"select_s\": %.2f, \"total_s\": %.2f, \"peak_mb\": %.0f", graph_s, since(t1),
                    since(t0), peak_mb());
        Pool unit = X;
        unit.rowwise().normalize();
        std::printf(", \"recall\": %.4f", sampled_recall(unit, g, k, sample_rows(X.rows(), sample)));
        if (compare) {
            acquire::FacilityLocationOptions exact;
            exact.neighbors = k;
            const auto t2 = Clock::now();
            const acquire::Selection reference = acquire::facility_location(X, {}, b, exact);
            const double exact_s = since(t2);
            // The HNSW picks on the exact sparse objective (the exact graph's gains).
            std::vector<Index> all(static_cast<std::size_t>(X.rows()));
            for (Index i = 0; i < X.rows(); ++i) all[static_cast<std::size_t>(i)] = i;
            auto eval = acquire::detail::sparse_gains(unit, all, k, nullptr, acquire::detail::DotSimilarity<float>{});
            double f = 0;
            for (const Index i : picks.indices) f = eval.take(i);
            std::printf(", \"exact_s\": %.2f, \"objective_exact_picks\": %.6g, \"objective_hnsw_picks\": %.6g, "
                        "\"objective_ratio\": %.6f, \"same_picks\": %zu",
                        exact_s, reference.objective.back(), f, f / reference.objective.back(),
                        shared_picks(picks, reference));
        }
    } else if (task == "probcover") {
        t0 = Clock::now();
        const NeighborGraph g = acquire::hnsw::knn_graph(X, k, h);
        const double graph_s = since(t0);
        acquire::ProbCoverDeltaOptions dopt;
        dopt.graph = &g;
        const auto t1 = Clock::now();
        const double delta = acquire::probcover_delta(X, Index(100), dopt);
        const double delta_s = since(t1);
        acquire::ProbCoverOptions o;
        o.graph = &g;
        const auto t2 = Clock::now();
        const acquire::Selection picks = acquire::probcover(X, delta, b, o);
        std::printf(", \"graph_s\": %.2f, \"delta_s\": %.2f, \"select_s\": %.2f, \"total_s\": %.2f, \"peak_mb\": %.0f, "
                    "\"delta\": %.4f, \"covered\": %.0f",
                    graph_s, delta_s, since(t2), since(t0), peak_mb(), delta, picks.objective.back());
        // The balls' recall on sampled rows: listed ball members (before the union) over the
        // exact ball sizes, by a scan of X per sampled row.
        Index listed = 0, truth = 0;
        const double r2 = delta * delta;
        for (const Index i : sample_rows(X.rows(), std::min<Index>(sample, 500))) {
            for (Index e = g.offsets[static_cast<std::size_t>(i)]; e < g.offsets[static_cast<std::size_t>(i) + 1]; ++e)
                listed += g.distances[static_cast<std::size_t>(e)] < r2;
            for (Index j = 0; j < X.rows(); ++j)
                truth += j != i && acquire::detail::squared_distance(X.row(i), X.row(j)) < r2;
        }
        std::printf(", \"ball_recall\": %.4f, \"mean_exact_ball\": %.1f", truth ? double(listed) / double(truth) : 1.0,
                    double(truth) / double(std::min<Index>(sample, 500)));
    } else if (task == "typiclust") {
        t0 = Clock::now();
        const NeighborGraph g = acquire::hnsw::knn_graph(X, k, h);
        const double graph_s = since(t0);
        acquire::TypiClustOptions o;
        o.graph = &g;
        const auto t1 = Clock::now();
        const acquire::Selection picks = acquire::typiclust(X, b, o);
        std::printf(", \"graph_s\": %.2f, \"select_s\": %.2f, \"total_s\": %.2f, \"peak_mb\": %.0f, \"picks\": %zu",
                    graph_s, since(t1), since(t0), peak_mb(), picks.indices.size());
        std::printf(", \"recall\": %.4f", sampled_recall(X, g, k, sample_rows(X.rows(), sample)));
        if (compare) {
            // The same clusters (one seed), typicality by the exact search within each cluster:
            // the picks both runs share.
            const auto t2 = Clock::now();
            const acquire::Selection reference = acquire::typiclust(X, b, acquire::TypiClustOptions{});
            std::printf(", \"exact_s\": %.2f, \"same_picks\": %zu", since(t2), shared_picks(picks, reference));
        }
    } else if (task == "cal") {
        const Index labeled = std::max<Index>(1, X.rows() / 10);
        acquire::synthetic::EmbeddingOptions lo;
        lo.clusters = 100;
        lo.seed = 1;  // the same clusters: the labeled rows come from the pool's distribution
        const Pool L = acquire::synthetic::embeddings<float, Eigen::RowMajor>(labeled, X.cols(), lo);
        const acquire::RowMatrix<float> P = acquire::synthetic::probabilities<float, Eigen::RowMajor>(X.rows(), 10);
        acquire::synthetic::ProbabilityOptions po;
        po.seed = 2;
        const acquire::RowMatrix<float> Pl = acquire::synthetic::probabilities<float, Eigen::RowMajor>(labeled, 10, po);
        t0 = Clock::now();
        const NeighborGraph g = acquire::hnsw::knn_graph(X, L, 10, h);
        const double graph_s = since(t0);
        const auto t1 = Clock::now();
        const Eigen::VectorXf s = acquire::contrastive_score(P, Pl, g);
        std::printf(", \"labeled\": %lld, \"graph_s\": %.2f, \"select_s\": %.2f, \"total_s\": %.2f, \"peak_mb\": %.0f",
                    static_cast<long long>(labeled), graph_s, since(t1), since(t0), peak_mb());
        if (s.size() != X.rows()) return 1;
    } else {
        std::fprintf(stderr, "scale_neighbors: unknown task %s\n", task.c_str());
        return 2;
    }
    std::printf("}\n");
    return 0;
}
