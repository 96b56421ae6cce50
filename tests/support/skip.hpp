// Catch2 2.13 (Debian 12's) has no SKIP: a test case that cannot run on
// this host says so and returns. A case that may skip is tagged with a
// tag of its own and registered as its own ctest entry whose
// SKIP_REGULAR_EXPRESSION is "SKIPPED:" (hearth_may_skip in
// tests/CMakeLists.txt), so ctest's summary lists it as Skipped, and the
// reason is in its output.
#pragma once

#include <catch2/catch.hpp>

#include <iostream>

#define HEARTH_SKIP(reason)                                \
  do {                                                     \
    std::cout << "SKIPPED: " << reason << std::endl;       \
    WARN("SKIPPED: " << reason);                           \
    return;                                                \
  } while (0)
