#include <acquire/core/top_k.hpp>
#include <catch2/catch.hpp>
TEST_CASE("placeholder") { Eigen::VectorXf s(3); s << 1, 3, 2; CHECK(acquire::top_k(s, 1)[0] == 1); }
