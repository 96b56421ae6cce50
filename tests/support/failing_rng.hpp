// Makes OpenSSL's RAND_bytes fail while in scope (a RAND_METHOD whose bytes
// always fail; deprecated in OpenSSL 3 but still honoured), to prove that
// what draws random bytes stops with an error instead of using the buffer.
#pragma once

#include <openssl/rand.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace hearth::test {

class failing_rng {
 public:
  failing_rng() : previous_(RAND_get_rand_method()) { RAND_set_rand_method(&method_); }
  ~failing_rng() { RAND_set_rand_method(previous_); }
  failing_rng(const failing_rng&) = delete;
  failing_rng& operator=(const failing_rng&) = delete;

 private:
  static int fail_bytes(unsigned char*, int) { return 0; }
  static int status() { return 0; }
  const RAND_METHOD* previous_;
  RAND_METHOD method_{nullptr, fail_bytes, nullptr, nullptr, fail_bytes, status};
};

}  // namespace hearth::test

#pragma GCC diagnostic pop
