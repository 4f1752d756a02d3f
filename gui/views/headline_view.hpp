#pragma once
// View 2, the headline panel: TTFT, TPOT, throughput, memory, utilization, cost and energy of the current
// evaluation, the engine's notes always visible, and any number of pinned scenarios side by side with the
// current one's change against each.
#include <QWidget>
#include <map>
#include <memory>
#include <vector>

#include "headline_rows.hpp"

class QLabel;
class QListWidget;
class QTableWidget;

namespace moescope::gui {

class HeadlineView : public QWidget {
  Q_OBJECT
public:
  explicit HeadlineView(QWidget* parent = nullptr);

  void show_evaluation(std::shared_ptr<const Evaluation> e);
  // The document has problems: the figures shown are those of the last valid scenario, and the title says so.
  void set_stale(bool stale);
  void pin_current();
  void clear_pins();

  const std::vector<HeadlineRow>& rows() const { return rows_; }
  double value(const std::string& key) const; // NaN when absent
  int pinned_count() const { return static_cast<int>(pins_.size()); }
  QTableWidget* table() const { return table_; }
  QListWidget* notes() const { return notes_; }

private:
  struct Pin {
    QString name;
    std::map<std::string, double> values;
  };
  void rebuild();

  std::shared_ptr<const Evaluation> current_;
  std::vector<HeadlineRow> rows_;
  std::vector<Pin> pins_;
  QLabel* title_;
  QTableWidget* table_;
  QListWidget* notes_;
};

} // namespace moescope::gui
