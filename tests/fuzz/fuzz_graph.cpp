// The user-supplied neighbour graphs (acquire::NeighborGraph) of every selector that reads one:
// facility_location and max_coverage (sparse mode), probcover, probcover_delta (labels and
// k-means), typiclust (k-means and a given assignment), and contrastive_score (N pool rows over
// M labeled rows). A graph is the exact knn_graph (or nearest_neighbors for two sets), possibly
// cut short per row (still valid), a well-formed graph built from the bytes, or raw bytes; any
// of them then, half the time, damaged: offsets not from 0, decreasing, too few or too many, not
// ending at the entry count; indices -1, N, huge, a self loop, twice in a row; distances NaN,
// +-Inf, negative, out of order; indices and distances of different lengths.
//
// Contract: a call that returns had a graph that check_graph's rules accept (re-stated below,
// independently of the library), and its output is well-formed (picks unique, in range, among
// the candidates, never labeled, exactly b; contrastive scores finite and >= 0; a delta >= 0).
// A graph breaking a rule must be refused with invalid_input, whatever else the call is given.
// invalid_input for another reason (b too large, zero rows, ...) is an accepted outcome. Also:
// knn_graph on ordinary finite rows builds a graph those rules accept, k capped at N - 1.
#include "fuzz.hpp"

#include <acquire/core/neighbor_graph.hpp>
#include <acquire/score/contrastive.hpp>
#include <acquire/select/facility_location.hpp>
#include <acquire/select/probcover.hpp>
#include <acquire/select/typiclust.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace {

using acquire::NeighborGraph;

/// Whether `g` is a graph of `queries` rows over `references` rows that every function taking
/// one must accept (written out here, independently of detail::check_graph): queries + 1
/// offsets from 0, never decreasing, ending at the entry count, as many distances as indices;
/// per row, indices in [0, references), none twice, not the row itself when `one_set`;
/// distances finite, >= 0 and ascending; at least `min_degree` entries per row.
bool valid_graph(const NeighborGraph& g, Index queries, Index references, bool one_set, Index min_degree) {
    const std::vector<Index>& o = g.offsets;
    if (static_cast<Index>(o.size()) != queries + 1 || o[0] != 0) return false;
    for (std::size_t i = 1; i < o.size(); ++i)
        if (o[i] < o[i - 1]) return false;
    const auto entries = static_cast<Index>(g.indices.size());
    if (o.back() != entries || g.distances.size() != g.indices.size()) return false;
    std::vector<char> listed(static_cast<std::size_t>(std::max<Index>(references, 0)), 0);
    for (Index i = 0; i < queries; ++i) {
        const Index first = o[static_cast<std::size_t>(i)], last = o[static_cast<std::size_t>(i) + 1];
        if (last - first < min_degree) return false;
        bool ok = true;
        for (Index e = first; e < last && ok; ++e) {
            const Index j = g.indices[static_cast<std::size_t>(e)];
            const double d = g.distances[static_cast<std::size_t>(e)];
            ok = j >= 0 && j < references && !(one_set && j == i) && !listed[static_cast<std::size_t>(j)] &&
                 d >= 0 && d <= std::numeric_limits<double>::max() &&
                 (e == first || g.distances[static_cast<std::size_t>(e) - 1] <= d);
            if (ok) listed[static_cast<std::size_t>(j)] = 1;
        }
        for (Index e = first; e < last; ++e) {  // clear the marks this row set
            const Index j = g.indices[static_cast<std::size_t>(e)];
            if (j >= 0 && j < references) listed[static_cast<std::size_t>(j)] = 0;
        }
        if (!ok) return false;
    }
    return true;
}

/// A graph of `rows` rows and no entries (valid).
NeighborGraph empty_graph(Index rows) {
    NeighborGraph g;
    g.offsets.assign(static_cast<std::size_t>(rows) + 1, 0);
    return g;
}

/// Row i of `g` keeps only its first keep(i) entries (a prefix: still valid when g was).
template <class Keep>
NeighborGraph truncated(const NeighborGraph& g, Keep&& keep) {
    NeighborGraph out;
    out.offsets.push_back(0);
    for (Index i = 0; i < g.rows(); ++i) {
        const Index first = g.offsets[static_cast<std::size_t>(i)];
        const Index k = keep(g.degree(i));
        for (Index e = first; e < first + k; ++e) {
            out.indices.push_back(g.indices[static_cast<std::size_t>(e)]);
            out.distances.push_back(g.distances[static_cast<std::size_t>(e)]);
        }
        out.offsets.push_back(static_cast<Index>(out.indices.size()));
    }
    return out;
}

