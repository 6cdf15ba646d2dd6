// Determinism: every scorer and selector gives bit-identical output on 1 thread and on 3, run
// twice. With ACQUIRE_DIGEST_FILE set, the test also writes one hash per function there, so
// tests/run_all.sh can compare a build without OpenMP against the OpenMP build. The calls are in
// tests/determinism/*.cpp.
#include "determinism/digest.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

using Results = std::vector<std::pair<std::string, std::uint64_t>>;

Results run_everything() {
    Results out;
    const determinism::Record record = [&](const std::string& name,
                                           const std::function<void(determinism::Digest&)>& f) {
        determinism::Digest d;
        f(d);
        out.emplace_back(name, d.value());
    };
    const determinism::Pool pool;
    determinism::record_scorers(pool, record);
    determinism::record_batch_bald(record);
    determinism::record_selectors(pool, record);
    return out;
}

Results run_on(int threads) {
#ifdef _OPENMP
    const int before = omp_get_max_threads();
    omp_set_num_threads(threads);
    Results r = run_everything();
    omp_set_num_threads(before);
    return r;
#else
    (void)threads;
    return run_everything();
#endif
}

}  // namespace

TEST_CASE("every function is bit-identical on 1 and 3 threads, run after run", "[determinism]") {
    const Results one = run_on(1), three = run_on(3), again = run_on(3);
    REQUIRE(one.size() == three.size());
    for (std::size_t j = 0; j < one.size(); ++j) {
        INFO(one[j].first);
        CHECK(one[j].second == three[j].second);
        CHECK(three[j].second == again[j].second);
    }
    if (const char* path = std::getenv("ACQUIRE_DIGEST_FILE")) {
        std::ofstream file(path);
        for (const auto& [name, hash] : one) file << name << ' ' << hash << '\n';
    }
}
