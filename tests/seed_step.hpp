// The step between the seeds of a test's heaviest loops. Under AddressSanitizer (CI's sanitizer
// stage, where these loops run about 7x slower) a loop takes every few seeds: every code path
// still runs instrumented, on fewer random draws; the release build runs every seed.
#pragma once

#include <cstdint>

#if defined(__SANITIZE_ADDRESS__)
#define ACQUIRE_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ACQUIRE_TEST_UNDER_ASAN 1
#endif
#endif

/// 1, or `sanitized` under AddressSanitizer.
constexpr std::uint64_t seed_step([[maybe_unused]] std::uint64_t sanitized) {
#ifdef ACQUIRE_TEST_UNDER_ASAN
    return sanitized;
#else
    return 1;
#endif
}