/// A well-formed graph from the bytes: per row up to 4 distinct references (not itself when
/// `one_set`), distances ascending from a non-negative start, with exact ties.
NeighborGraph built_graph(fuzz::Bytes& in, Index queries, Index references, bool one_set) {
    NeighborGraph g = empty_graph(0);
    for (Index i = 0; i < queries; ++i) {
        const Index want = in.upto(4);
        double d = in.upto(8) * 0.125;
        std::vector<Index> row;
        for (Index t = 0; t < want && references > 0; ++t) {
            const Index j = static_cast<Index>(in.byte()) % references;
            if ((one_set && j == i) || std::find(row.begin(), row.end(), j) != row.end()) continue;
            row.push_back(j);
            g.indices.push_back(j);
            g.distances.push_back(d);
            d += in.rarely(3) ? 0.0 : in.upto(8) * 0.125;
        }
        g.offsets.push_back(static_cast<Index>(g.indices.size()));
    }
    return g;
}

/// A graph straight from the bytes: consistent offsets, indices in [-1, references + 1],
/// distances mostly ascending but sometimes any value (NaN, +-Inf, negative, ...).
NeighborGraph raw_graph(fuzz::Bytes& in, Index queries, Index references) {
    NeighborGraph g = empty_graph(0);
    for (Index i = 0; i < queries; ++i) {
        const Index count = in.upto(4);
        double d = 0;
        for (Index t = 0; t < count; ++t) {
            g.indices.push_back(static_cast<Index>(in.byte()) % (references + 3) - 1);
            d = in.rarely(4) ? in.value<double>() : d + in.upto(3) * 0.25;
            g.distances.push_back(d);
        }
        g.offsets.push_back(static_cast<Index>(g.indices.size()));
    }
    return g;
}

/// The row that entry e of g lies in (g's offsets consistent), or 0.
Index row_of(const NeighborGraph& g, Index e) {
    for (Index i = 0; i < g.rows(); ++i)
        if (e >= g.offsets[static_cast<std::size_t>(i)] && e < g.offsets[static_cast<std::size_t>(i) + 1]) return i;
    return 0;
}

/// One hostile change to g (which may, by chance, leave it valid: the oracle decides).
void damage(fuzz::Bytes& in, NeighborGraph& g, Index references) {
    auto& o = g.offsets;
    auto& idx = g.indices;
    auto& dist = g.distances;
    // An earlier change may have left indices and distances of different lengths.
    const Index entries = static_cast<Index>(idx.size()), distances = static_cast<Index>(dist.size());
    const auto any_entry = [&] { return static_cast<std::size_t>(in.upto(entries - 1)); };
    const auto any_distance = [&] { return static_cast<std::size_t>(in.upto(distances - 1)); };
    switch (in.byte() % 13) {
        case 0:
            if (!o.empty()) o[0] = in.flag() ? 1 : -1;
            break;
        case 1:
            if (!o.empty()) o[static_cast<std::size_t>(in.upto(static_cast<Index>(o.size()) - 1))] += in.flag() ? 1 : -1;
            break;
        case 2:
            if (!o.empty()) o.pop_back();
            break;
        case 3:
            o.push_back(o.empty() ? 0 : o.back() + in.upto(1));  // one row too many
            break;
        case 4:
            if (in.flag()) o.clear();
            else if (!o.empty()) o[static_cast<std::size_t>(in.upto(static_cast<Index>(o.size()) - 1))] = Index(1) << 40;
            break;
        case 5:
            if (entries > 0) {
                const Index c = in.upto(3);
                idx[any_entry()] = c == 0 ? -1 : c == 1 ? references : c == 2 ? references + 7
                                                                              : std::numeric_limits<Index>::max();
            }
            break;
        case 6:  // a self loop
            if (entries > 0) {
                const auto e = any_entry();
                idx[e] = row_of(g, static_cast<Index>(e));
            }
            break;
        case 7:  // an index twice in its row (when the row has two entries)
            if (entries > 1) {
                const auto e = static_cast<std::size_t>(1 + in.upto(entries - 2));
                idx[e] = idx[e - 1];
            }
            break;
        case 8:
            if (distances > 0) dist[any_distance()] = in.value<double>();
            break;
        case 9:  // out of order (when the two differ and share a row)
            if (distances > 1) {
                const auto e = static_cast<std::size_t>(1 + in.upto(distances - 2));
                std::swap(dist[e], dist[e - 1]);
            }
            break;
        case 10:
            if (distances > 0) {
                const Index c = in.upto(4);
                dist[any_distance()] = c == 0   ? std::numeric_limits<double>::quiet_NaN()
                                    : c == 1 ? std::numeric_limits<double>::infinity()
                                    : c == 2 ? -std::numeric_limits<double>::denorm_min()
                                    : c == 3 ? -0.0  // == 0: valid
                                             : std::numeric_limits<double>::max();
            }
            break;
        case 11:  // indices and distances of different lengths
            if (in.flag()) idx.push_back(0);
            else if (!dist.empty()) dist.pop_back();
            break;
        default:  // an entry appended to the last row, offsets kept or moved with it
            idx.push_back(in.upto(references));
            dist.push_back(in.flag() ? 0.0 : 100.0);
            if (in.flag() && !o.empty()) o.back() += 1;
            break;
    }
}

