// Cap'n Proto framing for stored records: flat single-segment bytes on write,
// bounds-checked reading on load. A malformed record is an error value, never
// an exception or a crash.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "messages/result.hpp"

namespace hearth::storage {

std::string encode_message(capnp::MessageBuilder& message);

// Cap'n Proto Data fields to and from std::string bytes.
inline std::string bytes_of(capnp::Data::Reader d) { return std::string(reinterpret_cast<const char*>(d.begin()), d.size()); }
inline kj::ArrayPtr<const kj::byte> data_of(const std::string& s) {
  return kj::arrayPtr(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

// Calls f(Schema::Reader) on the decoded root and returns what f returns.
template <class Schema, class F>
auto decode_message(std::string_view bytes, F&& f) -> result<decltype(f(std::declval<typename Schema::Reader>()))> {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0)
    return fail(storage_errc::record_corrupt, "record size is not a whole number of words");
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  try {
    capnp::ReaderOptions limits;
    limits.traversalLimitInWords = words.size() * 4 + 1024;
    capnp::FlatArrayMessageReader reader(words, limits);
    return f(reader.getRoot<Schema>());
  } catch (const kj::Exception& e) {
    return fail(storage_errc::record_corrupt, std::string("malformed record: ") + e.getDescription().cStr());
  }
}

}  // namespace hearth::storage
