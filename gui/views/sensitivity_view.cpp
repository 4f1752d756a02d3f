#include "views/sensitivity_view.hpp"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHorizontalBarSeries>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>

#include "charts/chart_adapter.hpp"
#include "charts/export.hpp"
#include "study_error.hpp"

namespace moescope::gui {

namespace {
const double kStep = 0.1;
}

SensitivityView::SensitivityView(ScenarioDocument& document, Session& session, QWidget* parent)
    : QWidget(parent), document_(document), session_(session), metric_(new QComboBox(this)), status_(new QLabel(this)),
      view_(make_chart_view("Change of the metric at -10 % and +10 % of each figure", this)),
      table_(new QTableWidget(this)) {
  pool_.setMaxThreadCount(1);
  auto* layout = new QVBoxLayout(this);
  auto* bar = export_bar(this, table_);
  auto* run = new QPushButton("Compute", this);
  connect(run, &QPushButton::clicked, this, &SensitivityView::compute);
  metric_->addItems({"latency_seconds", "tokens_per_s_per_gpu"}); // the metrics the study gives elasticities of
  connect(metric_, &QComboBox::currentTextChanged, this, &SensitivityView::redraw);
  bar->insertWidget(0, run);
  bar->insertWidget(1, new QLabel("metric", this));
  bar->insertWidget(2, metric_);
  bar->insertWidget(3, status_);
  layout->addLayout(bar);
  auto* body = new QHBoxLayout;
  body->addWidget(view_, 3);
  body->addWidget(table_, 2);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  layout->addLayout(body, 1);
}

SensitivityView::~SensitivityView() {
  pool_.waitForDone();
}

QString SensitivityView::metric() const {
  return metric_->currentText();
}

void SensitivityView::compute() {
  if (busy_) return;
  busy_ = true;
  status_->setText("computing...");
  const Json scenario = document_.json();
  const std::string label = document_.path().isEmpty() ? "<editor>" : document_.path().toStdString();
  pool_.start([this, scenario, label] {
    auto r = std::make_shared<SensitivityResult>();
    const QString error = study_error([&] { *r = sensitivity(scenario, label, kStep, session_); });
    QMetaObject::invokeMethod(
        this,
        [this, r, error] {
          busy_ = false;
          if (error.isEmpty()) result_ = *r;
          status_->setText(error.isEmpty() ? QString("%1 figures").arg(result_.rows.size()) : error);
          redraw();
          Q_EMIT computed();
        },
        Qt::QueuedConnection);
  });
}

void SensitivityView::redraw() {
  clear_chart(view_);
  series_ = nullptr;
  const std::string m = metric().toStdString();
  if (!result_.base.count(m) || result_.base.at(m) == 0) return;
  const double base = result_.base.at(m);
  series_ = new QHorizontalBarSeries;
  auto* low = new QBarSet(QString("figure -%1 %").arg(100 * kStep));
  auto* high = new QBarSet(QString("figure +%1 %").arg(100 * kStep));
  QStringList names;
  table_->clear();
  table_->setColumnCount(4);
  table_->setHorizontalHeaderLabels({"figure (JSON pointer)", "hwdb value", "elasticity", "change at +10 %"});
  table_->setRowCount(static_cast<int>(result_.rows.size()));
  // Largest first at the top: the chart draws categories bottom-up, so add the rows in reverse.
  for (int i = static_cast<int>(result_.rows.size()) - 1; i >= 0; --i) {
    const SensitivityRow& row = result_.rows[static_cast<std::size_t>(i)];
    const double lo = row.low.count(m) ? row.low.at(m) / base - 1 : 0;
    const double hi = row.high.count(m) ? row.high.at(m) / base - 1 : 0;
    *low << 100 * lo;
    *high << 100 * hi;
    names << QString::fromStdString(row.parameter).section('/', -2);
    table_->setItem(i, 0, new QTableWidgetItem(QString::fromStdString(row.parameter)));
    table_->setItem(i, 1, new QTableWidgetItem(QString::number(row.base_value, 'g', 4)));
    const double e = row.elasticity.count(m) ? row.elasticity.at(m) : 0;
    auto* el = new QTableWidgetItem(QString::number(e, 'f', 3));
    el->setData(Qt::UserRole, e);
    table_->setItem(i, 2, el);
    table_->setItem(i, 3, new QTableWidgetItem(QString::asprintf("%+.2f %%", 100 * hi)));
  }
  table_->resizeColumnsToContents();
  series_->append(low);
  series_->append(high);
  auto* y = new QBarCategoryAxis;
  y->append(names);
  view_->chart()->addAxis(value_axis("% change of " + metric()), Qt::AlignBottom);
  view_->chart()->addAxis(y, Qt::AlignLeft);
  attach(view_, series_);
}

} // namespace moescope::gui