/// The neighbour graph under test: `queries` rows over `references` rows (`one_set`: the same
/// rows, X; otherwise queries X over H).
template <class M>
NeighborGraph make_graph(fuzz::Bytes& in, const M& X, const M& H, bool one_set, bool ordinary_rows) {
    const Index queries = X.rows(), references = one_set ? X.rows() : H.rows();
    NeighborGraph g;
    const int source = in.byte() % 3;
    if (source == 0) {
        const Index k = in.upto(references + 1);  // 0: refused; above N - 1: capped
        try {
            if (one_set) {
                g = acquire::knn_graph(X, k);
                const Index kk = std::min(k, queries - 1);
                if (ordinary_rows) {
                    if (!valid_graph(g, queries, references, true, 0))
                        fuzz::contract_broken("knn_graph on finite rows built a graph check_graph must refuse");
                    for (Index i = 0; i < queries; ++i)
                        if (g.degree(i) != kk) fuzz::contract_broken("knn_graph row without min(k, N - 1) neighbours");
                }
            } else {
                const auto nn = acquire::nearest_neighbors(X, H, k);
                g = empty_graph(0);
                for (Index i = 0; i < queries; ++i) {
                    for (Index t = 0; t < nn.indices.cols(); ++t) {
                        g.indices.push_back(nn.indices(i, t));
                        g.distances.push_back(static_cast<double>(nn.distances(i, t)));
                    }
                    g.offsets.push_back(static_cast<Index>(g.indices.size()));
                }
            }
        } catch (const acquire::invalid_input&) {
            g = empty_graph(queries);
        }
    } else if (source == 1) {
        g = built_graph(in, queries, references, one_set);
    } else {
        g = raw_graph(in, queries, references);
    }
    if (source != 2 && in.flag()) g = truncated(g, [&](Index degree) { return in.upto(degree); });
    if (in.flag()) {
        const Index hits = 1 + in.upto(2);
        for (Index h = 0; h < hits; ++h) damage(in, g, references);
    }
    return g;
}

/// Called right after a call returned: the graph must have been one it may accept.
void expect_graph_valid(bool valid) {
    if (!valid) fuzz::contract_broken("accepted a neighbour graph that breaks check_graph's rules");
}

/// Rows outside a non-empty candidate set (empty = every row is a candidate).
std::vector<Index> outside(const std::vector<Index>& candidates, Index n) {
    std::vector<Index> out;
    if (candidates.empty()) return out;
    for (Index i = 0; i < n; ++i)
        if (std::find(candidates.begin(), candidates.end(), i) == candidates.end()) out.push_back(i);
    return out;
}

