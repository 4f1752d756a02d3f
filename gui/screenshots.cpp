#include "screenshots.hpp"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QTabWidget>
#include <QThread>

#include "main_window.hpp"
#include "views/breakdown_view.hpp"
#include "views/headline_view.hpp"
#include "views/placement_view.hpp"
#include "views/sensitivity_view.hpp"
#include "views/solve_view.hpp"
#include "views/sweep_view.hpp"
#include "views/timeline_view.hpp"
#include "views/validation_view.hpp"

namespace moescope::gui {

bool wait_for_evaluation(MainWindow& window, int timeout_ms) {
  QElapsedTimer t;
  t.start();
  while (!window.settled()) {
    if (t.elapsed() > timeout_ms) return false;
    QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    QThread::msleep(1);
  }
  QCoreApplication::processEvents();
  return true;
}

QStringList write_screenshots(MainWindow& window, const QString& dir, int timeout_ms) {
  QStringList written;
  if (!wait_for_evaluation(window, timeout_ms)) return written;
  QDir().mkpath(dir);
  const auto save = [&](QWidget* w, const QString& name) {
    const QString path = QDir(dir).filePath(name + ".png");
    if (w->grab().save(path)) written << path;
  };
  // The sweep, sensitivity and validation views show finished studies (the sweep's default axes over the current
  // scenario).
  window.sweep()->run();
  window.sensitivity()->compute();
  window.validation()->run();
  // Placement: joint min-max with one redundant slot per GPU on 2 x 8 GPUs over the bundled trace, and the
  // comparison of every strategy; solve: the smallest scale-out bandwidth that meets TPOT <= 50 ms.
  if (window.last_outcome() && window.last_outcome()->evaluation)
    window.placement()->show_evaluation(window.last_outcome()->evaluation);
  window.placement()->set_strategy("joint-minmax");
  window.placement()->set_topology(2, 8, 1);
  window.placement()->refresh();
  window.placement()->compare();
  window.solve()->run();
  QElapsedTimer t;
  t.start();
  while ((window.sweep()->running() || window.sensitivity()->busy() || window.validation()->busy() ||
          window.placement()->busy() || window.solve()->busy()) &&
         t.elapsed() < timeout_ms)
    QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
  QTabWidget* tabs = window.tabs();
  for (int i = 0; i < tabs->count(); ++i) {
    tabs->setCurrentIndex(i);
    QCoreApplication::processEvents();
    save(&window, tabs->tabText(i).toLower().replace(' ', '-').remove('&'));
    if (tabs->widget(i) == window.breakdown()) save(window.breakdown()->timeline(), "timeline");
  }
  tabs->setCurrentIndex(0);
  // The headline panel with a pinned baseline: the same scenario at half the batch, compared side by side.
  window.headline()->pin_current();
  const Json batch = window.document().value("/workload/batch_per_gpu");
  if (batch.is_number_integer() && batch.get<std::int64_t>() > 1) {
    window.document().set("/workload/batch_per_gpu", Json(batch.get<std::int64_t>() / 2));
    if (!wait_for_evaluation(window, timeout_ms)) return written;
  }
  save(window.headline(), "headline");
  return written;
}

} // namespace moescope::gui
