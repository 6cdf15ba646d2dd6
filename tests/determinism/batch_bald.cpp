// test_determinism's BatchBALD (the heaviest family to compile, in a file of its own).
#include "digest.hpp"

#include <acquire/select/batch_bald.hpp>

namespace determinism {

void record_batch_bald(const Record& record) {
    const Index T = 8, ns = 6000, k = Pool::k;
    const auto buf = acquire::synthetic::stack_buffer<float>(T, ns, k);
    record("batch_bald", [&](Digest& d) {
        acquire::BatchBaldOptions o;
        o.max_configurations = 100;
        o.samples = 50;
        o.seed = 3;
        // the first 2,000 rows of every member, through the strided view
        d << acquire::batch_bald(acquire::PredictionStack<float>(buf.data(), T, 2000, k, ns * k, k, 1), 4, o);
    });
}

}  // namespace determinism
