// A value or a failure with a stable machine-readable code: the error-as-value
// type every hearth library returns across its boundary (no exceptions escape).
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "messages/errors.hpp"

namespace hearth {

struct failure {
  error_code code;      // messages/errors.hpp: its name, HTTP status and meaning
  std::string message;  // for humans; never contains a secret
};

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::move(value)) {}
  result(failure f) : v_(std::move(f)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const failure& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, failure> v_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(failure f) : failed_(true), f_(std::move(f)) {}

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const failure& error() const { return f_; }

 private:
  bool failed_ = false;
  failure f_;
};

inline failure fail(error_code code, std::string message) {
  return failure{code, std::move(message)};
}

}  // namespace hearth
