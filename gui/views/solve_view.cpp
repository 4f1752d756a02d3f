#include "views/solve_view.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPushButton>
#include <QScatterSeries>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <tuple>

#include "charts/chart_adapter.hpp"
#include "charts/export.hpp"
#include "study_error.hpp"
#include "util/text_table.hpp"

namespace moescope::gui {

namespace {

const char* const kPath = "/hardware_overrides/scale_out/link_bandwidth_per_direction_bytes_per_s";

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A value with the unit its SI-suffixed name says (a JSON pointer's last key, or a metric name).
QString with_unit(double v, const std::string& name) {
  std::string t;
  if (ends_with(name, "_seconds"))
    t = format_seconds(v);
  else if (ends_with(name, "_bytes_per_s"))
    t = format_si(v, "B/s", 4);
  else if (ends_with(name, "_flop_per_s"))
    t = format_si(v, "FLOP/s", 4);
  else if (ends_with(name, "_bytes"))
    t = format_bytes(v);
  else if (ends_with(name, "_joules"))
    t = format_si(v, "J", 4);
  else if (ends_with(name, "_usd"))
    t = "$" + format_fixed(v, 3);
  else if (name.find("tokens_per_s") != std::string::npos)
    t = format_si(v, "tokens/s", 4);
  else
    t = format_si(v, "", 5);
  while (!t.empty() && t.back() == ' ')
    t.pop_back();
  return QString::fromStdString(t);
}

// The shortest text that reads back as `v` (1e+09, not 1000000000).
QString shortest(double v) {
  for (int digits = 1; digits < 17; ++digits)
    if (QString::number(v, 'g', digits).toDouble() == v) return QString::number(v, 'g', digits);
  return QString::number(v, 'g', 17);
}

std::string last_key(const std::string& pointer) {
  return pointer.substr(pointer.find_last_of('/') + 1);
}

} // namespace

SolveView::SolveView(ScenarioDocument& document, Session& session, QWidget* parent)
    : QWidget(parent), document_(document), session_(session), path_(new QLineEdit(this)), metric_(new QComboBox(this)),
      goal_(new QComboBox(this)), target_(new QLineEdit(this)), lo_(new QLineEdit(this)), hi_(new QLineEdit(this)),
      integer_(new QCheckBox("integer field", this)), answer_(new QLabel(this)), error_(new QLabel(this)),
      view_(make_chart_view("The metric at each value the bisection evaluated", this)) {
  pool_.setMaxThreadCount(1);
  auto* layout = new QVBoxLayout(this);
  auto* grid = new QGridLayout;
  metric_->setEditable(true);
  metric_->addItems({"tpot_seconds", "ttft_seconds", "latency_seconds", "tokens_per_s_per_gpu",
                     "decode_tokens_per_s_per_gpu", "prefill_tokens_per_s_per_gpu", "decode_memory_per_gpu_bytes",
                     "decode_cost_per_million_tokens_usd", "decode_energy_per_token_joules"});
  goal_->addItems({"at most", "at least"});
  int col = 0;
  const std::pair<const char*, QWidget*> fields[] = {
      {"field (JSON pointer)", path_},     {"metric", metric_}, {"goal", goal_},
      {"target (metric's unit)", target_}, {"lower end", lo_},  {"upper end", hi_}};
  for (auto [label, w] : fields) {
    grid->addWidget(new QLabel(label, this), 0, col);
    grid->addWidget(w, 1, col++);
  }
  grid->addWidget(integer_, 1, col);
  grid->setColumnStretch(0, 3);
  layout->addLayout(grid);
  auto* bar = export_bar(view_);
  auto* solve = new QPushButton("Solve", this);
  connect(solve, &QPushButton::clicked, this, &SolveView::run);
  bar->insertWidget(0, solve);
  layout->addLayout(bar);
  answer_->setWordWrap(true);
  answer_->setTextFormat(Qt::PlainText); // "<=" is not a tag
  error_->setTextFormat(Qt::PlainText);
  answer_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  error_->setWordWrap(true);
  error_->setStyleSheet("color: #b00020");
  error_->hide();
  layout->addWidget(answer_);
  layout->addWidget(error_);
  layout->addWidget(view_, 1);
  SolveSpec spec;
  spec.path = kPath;
  spec.metric = "tpot_seconds";
  spec.target = 0.05;
  spec.lo = 1e9;
  spec.hi = 1e12;
  set_spec(spec);
}

SolveView::~SolveView() {
  pool_.waitForDone();
}

void SolveView::set_spec(const SolveSpec& spec) {
  path_->setText(QString::fromStdString(spec.path));
  metric_->setCurrentText(QString::fromStdString(spec.metric));
  goal_->setCurrentIndex(spec.at_most ? 0 : 1);
  target_->setText(shortest(spec.target));
  lo_->setText(shortest(spec.lo));
  hi_->setText(shortest(spec.hi));
  integer_->setChecked(spec.integer);
}

QString SolveView::answer() const {
  return answer_->text();
}

QString SolveView::error() const {
  return error_->isHidden() ? QString() : error_->text();
}

bool SolveView::read_spec(SolveSpec& spec, QString& error) const {
  spec.path = path_->text().trimmed().toStdString();
  spec.metric = metric_->currentText().trimmed().toStdString();
  spec.at_most = goal_->currentIndex() == 0;
  spec.integer = integer_->isChecked();
  for (auto [name, edit, into] : {std::tuple{"target", target_, &spec.target}, std::tuple{"lower end", lo_, &spec.lo},
                                  std::tuple{"upper end", hi_, &spec.hi}}) {
    bool ok = false;
    *into = edit->text().trimmed().toDouble(&ok);
    if (!ok) {
      error = QString("%1: \"%2\" is not a number").arg(QString(name), edit->text());
      return false;
    }
  }
  return true;
}

void SolveView::run() {
  if (busy_) return;
  SolveSpec spec;
  QString input_error;
  if (!read_spec(spec, input_error)) {
    error_->setText(input_error);
    error_->show();
    return;
  }
  busy_ = true;
  answer_->setText("solving...");
  error_->hide();
  const Json scenario = document_.json();
  const std::string label = document_.path().isEmpty() ? "<editor>" : document_.path().toStdString();
  pool_.start([this, scenario, label, spec] {
    auto r = std::make_shared<SolveResult>();
    const QString error = study_error([&] { *r = solve_scenario(scenario, label, spec, session_); });
    QMetaObject::invokeMethod(
        this,
        [this, r, error, spec] {
          busy_ = false;
          spec_ = spec;
          result_ = error.isEmpty() ? std::move(*r) : SolveResult{};
          const BisectionResult& b = result_.bisection;
          const std::string field = last_key(spec.path);
          QString problem = error;
          if (error.isEmpty() && !b.found) problem = QString::fromStdString(b.message);
          error_->setText(problem);
          error_->setVisible(!problem.isEmpty());
          if (b.found) {
            QString text =
                QString("%1 = %2 meets %3 %4 %5 (%6 bisections; the other end of the final bracket, %7, "
                        "does not)")
                    .arg(QString::fromStdString(field), with_unit(b.value, field), QString::fromStdString(spec.metric),
                         QString(spec.at_most ? "<=" : ">="), with_unit(spec.target, spec.metric))
                    .arg(b.iterations)
                    .arg(with_unit(b.other, field));
            if (result_.metrics_at_value.count(spec.metric))
              text += QString("; %1 there: %2")
                          .arg(QString::fromStdString(spec.metric),
                               with_unit(result_.metrics_at_value.at(spec.metric), spec.metric));
            if (!b.message.empty()) text += " (" + QString::fromStdString(b.message) + ")";
            answer_->setText(text);
          } else {
            answer_->setText("");
          }
          redraw();
          Q_EMIT solved();
        },
        Qt::QueuedConnection);
  });
}

void SolveView::redraw() {
  clear_chart(view_);
  curve_ = target_line_ = nullptr;
  answer_marker_ = nullptr;
  std::vector<SolvePoint> pts;
  for (const SolvePoint& p : result_.points)
    if (p.valid) pts.push_back(p);
  if (pts.empty()) return;
  std::sort(pts.begin(), pts.end(), [](const SolvePoint& a, const SolvePoint& b) { return a.value < b.value; });
  QChart* chart = view_->chart();
  const bool log_x = pts.front().value > 0;
  const std::string field = last_key(spec_.path);
  const QString x_title = QString::fromStdString(field) + " (log scale)";
  if (log_x)
    chart->addAxis(log_axis(x_title), Qt::AlignBottom);
  else
    chart->addAxis(value_axis(QString::fromStdString(field)), Qt::AlignBottom);
  curve_ = new QLineSeries;
  curve_->setName("metric at the evaluated values");
  auto* met = new QScatterSeries;
  met->setName("meets the target");
  met->setColor(QColor("#2ca02c"));
  met->setMarkerSize(9);
  auto* missed = new QScatterSeries;
  missed->setName("does not");
  missed->setColor(QColor("#d62728"));
  missed->setMarkerSize(9);
  double ymin = pts.front().metric, ymax = ymin;
  for (const SolvePoint& p : pts) {
    curve_->append(p.value, p.metric);
    (p.satisfied ? met : missed)->append(p.value, p.metric);
    ymin = std::min(ymin, p.metric);
    ymax = std::max(ymax, p.metric);
  }
  ymin = std::min(ymin, spec_.target);
  ymax = std::max(ymax, spec_.target);
  const bool log_y = ymin > 0; // latency and bandwidth curves span decades
  const QString y_title = QString::fromStdString(spec_.metric) + (log_y ? " (log scale)" : "");
  if (log_y)
    chart->addAxis(log_axis(y_title), Qt::AlignLeft);
  else
    chart->addAxis(value_axis(y_title), Qt::AlignLeft);
  const double x0 = pts.front().value, x1 = pts.back().value;
  target_line_ = new QLineSeries;
  target_line_->setName(
      QString("target: %1 %2")
          .arg(QString(spec_.at_most ? "at most" : "at least"), with_unit(spec_.target, spec_.metric)));
  target_line_->setPen(QPen(QColor("#555555"), 1.5, Qt::DashLine));
  target_line_->append(x0, spec_.target);
  target_line_->append(x1, spec_.target);
  attach(view_, target_line_);
  attach(view_, curve_);
  attach(view_, missed);
  attach(view_, met);
  if (result_.bisection.found && result_.metrics_at_value.count(spec_.metric)) {
    answer_marker_ = new QScatterSeries;
    answer_marker_->setName("answer: " + with_unit(result_.bisection.value, field));
    answer_marker_->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
    answer_marker_->setColor(QColor("#1f77b4"));
    answer_marker_->setMarkerSize(14);
    answer_marker_->append(result_.bisection.value, result_.metrics_at_value.at(spec_.metric));
    attach(view_, answer_marker_);
  }
  const double pad = 0.05 * (ymax - ymin > 0 ? ymax - ymin : std::abs(ymax) + 1);
  if (log_y)
    chart->axes(Qt::Vertical).first()->setRange(ymin / 1.3, ymax * 1.3);
  else
    chart->axes(Qt::Vertical).first()->setRange(ymin - pad, ymax + pad);
  if (log_x)
    chart->axes(Qt::Horizontal).first()->setRange(x0 / 1.5, x1 * 1.5);
  else
    chart->axes(Qt::Horizontal).first()->setRange(x0 - 0.05 * (x1 - x0 + 1), x1 + 0.05 * (x1 - x0 + 1));
}

} // namespace moescope::gui
