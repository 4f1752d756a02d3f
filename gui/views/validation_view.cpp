#include "views/validation_view.hpp"

#include <QComboBox>
#include <QDir>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPushButton>
#include <QScatterSeries>
#include <QVBoxLayout>
#include <algorithm>

#include "charts/chart_adapter.hpp"
#include "charts/export.hpp"
#include "study_error.hpp"

namespace moescope::gui {

ValidationView::ValidationView(Session& session, QWidget* parent)
    : QWidget(parent), session_(session), suite_(new QComboBox(this)), summary_(new QLabel(this)),
      view_(make_chart_view("Predicted against measured", this)) {
  pool_.setMaxThreadCount(1);
  auto* layout = new QVBoxLayout(this);
  auto* bar = export_bar(view_);
  auto* run = new QPushButton("Run", this);
  connect(run, &QPushButton::clicked, this, &ValidationView::run);
  const QDir suites(QString::fromStdString(session_.data_root() + "/validation/suites"));
  suite_->addItems(suites.entryList({"*.json"}, QDir::Files, QDir::Name));
  set_suite("aiconfigurator-h100-moe-decode.json");
  bar->insertWidget(0, new QLabel("suite", this));
  bar->insertWidget(1, suite_);
  bar->insertWidget(2, run);
  layout->addLayout(bar);
  summary_->setWordWrap(true);
  layout->addWidget(summary_);
  layout->addWidget(view_, 1);
}

ValidationView::~ValidationView() {
  pool_.waitForDone();
}

void ValidationView::set_suite(const QString& file_name) {
  suite_->setCurrentText(file_name);
}

void ValidationView::run() {
  if (busy_) return;
  busy_ = true;
  summary_->setText("running " + suite_->currentText() + "...");
  ValidationStudy study;
  study.suite_files = {session_.data_root() + "/validation/suites/" + suite_->currentText().toStdString()};
  pool_.start([this, study] {
    Json suite = Json::object();
    const QString error = study_error([&] { suite = run_validation_study(session_, study).json.at("suites").at(0); });
    QMetaObject::invokeMethod(
        this,
        [this, suite, error] {
          busy_ = false;
          result_ = suite;
          redraw();
          if (!error.isEmpty()) summary_->setText(error);
          Q_EMIT finished();
        },
        Qt::QueuedConnection);
  });
}

QScatterSeries* ValidationView::split_series(const QString& split) const {
  for (QAbstractSeries* s : view_->chart()->series())
    if (s->name() == split) return qobject_cast<QScatterSeries*>(s);
  return nullptr;
}

QString ValidationView::summary() const {
  return summary_->text();
}

void ValidationView::redraw() {
  clear_chart(view_);
  if (!result_.contains("cases") || result_["cases"].empty()) return;
  view_->chart()->addAxis(log_axis("measured"), Qt::AlignBottom);
  view_->chart()->addAxis(log_axis("predicted"), Qt::AlignLeft);
  std::map<std::string, QScatterSeries*> splits;
  double lo = 1e300, hi = 0;
  for (const Json& c : result_["cases"]) {
    const std::string split = c.at("split").get<std::string>();
    QScatterSeries*& s = splits[split];
    if (!s) {
      s = new QScatterSeries;
      s->setName(QString::fromStdString(split));
      s->setMarkerSize(7);
      s->setColor(split == "calibration" ? QColor("#1f77b4") : split == "holdout" ? QColor("#ff7f0e") : Qt::gray);
    }
    const double m = c.at("measured").get<double>(), p = c.at("predicted").get<double>();
    if (m <= 0 || p <= 0) continue; // no place on log axes
    s->append(m, p);
    lo = std::min({lo, m, p});
    hi = std::max({hi, m, p});
  }
  auto* ideal = new QLineSeries;
  ideal->setName("predicted = measured");
  ideal->append(lo / 2, lo / 2);
  ideal->append(hi * 2, hi * 2);
  ideal->setPen(QPen(Qt::black, 1, Qt::DashLine));
  attach(view_, ideal);
  for (auto& [name, s] : splits)
    attach(view_, s);
  view_->chart()->axes(Qt::Horizontal).first()->setRange(lo / 2, hi * 2);
  view_->chart()->axes(Qt::Vertical).first()->setRange(lo / 2, hi * 2);
  QStringList lines;
  const Json& summary = result_.at("summary");
  for (const char* part : {"all", "calibration", "holdout"}) {
    const Json& s = summary.at(part);
    if (s.at("count").get<std::size_t>() == 0) continue;
    lines << QString("%1: %2 cases, MAPE %3 %, median |error| %4 %, max %5 %")
                 .arg(part)
                 .arg(s.at("count").get<std::size_t>())
                 .arg(s.at("mape_percent").get<double>(), 0, 'f', 2)
                 .arg(s.at("median_abs_percent").get<double>(), 0, 'f', 2)
                 .arg(s.at("max_abs_percent").get<double>(), 0, 'f', 2);
  }
  summary_->setText(QString::fromStdString(result_.value("suite", std::string())) + " (" +
                    QString::fromStdString(result_.value("mode", std::string())) + ")\n" + lines.join("\n"));
}

} // namespace moescope::gui
