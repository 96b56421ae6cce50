// Checking a bearer secret (host token, guest token, task read token, job
// token) against the hex sha256 it is stored as, in constant time, so a
// secret is never kept or compared in the clear.
#pragma once

#include <string_view>

namespace hearth::crypto {

// Whether secret hashes (hex sha256) to expected_hash; false when either is empty.
bool secret_matches(std::string_view secret, std::string_view expected_hash);

}  // namespace hearth::crypto
