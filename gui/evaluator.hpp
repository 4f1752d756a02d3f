#pragma once
// Evaluates scenario documents off the UI thread through the study facade. Each request gets a generation number;
// only the newest request's result is delivered, so a slider drag never shows a stale answer. At most one
// evaluation runs at a time and only the newest waiting request is kept: a burst of edits costs one evaluation in
// flight plus one for the final state, and the window never freezes.
#include <QObject>
#include <QThreadPool>
#include <cstdint>
#include <memory>
#include <optional>

#include "study/session.hpp"

namespace moescope::gui {

struct Outcome {
  std::uint64_t generation = 0;
  Json scenario;                                // the document that was evaluated
  std::shared_ptr<const Evaluation> evaluation; // null when the scenario has problems
  Diagnostics problems;                         // what the strict reader and the resolver said (CLI's messages)
  std::string internal_error;
  // The scenario without its hardware_overrides, resolved: the hwdb's own figures the what-if view marks.
  std::shared_ptr<const ResolvedScenario> hwdb_scenario;
  double seconds = 0; // evaluation wall time
};

class Evaluator : public QObject {
  Q_OBJECT
public:
  explicit Evaluator(Session& session, QObject* parent = nullptr);
  ~Evaluator() override; // waits for the evaluation in flight

  // Queues `scenario` (label: the file it came from, for messages and relative trace paths); returns its generation.
  std::uint64_t request(const Json& scenario, const std::string& label);
  std::uint64_t generation() const { return generation_; }
  bool idle() const { return !running_ && !pending_; }
  std::uint64_t dropped() const { return dropped_; } // results discarded as stale
  Session& session() { return session_; }

  // Synchronous evaluation, also what the worker runs.
  static Outcome evaluate(Session& session, const Json& scenario, const std::string& label);

Q_SIGNALS:
  void evaluated(std::shared_ptr<const Outcome> outcome);

private:
  struct Request {
    Json scenario;
    std::string label;
    std::uint64_t generation;
  };
  void start_next();
  void finished(std::shared_ptr<const Outcome> outcome);

  Session& session_;
  QThreadPool pool_;
  std::uint64_t generation_ = 0, dropped_ = 0;
  bool running_ = false;
  std::optional<Request> pending_;
};

} // namespace moescope::gui
