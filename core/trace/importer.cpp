#include "trace/importer.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "trace/byte_source.hpp"
#include "util/diagnostics.hpp"

namespace moescope::trace {

namespace fs = std::filesystem;

const std::vector<std::unique_ptr<TraceImporter>>& importers() {
  return Registry<TraceImporter>::entries();
}

const TraceImporter* find_importer(std::string_view name) {
  return Registry<TraceImporter>::find(name);
}

namespace {
bool skip_for_sniffing(const std::string& name) {
  static const char* skip[] = {"PROVENANCE.txt", "README.md", "summary.json"};
  for (const char* s : skip)
    if (name == s) return true;
  return name.find("_stats.") != std::string::npos || (!name.empty() && name[0] == '.');
}

std::string format_names() {
  std::string out;
  for (const auto& imp : importers())
    out += (out.empty() ? "" : ", ") + imp->name();
  return out;
}
} // namespace

const TraceImporter& detect_importer(const std::string& path) {
  std::vector<std::string> candidates;
  if (detail::is_directory(path)) {
    for (const auto& f : detail::list_files(path, true)) {
      if (skip_for_sniffing(detail::base_name(f))) continue;
      candidates.push_back(f);
      if (candidates.size() >= 4) break;
    }
    if (candidates.empty()) throw InputError(path, "", "directory holds no trace file");
  } else {
    if (!fs::exists(path)) throw InputError(path, "", "no such file or directory");
    candidates.push_back(path);
  }
  const TraceImporter* best = nullptr;
  int best_score = 0;
  for (const auto& file : candidates) {
    const std::string head = ByteSource::head_of_file(file, 4096);
    const std::string name = detail::base_name(file);
    for (const auto& imp : importers()) {
      const int score = imp->sniff(head, name);
      if (score > best_score) {
        best_score = score;
        best = imp.get();
      }
    }
  }
  if (!best || best_score < 20)
    throw InputError(path, "",
                     "unrecognised trace format (known formats: " + format_names() + "); name one with --format");
  return *best;
}

AnyTrace import_trace(const std::string& path, const ImportOptions& options) {
  const TraceImporter* imp = nullptr;
  if (!options.format.empty()) {
    imp = find_importer(options.format);
    if (!imp)
      throw InputError(path, "", "unknown trace format '" + options.format + "' (known: " + format_names() + ")");
  } else {
    imp = &detect_importer(path);
  }
  return imp->import(path, options);
}

namespace detail {

bool natural_less(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t i2 = i, j2 = j;
      while (i2 < a.size() && a[i2] == '0')
        ++i2;
      while (j2 < b.size() && b[j2] == '0')
        ++j2;
      std::size_t ie = i2, je = j2;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie])))
        ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je])))
        ++je;
      if (ie - i2 != je - j2) return ie - i2 < je - j2;
      const int c = a.substr(i2, ie - i2).compare(b.substr(j2, je - j2));
      if (c != 0) return c < 0;
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

std::vector<std::string> list_files(const std::string& dir, bool recursive) {
  std::vector<std::string> out;
  std::error_code ec;
  if (recursive) {
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      if (it->is_regular_file(ec)) out.push_back(it->path().string());
  } else {
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
      if (it->is_regular_file(ec)) out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return natural_less(a, b); });
  return out;
}

std::vector<std::string> list_subdirs(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->is_directory(ec)) out.push_back(it->path().string());
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return natural_less(a, b); });
  return out;
}

std::string base_name(const std::string& path) {
  fs::path p(path);
  if (!p.has_filename()) p = p.parent_path(); // "dir/" -> "dir"
  return p.filename().string();
}

bool is_directory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

long long number_after(std::string_view text, std::string_view prefix) {
  const std::size_t at = text.find(prefix);
  if (at == std::string_view::npos) return -1;
  std::size_t i = at + prefix.size();
  if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return -1;
  long long v = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && v < (1LL << 40))
    v = v * 10 + (text[i++] - '0');
  return v;
}

AnyTrace import_request_files(const std::string& path, const ImportOptions& options,
                              const std::function<bool(const std::string& file_name)>& is_data_file,
                              const ImportFiles& import_files, const std::string& none_found_message) {
  if (!is_directory(path)) {
    const std::string dir_label = base_name(std::filesystem::path(path).parent_path().string());
    return import_files({path}, options.domain.empty() ? dir_label : options.domain, options);
  }
  auto data_files = [&](const std::string& dir) {
    std::vector<std::string> files;
    for (const auto& f : list_files(dir, false))
      if (is_data_file(base_name(f))) files.push_back(f);
    return files;
  };
  return import_domain_folders(path, options, data_files, import_files, none_found_message);
}

} // namespace detail
} // namespace moescope::trace
