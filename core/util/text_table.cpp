#include "util/text_table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace moescope {

TextTable::TextTable(std::vector<std::string> header) : header_(std::move(header)) {}

void TextTable::add_row(std::vector<std::string> row) {
  row.resize(header_.size());
  rows_.push_back(std::move(row));
}

std::string TextTable::render(const std::vector<std::size_t>& right_aligned) const {
  std::vector<std::size_t> width(header_.size(), 0);
  for (std::size_t c = 0; c < header_.size(); ++c)
    width[c] = header_[c].size();
  for (const auto& row : rows_)
    for (std::size_t c = 0; c < row.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  auto is_right = [&](std::size_t c) {
    return std::find(right_aligned.begin(), right_aligned.end(), c) != right_aligned.end();
  };
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      std::string pad(width[c] - cells[c].size(), ' ');
      if (c) out += "  ";
      out += is_right(c) ? pad + cells[c] : cells[c] + (c + 1 == cells.size() ? "" : pad);
    }
    return out + "\n";
  };
  std::string out = line(header_);
  std::vector<std::string> rule;
  for (std::size_t c = 0; c < header_.size(); ++c)
    rule.push_back(std::string(width[c], '-'));
  out += line(rule);
  for (const auto& row : rows_)
    out += line(row);
  return out;
}

std::string format_fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string format_si(double value, const std::string& unit, int significant) {
  static const char* prefixes[] = {"", "k", "M", "G", "T", "P", "E"};
  double v = std::fabs(value);
  int p = 0;
  while (v >= 1000.0 && p < 6) {
    v /= 1000.0;
    ++p;
  }
  int decimals = v >= 100 ? significant - 3 : v >= 10 ? significant - 2 : significant - 1;
  std::string s = format_fixed(value < 0 ? -v : v, std::max(0, decimals));
  return s + " " + prefixes[p] + unit;
}

std::string format_bytes(double bytes) {
  return format_si(bytes, "B");
}

std::string format_seconds(double seconds) {
  double a = std::fabs(seconds);
  if (a >= 1.0) return format_fixed(seconds, 3) + " s";
  if (a >= 1e-3) return format_fixed(seconds * 1e3, 3) + " ms";
  if (a >= 1e-6) return format_fixed(seconds * 1e6, 2) + " us";
  return format_fixed(seconds * 1e9, 1) + " ns";
}

} // namespace moescope
