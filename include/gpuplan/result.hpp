// Result<T>: a value or an Error, shaped like std::expected so it can become one later.
#pragma once
#include <string>
#include <utility>
#include <variant>

namespace gpuplan {

enum class ErrorCode { invalid_argument, unknown_name, parse_error, out_of_range, conflict };

struct Error {
  ErrorCode code = ErrorCode::invalid_argument;
  std::string message;
};

template <typename T>
class Result {
 public:
  Result(const T& value) : state_(value) {}          // NOLINT(google-explicit-constructor)
  Result(T&& value) : state_(std::move(value)) {}    // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  [[nodiscard]] const T& value() const& { return std::get<0>(state_); }
  [[nodiscard]] T& value() & { return std::get<0>(state_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(state_)); }
  [[nodiscard]] const Error& error() const { return std::get<1>(state_); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> state_;
};

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace gpuplan
