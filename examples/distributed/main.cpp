// A labeling round over a pool sharded across MPI ranks, as a data-parallel inference job would
// run it: each rank holds only the rows its own inference produced, and every rank gets the
// same batch as one process would on the whole pool.
//
//     mpiexec -n 4 ./distributed --n 2000000 --d 128 --b 100 [--labeled 10] [--seed 1]
//                                [--classes 10] [--candidates 2000] [--only k_center_greedy]
//
// The pool is synthetic: row g (global) is drawn from its own seeded stream (embedding,
// class probabilities, score), so the pool is the same for any number of ranks and so are the
// picks. Rank 0 prints, per function, the first picks, the time (slowest rank) and the bytes
// each rank handed to MPI. BADGE uses the embeddings as the penultimate layer H beside the
// probabilities P; facility location picks from the `--candidates` highest-scored rows (a
// top_k prefilter: the candidates' rows are replicated on every rank).
#include <acquire/mpi.hpp>

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using acquire::Index;

namespace {

struct Args {
    Index n = 200000, d = 128, b = 100, labeled = 10, clusters = 64, classes = 10, candidates = 2000;
    std::uint64_t seed = 1;
    std::string only;  // one of the functions below, or empty for all of them
};

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        const long long v = std::atoll(argv[i + 1]);
        if (key == "--only") a.only = argv[i + 1];
        else if (key == "--n") a.n = v;
        else if (key == "--d") a.d = v;
        else if (key == "--b") a.b = v;
        else if (key == "--labeled") a.labeled = v;
        else if (key == "--clusters") a.clusters = v;
        else if (key == "--classes") a.classes = v;
        else if (key == "--candidates") a.candidates = v;
        else if (key == "--seed") a.seed = static_cast<std::uint64_t>(v);
        else {
            std::fprintf(stderr, "unknown flag %s (takes --n --d --b --labeled --clusters --classes --candidates --seed --only)\n", key.c_str());
            std::exit(2);
        }
    }
    return a;
}

/// Rows [begin, end) of the synthetic pool, the model's class probabilities and a score per
/// row (what an uncertainty scorer would give): all functions of (seed, global row) only.
void make_shard(const Args& a, Index begin, Index end, acquire::RowMatrix<float>& X, acquire::RowMatrix<float>& P,
                Eigen::VectorXf& score) {
    acquire::Rng shared(a.seed);
    Eigen::MatrixXf centres(a.clusters, a.d);
    for (Index c = 0; c < a.clusters; ++c)
        for (Index j = 0; j < a.d; ++j) centres(c, j) = static_cast<float>(shared.normal());
    X.resize(end - begin, a.d);
    P.resize(end - begin, a.classes);
    score.resize(end - begin);
    for (Index g = begin; g < end; ++g) {
        acquire::Rng row(a.seed * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(g));
        const auto c = static_cast<Index>(row.below(static_cast<std::uint64_t>(a.clusters)));
        for (Index j = 0; j < a.d; ++j) X(g - begin, j) = centres(c, j) + 0.3f * static_cast<float>(row.normal());
        score[g - begin] = static_cast<float>(row.uniform());
        // Softmax of logits that favour the row's cluster's class, with per-row noise.
        float total = 0;
        for (Index k = 0; k < a.classes; ++k) {
            const float logit = (k == c % a.classes ? 2.0f : 0.0f) + static_cast<float>(row.normal());
            P(g - begin, k) = std::exp(logit);
            total += P(g - begin, k);
        }
        P.row(g - begin) /= total;
    }
}

}  // namespace

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0, ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    const Args a = parse(argc, argv);
    // This rank's contiguous shard: as even as possible.
    const Index begin = a.n * rank / ranks, end = a.n * (rank + 1) / ranks;
    acquire::RowMatrix<float> X, P;
    Eigen::VectorXf score;
    make_shard(a, begin, end, X, P, score);
    const std::vector<Index> labeled = acquire::random_select(a.n, a.labeled, a.seed + 1);
    if (rank == 0)
        std::printf("pool %lld x %lld float over %d ranks (this rank: %lld rows), b = %lld, %lld labeled\n",
                    static_cast<long long>(a.n), static_cast<long long>(a.d), ranks,
                    static_cast<long long>(end - begin), static_cast<long long>(a.b),
                    static_cast<long long>(a.labeled));

    auto report = [&](const char* name, auto&& run) {
        MPI_Barrier(MPI_COMM_WORLD);
        acquire::mpi::reset_traffic();
        const double t0 = MPI_Wtime();
        const std::vector<Index> picks = run();
        double seconds = MPI_Wtime() - t0, slowest = 0;
        MPI_Reduce(&seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
        const unsigned long long bytes = acquire::mpi::traffic().bytes;
        std::vector<unsigned long long> all(static_cast<std::size_t>(ranks));
        MPI_Gather(&bytes, 1, MPI_UNSIGNED_LONG_LONG, all.data(), 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
        if (rank != 0) return;
        std::printf("%-16s %9.3f s  (%.3f ms per pick)  picks:", name, slowest, 1e3 * slowest / double(picks.size()));
        for (std::size_t j = 0; j < picks.size() && j < 8; ++j) std::printf(" %lld", static_cast<long long>(picks[j]));
        std::printf("%s\n%-16s bytes sent per rank:", picks.size() > 8 ? " ..." : "", "");
        for (auto v : all) std::printf(" %llu", v);
        std::printf(" (%.1f per pick on rank 0)\n", double(all[0]) / double(picks.size()));
    };

    const auto wanted = [&](const char* function) { return a.only.empty() || a.only == function; };
    if (wanted("top_k")) report("top_k", [&] { return acquire::mpi::top_k(MPI_COMM_WORLD, score, a.b, labeled); });
    if (wanted("random_select"))
        report("random_select", [&] { return acquire::mpi::random_select(MPI_COMM_WORLD, end - begin, a.b, a.seed, labeled); });
    acquire::KCenterOptions o;
    o.checks.values = false;  // the pool is ours; the checked default costs one more read of X
    if (wanted("k_center_greedy"))
        report("k_center_greedy", [&] { return acquire::mpi::k_center_greedy(MPI_COMM_WORLD, X, labeled, a.b, o).indices; });
    acquire::BadgeOptions bo;
    bo.seed = a.seed;
    bo.checks.values = false;
    if (wanted("badge")) report("badge", [&] { return acquire::mpi::badge(MPI_COMM_WORLD, P, X, labeled, a.b, bo).indices; });
    if (wanted("facility_location")) {
        // Facility location over the highest-scored rows: candidates from a distributed top_k.
        std::vector<Index> candidates;
        report("top_k prefilter", [&] {
            candidates = acquire::mpi::top_k(MPI_COMM_WORLD, score, std::min(a.candidates, a.n - a.labeled), labeled);
            return candidates;
        });
        acquire::FacilityLocationOptions fo;
        fo.checks.values = false;
        const Index fb = std::min<Index>(a.b, static_cast<Index>(candidates.size()));
        Index evaluations = 0;
        fo.evaluations = &evaluations;
        report("facility_loc.", [&] { return acquire::mpi::facility_location(MPI_COMM_WORLD, X, candidates, fb, fo).indices; });
        if (rank == 0)
            std::printf("%-16s %lld candidate gains evaluated (lazy greedy), one all-gather per batch\n", "",
                        static_cast<long long>(evaluations));
    }
    MPI_Finalize();
}
