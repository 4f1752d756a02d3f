#include "util/diagnostics.hpp"

namespace moescope {

std::string Diagnostic::to_string() const {
  std::string out = file.empty() ? std::string("<input>") : file;
  if (!location.empty()) out += ": " + location;
  out += ": " + message;
  return out;
}

void Diagnostics::add(std::string file, std::string location, std::string message) {
  items_.push_back(Diagnostic{std::move(file), std::move(location), std::move(message)});
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

std::string Diagnostics::to_string() const {
  std::string out;
  for (const auto& d : items_) {
    if (!out.empty()) out += '\n';
    out += d.to_string();
  }
  return out;
}

void Diagnostics::throw_if_any() const {
  if (!items_.empty()) throw InputError(*this);
}

InputError::InputError(Diagnostics diagnostics)
    : std::runtime_error(diagnostics.to_string()), diagnostics_(std::move(diagnostics)) {}

namespace {
Diagnostics single(std::string file, std::string location, std::string message) {
  Diagnostics d;
  d.add(std::move(file), std::move(location), std::move(message));
  return d;
}
} // namespace

InputError::InputError(std::string file, std::string location, std::string message)
    : InputError(single(std::move(file), std::move(location), std::move(message))) {}

} // namespace moescope
