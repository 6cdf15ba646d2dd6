// Includes acquire/mpi.hpp through the acquire::mpi target and runs one sharded top_k: every
// rank holds two scores, and every rank must get the global best.
#include <acquire/mpi.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0, ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    Eigen::VectorXf scores(2);
    scores << float(rank), float(2 * rank + 1);  // global row 2r + 1 holds 2r + 1
    const auto best = acquire::mpi::top_k(MPI_COMM_WORLD, scores, 1);
    const bool ok = best.size() == 1 && best[0] == 2 * (ranks - 1) + 1;
    if (rank == 0) std::printf("consumer_mpi: %s\n", ok ? "ok" : "wrong");
    MPI_Finalize();
    return ok ? 0 : 1;
}
