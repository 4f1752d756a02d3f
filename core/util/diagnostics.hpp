#pragma once
// Problems found in input files, collected rather than thrown one at a time, so that a user sees every
// problem of a file in one run. Each names the file, the JSON path (RFC 6901 pointer) and what was expected.
#include <stdexcept>
#include <string>
#include <vector>

namespace moescope {

struct Diagnostic {
  std::string file;     // path as the user gave it, or "<inline>"
  std::string location; // JSON pointer ("/deployment/moe/ep"), "line 12", "byte 4096", or "" for the whole file
  std::string message;  // what was expected and what was found

  std::string to_string() const;
};

class Diagnostics {
public:
  void add(std::string file, std::string location, std::string message);
  void append(const Diagnostics& other);
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  std::string to_string() const; // one line per problem
  // Throws InputError if any problem was recorded.
  void throw_if_any() const;

private:
  std::vector<Diagnostic> items_;
};

// Bad input: a user error, reported with exit status 2 by the front ends, never a crash.
class InputError : public std::runtime_error {
public:
  explicit InputError(Diagnostics diagnostics);
  InputError(std::string file, std::string location, std::string message);
  const Diagnostics& diagnostics() const { return diagnostics_; }

private:
  Diagnostics diagnostics_;
};

} // namespace moescope