template <class Scalar>
void run(fuzz::Bytes& in) {
    using M = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Index n = in.rarely(16) ? 0 : 1 + in.upto(11), d = 1 + in.upto(3);
    const bool hostile_rows = in.rarely(8);
    const M X = in.matrix<Scalar, Eigen::RowMajor>(n, d, hostile_rows);
    const int which = in.byte() % 8;

    if (which == 7) {
        // contrastive_score: N pool rows over M labeled rows, every row at least one entry.
        const Index m = 1 + in.upto(5), K = 1 + in.upto(3);
        const M H = in.matrix<Scalar, Eigen::RowMajor>(m, d, false);
        const NeighborGraph g = make_graph(in, X, H, false, !hostile_rows);
        const bool valid = valid_graph(g, n, m, false, 1);
        const auto P_pool = in.probabilities<Scalar, Eigen::RowMajor>(n, K, false);
        const auto P_labeled = in.probabilities<Scalar, Eigen::RowMajor>(m, K, false);
        acquire::ContrastiveOptions o;
        fuzz::accept_invalid([&] {
            const auto s = acquire::contrastive_score(P_pool, P_labeled, g, o);
            expect_graph_valid(valid);
            fuzz::expect_scores(s, n, true);
            for (Index i = 0; i < n; ++i)
                if (!(s[i] >= 0)) fuzz::contract_broken("contrastive score below 0");
        });
        return;
    }

    const NeighborGraph g = make_graph(in, X, X, true, !hostile_rows);
    const bool valid = valid_graph(g, n, n, true, 0);
    fuzz::accept_invalid([&] {
        if (which <= 1) {
            // Sparse facility location (cosine) or max coverage (Euclidean radius) on the graph.
            const auto candidates = in.indices(n, n, false);
            const Index available = candidates.empty() ? n : static_cast<Index>(candidates.size());
            const Index b = in.upto(available);
            acquire::FacilityLocationOptions o;
            o.neighbors = in.rarely(8) ? 0 : 1 + in.upto(n);  // 0 with a graph: refused
            o.graph = &g;
            o.lazy = in.flag();
            o.stochastic = in.rarely(4);
            o.seed = in.byte();
            const auto s = which == 0 ? acquire::facility_location(X, candidates, b, o)
                                      : acquire::max_coverage(X, in.upto(24) / 8.0, b, candidates, o);
            expect_graph_valid(valid);
            fuzz::expect_selection(s, n, b, outside(candidates, n));
        } else if (which == 2) {
            acquire::ProbCoverOptions o;
            o.labeled = in.indices(n, n, false);
            const Index b = in.upto(n - static_cast<Index>(o.labeled.size()));
            if (in.rarely(8)) o.memory_bytes = std::size_t(8) * static_cast<std::size_t>(in.upto(40));  // a ball graph too big
            o.graph = &g;
            const auto s = acquire::probcover(X, in.upto(24) / 8.0, b, o);
            expect_graph_valid(valid);
            fuzz::expect_selection(s, n, b, o.labeled);
        } else if (which == 3 || which == 4) {
            acquire::ProbCoverDeltaOptions o;
            o.alpha = in.flag() ? 0.95 : (1 + in.upto(19)) / 20.0;
            o.kmeans.seed = in.byte();
            o.graph = &g;
            double delta;
            if (which == 3) {
                std::vector<Index> labels(static_cast<std::size_t>(n));
                for (auto& l : labels) l = in.upto(2);
                delta = acquire::probcover_delta(X, labels, o);
            } else {
                delta = acquire::probcover_delta(X, 1 + in.upto(3), o);
            }
            expect_graph_valid(valid);
            if (!(delta >= 0)) fuzz::contract_broken("probcover_delta returned a negative or NaN delta");
        } else {
            acquire::TypiClustOptions o;
            o.labeled = in.indices(n, n, false);
            const Index b = in.upto(n - static_cast<Index>(o.labeled.size()));
            o.neighbors = 1 + in.upto(4);
            o.max_clusters = 1 + in.upto(5);
            o.min_cluster_size = in.upto(6);
            o.kmeans.seed = in.byte();
            o.graph = &g;
            acquire::Selection s;
            if (which == 5) {
                s = acquire::typiclust(X, b, o);
            } else {
                std::vector<Index> assignment(static_cast<std::size_t>(n));
                for (auto& a : assignment) a = in.upto(std::max<Index>(n - 1, 0));
                s = acquire::typiclust(X, assignment, b, o);
            }
            expect_graph_valid(valid);
            fuzz::expect_selection(s, n, b, o.labeled);
        }
    });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Bytes in(data, size);
    if (in.flag()) run<float>(in);
    else run<double>(in);
    return 0;
}
