#include "study_error.hpp"

#include "util/diagnostics.hpp"

namespace moescope::gui {

QString study_error(const std::function<void()>& run) {
  try {
    run();
  } catch (const InputError& e) {
    return QString::fromStdString(e.diagnostics().to_string());
  } catch (const std::exception& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

} // namespace moescope::gui
