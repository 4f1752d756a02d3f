#include "views/headline_view.hpp"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>
#include <limits>

namespace moescope::gui {

HeadlineView::HeadlineView(QWidget* parent)
    : QWidget(parent), title_(new QLabel(this)), table_(new QTableWidget(this)), notes_(new QListWidget(this)) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout;
  auto* pin = new QPushButton("Pin as baseline", this);
  auto* clear = new QPushButton("Clear pins", this);
  connect(pin, &QPushButton::clicked, this, &HeadlineView::pin_current);
  connect(clear, &QPushButton::clicked, this, &HeadlineView::clear_pins);
  title_->setStyleSheet("font-weight: bold");
  bar->addWidget(title_, 1);
  bar->addWidget(pin);
  bar->addWidget(clear);
  layout->addLayout(bar);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->verticalHeader()->hide();
  layout->addWidget(table_, 3);
  layout->addWidget(new QLabel("Engine notes (fallbacks, KV-bound batch):", this));
  notes_->setWordWrap(true);
  layout->addWidget(notes_, 1);
}

void HeadlineView::show_evaluation(std::shared_ptr<const Evaluation> e) {
  current_ = std::move(e);
  rows_ = headline_rows(*current_);
  set_stale(false);
  notes_->clear();
  notes_->addItems(engine_notes(*current_));
  if (notes_->count() == 0) notes_->addItem("(none)");
  rebuild();
}

void HeadlineView::set_stale(bool stale) {
  if (!current_) return;
  title_->setText(QString::fromStdString(current_->scenario.scenario.name) +
                  (stale ? " (last valid evaluation: the scenario has problems)" : ""));
  title_->setStyleSheet(stale ? "font-weight: bold; color: #b00020" : "font-weight: bold");
}

double HeadlineView::value(const std::string& key) const {
  for (const auto& r : rows_)
    if (r.key == key) return r.value;
  return std::numeric_limits<double>::quiet_NaN();
}

void HeadlineView::pin_current() {
  if (!current_) return;
  Pin p{QString::fromStdString(current_->scenario.scenario.name), {}};
  for (const auto& r : rows_)
    p.values[r.key] = r.value;
  pins_.push_back(std::move(p));
  rebuild();
}

void HeadlineView::clear_pins() {
  pins_.clear();
  rebuild();
}

void HeadlineView::rebuild() {
  QStringList header{"metric", "current"};
  for (std::size_t i = 0; i < pins_.size(); ++i)
    header << QString("pin %1: %2").arg(i + 1).arg(pins_[i].name) << "change";
  table_->clear();
  table_->setColumnCount(header.size());
  table_->setHorizontalHeaderLabels(header);
  table_->setRowCount(static_cast<int>(rows_.size()));
  for (int r = 0; r < table_->rowCount(); ++r) {
    const HeadlineRow& row = rows_[r];
    table_->setItem(r, 0, new QTableWidgetItem(row.label));
    auto* cur = new QTableWidgetItem(format_value(row.value, row.unit));
    cur->setData(Qt::UserRole, row.value); // the unformatted figure, for tests and CSV
    table_->setItem(r, 1, cur);
    for (std::size_t i = 0; i < pins_.size(); ++i) {
      const auto it = pins_[i].values.find(row.key);
      const int c = 2 + 2 * static_cast<int>(i);
      if (it == pins_[i].values.end()) continue;
      table_->setItem(r, c, new QTableWidgetItem(format_value(it->second, row.unit)));
      const double change = it->second != 0 ? row.value / it->second - 1 : 0;
      auto* d = new QTableWidgetItem(std::abs(change) < 5e-4 ? "=" : QString::asprintf("%+.1f %%", 100 * change));
      d->setData(Qt::UserRole, change);
      table_->setItem(r, c + 1, d);
    }
  }
  table_->resizeColumnsToContents();
  table_->horizontalHeader()->setStretchLastSection(true);
}

} // namespace moescope::gui
