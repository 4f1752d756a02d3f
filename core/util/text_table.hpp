#pragma once
// Aligned plain-text tables for the CLI's readable output.
#include <string>
#include <vector>

namespace moescope {

class TextTable {
public:
  explicit TextTable(std::vector<std::string> header);
  void add_row(std::vector<std::string> row);
  // Columns whose index is in `right_aligned` are right-aligned (numbers).
  std::string render(const std::vector<std::size_t>& right_aligned = {}) const;

private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Human-readable formatting with SI prefixes: format_si(3.35e12, "B/s") -> "3.35 TB/s".
std::string format_si(double value, const std::string& unit, int significant = 3);
// Memory sizes with decimal prefixes, as vendors quote them: format_bytes(80e9) -> "80.0 GB".
std::string format_bytes(double bytes);
// Time with an adapted unit: format_seconds(2.5e-5) -> "25.0 us".
std::string format_seconds(double seconds);
std::string format_fixed(double value, int decimals);

} // namespace moescope
