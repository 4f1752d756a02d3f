#pragma once
// The moescope desktop window. For now it lists the hardware database; the explorer views come later.
#include <QMainWindow>

class QTableWidget;

namespace moescope::gui {

class MainWindow : public QMainWindow {
  Q_OBJECT
public:
  explicit MainWindow(QWidget* parent = nullptr);
  QTableWidget* accelerator_table() const { return table_; }

private:
  QTableWidget* table_;
};

} // namespace moescope::gui
