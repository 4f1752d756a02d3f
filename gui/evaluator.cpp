#include "evaluator.hpp"

#include <chrono>

namespace moescope::gui {

Evaluator::Evaluator(Session& session, QObject* parent) : QObject(parent), session_(session) {
  pool_.setMaxThreadCount(1);
}

Evaluator::~Evaluator() {
  pool_.waitForDone();
}

std::uint64_t Evaluator::request(const Json& scenario, const std::string& label) {
  pending_ = Request{scenario, label, ++generation_};
  if (!running_) start_next();
  return generation_;
}

void Evaluator::start_next() {
  if (!pending_) return;
  Request r = std::move(*pending_);
  pending_.reset();
  running_ = true;
  pool_.start([this, r = std::move(r)] {
    auto outcome = std::make_shared<Outcome>(evaluate(session_, r.scenario, r.label));
    outcome->generation = r.generation;
    // Back on the UI thread; the destructor waits for this task, so `this` is alive.
    QMetaObject::invokeMethod(
        this, [this, outcome] { finished(outcome); }, Qt::QueuedConnection);
  });
}

void Evaluator::finished(std::shared_ptr<const Outcome> outcome) {
  running_ = false;
  if (outcome->generation == generation_)
    Q_EMIT evaluated(outcome);
  else
    ++dropped_;
  start_next();
}

namespace {

void collect(const InputError& e, Diagnostics& into) {
  into.append(e.diagnostics());
}

} // namespace

Outcome Evaluator::evaluate(Session& session, const Json& scenario, const std::string& label) {
  const auto start = std::chrono::steady_clock::now();
  Outcome o;
  o.scenario = scenario;
  try {
    const Scenario s = session.read_scenario(scenario, label);
    auto e = std::make_shared<Evaluation>(session.evaluate(s));
    if (scenario.contains("hardware_overrides")) {
      Json bare = scenario;
      bare.erase("hardware_overrides");
      o.hwdb_scenario = std::make_shared<const ResolvedScenario>(session.resolve(session.read_scenario(bare, label)));
    } else {
      o.hwdb_scenario = std::make_shared<const ResolvedScenario>(e->scenario);
    }
    o.evaluation = std::move(e);
  } catch (const InputError& e) {
    collect(e, o.problems);
  } catch (const std::exception& e) {
    o.internal_error = e.what();
  }
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return o;
}

} // namespace moescope::gui
