#include "main_window.hpp"

#include <QHeaderView>
#include <QMessageBox>
#include <QTableWidget>

#include "study/session.hpp"
#include "util/text_table.hpp"

namespace moescope::gui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), table_(new QTableWidget(this)) {
  setWindowTitle("moescope");
  table_->setColumnCount(4);
  table_->setHorizontalHeaderLabels({"accelerator", "bf16 peak", "HBM", "HBM bandwidth"});
  table_->horizontalHeader()->setStretchLastSection(true);
  setCentralWidget(table_);
  try {
    Session session;
    auto db = *session.hwdb();
    table_->setRowCount(static_cast<int>(db.accelerators().size()));
    int row = 0;
    for (const auto& [name, a] : db.accelerators()) {
      table_->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(a.display_name)));
      table_->setItem(
          row, 1, new QTableWidgetItem(QString::fromStdString(format_si(a.peak_flop_per_s(DataType::bf16), "FLOP/s"))));
      table_->setItem(row, 2, new QTableWidgetItem(QString::fromStdString(format_bytes(a.hbm_capacity_bytes.value))));
      table_->setItem(
          row, 3, new QTableWidgetItem(QString::fromStdString(format_si(a.hbm_bandwidth_bytes_per_s.value, "B/s"))));
      ++row;
    }
  } catch (const InputError& e) {
    QMessageBox::critical(this, "moescope", QString::fromStdString(e.what()));
  }
  resize(900, 600);
}

} // namespace moescope::gui
