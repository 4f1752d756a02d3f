#pragma once
// `moescope-gui --screenshots DIR`: one PNG of the window per view, for docs/gui/ (works offscreen).
#include <QStringList>

namespace moescope::gui {

class MainWindow;

// Waits (at most `timeout_ms`) for the evaluation of the current document, then shows each tab and writes
// DIR/<tab>.png (and DIR/timeline.png, the time-breakdown tab's two-batch timeline), then pins the scenario, halves its
// batch and writes DIR/headline.png (the panel with a baseline). Returns the files written; empty when the evaluation
// did not finish.
QStringList write_screenshots(MainWindow& window, const QString& dir, int timeout_ms = 60000);

// Processes events until the evaluator is idle and a result is shown, at most `timeout_ms`; false on timeout.
bool wait_for_evaluation(MainWindow& window, int timeout_ms);

} // namespace moescope::gui
