#pragma once
// Runs a facade study and turns its failure into the text a view shows: bad input as the CLI's diagnostics, any
// other exception as its message; "" when it succeeded.
#include <QString>
#include <functional>

namespace moescope::gui {

QString study_error(const std::function<void()>& run);

} // namespace moescope::gui
