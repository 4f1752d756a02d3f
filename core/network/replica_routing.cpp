#include "network/replica_routing.hpp"

#include <algorithm>

namespace moescope {

void expected_replica_shares(const Placement& p, std::int32_t gpus_per_node, std::int32_t expert, std::int32_t src,
                             const double* forced_node, double* w) {
  const std::int32_t n = p.replicas(expert);
  const std::int32_t* reps = p.replicas_begin(expert);
  const std::int32_t gpn = std::max<std::int32_t>(1, gpus_per_node), home = src / gpn;
  auto fill = [&](auto weight_of) {
    for (std::int32_t i = 0; i < n; ++i)
      w[i] = weight_of(reps[i]);
  };
  if (n == 1) {
    w[0] = 1.0;
    return;
  }
  const bool node_first = p.choice == ReplicaChoice::same_node_first || p.choice == ReplicaChoice::node_cover;
  if (node_first && std::find(reps, reps + n, src) != reps + n) {
    fill([&](std::int32_t g) { return g == src ? 1.0 : 0.0; });
    return;
  }
  auto copies_on = [&](std::int32_t node) {
    std::int32_t c = 0;
    for (std::int32_t i = 0; i < n; ++i)
      c += reps[i] / gpn == node;
    return c;
  };
  if (node_first) {
    if (const std::int32_t local = copies_on(home); local > 0) {
      fill([&](std::int32_t g) { return g / gpn == home ? 1.0 / local : 0.0; });
      return;
    }
  }
  if (p.choice != ReplicaChoice::node_cover || !forced_node) {
    fill([&](std::int32_t) { return 1.0 / n; });
    return;
  }
  double none = 1.0, sum = 0.0;
  std::int32_t distinct = 0;
  for (std::int32_t i = 0; i < n; ++i) {
    const std::int32_t node = reps[i] / gpn;
    bool first = true;
    for (std::int32_t j = 0; j < i && first; ++j)
      first = reps[j] / gpn != node;
    if (!first) continue;
    ++distinct;
    none *= 1.0 - forced_node[node];
    sum += forced_node[node];
  }
  fill([&](std::int32_t g) {
    const std::int32_t node = g / gpn;
    const double share = (sum > 0.0 ? (1.0 - none) * forced_node[node] / sum : 0.0) + none / distinct;
    return share / copies_on(node);
  });
}

void ReplicaRouter::reset(const Placement& p, std::int32_t gpus_per_node, std::optional<ReplicaChoice> rule) {
  rule_ = rule.value_or(p.choice);
  gpus_per_node_ = std::max<std::int32_t>(1, gpus_per_node);
  nodes_ = (p.num_gpus + gpus_per_node_ - 1) / gpus_per_node_;
  counter_.assign(static_cast<std::size_t>(p.num_experts), 0);
  if (rule_ == ReplicaChoice::same_node_first)
    local_counter_.assign(static_cast<std::size_t>(p.num_experts) * static_cast<std::size_t>(nodes_), 0);
  load_.assign(static_cast<std::size_t>(p.num_gpus), 0.0);
  copy_node_.resize(p.replica_gpus.size());
  for (std::size_t i = 0; i < p.replica_gpus.size(); ++i)
    copy_node_[i] = node_of(p.replica_gpus[i]);
}

template <class Pred>
std::int32_t ReplicaRouter::least_loaded_where(const Placement& p, std::int32_t expert, Pred on_allowed_node) const {
  std::int32_t best = -1;
  const std::int32_t* reps = p.replicas_begin(expert);
  for (std::int32_t i = 0; i < p.replicas(expert); ++i)
    if (on_allowed_node(copy_node(p, expert, i)) &&
        (best < 0 || load_[static_cast<std::size_t>(reps[i])] < load_[static_cast<std::size_t>(best)]))
      best = reps[i];
  return best;
}

std::int32_t ReplicaRouter::least_loaded_on(const Placement& p, std::int32_t expert, std::int32_t node) const {
  return least_loaded_where(p, expert, [node](std::int32_t n) { return n == node; });
}

void ReplicaRouter::route_ids(const Placement& p, std::int32_t src, std::int32_t home, const std::int32_t* ids,
                              std::int32_t k, std::int32_t* gpus) {
  if (rule_ == ReplicaChoice::node_cover) {
    route_node_cover(p, src, home, ids, k, gpus);
  } else {
    for (std::int32_t j = 0; j < k; ++j) {
      const std::int32_t e = ids[j];
      if (e < 0) {
        gpus[j] = -1;
        continue;
      }
      const std::int32_t n = p.replicas(e);
      const std::int32_t* reps = p.replicas_begin(e);
      std::int32_t g = reps[0];
      if (n > 1) switch (rule_) {
        case ReplicaChoice::round_robin:
          g = reps[counter_[static_cast<std::size_t>(e)]++ % static_cast<std::uint32_t>(n)];
          break;
        case ReplicaChoice::least_loaded:
          for (std::int32_t i = 1; i < n; ++i)
            if (load_[static_cast<std::size_t>(reps[i])] < load_[static_cast<std::size_t>(g)]) g = reps[i];
          break;
        case ReplicaChoice::same_node_first: {
          if (std::find(reps, reps + n, src) != reps + n) {
            g = src;
            break;
          }
          std::uint32_t local = 0;
          for (std::int32_t i = 0; i < n; ++i)
            local += copy_node(p, e, i) == home;
          if (local == 0) {
            g = reps[counter_[static_cast<std::size_t>(e)]++ % static_cast<std::uint32_t>(n)];
            break;
          }
          std::uint32_t pick =
              local_counter_[static_cast<std::size_t>(e) * static_cast<std::size_t>(nodes_) + std::size_t(home)]++ %
              local;
          for (std::int32_t i = 0; i < n; ++i)
            if (copy_node(p, e, i) == home && pick-- == 0) {
              g = reps[i];
              break;
            }
          break;
        }
        case ReplicaChoice::node_cover:
          break;
        }
      gpus[j] = g;
      load_[static_cast<std::size_t>(g)] += 1.0;
    }
  }
}

// node_cover: a copy on the token's GPU, else on its home node; then the nodes the token must reach anyway (experts
// whose copies all sit on one node); then, for the experts left, greedily the node that covers most of them (ties:
// the one whose least-loaded candidate copy is least loaded, then the lower node). Within a node, the least-loaded
// copy.
void ReplicaRouter::route_node_cover(const Placement& p, std::int32_t src, std::int32_t home, const std::int32_t* ids,
                                     std::int32_t k, std::int32_t* gpus) {
  std::int32_t needed[kMaxTopK + 1], pending[kMaxTopK];
  std::int32_t num_needed = 0, num_pending = 0;
  needed[num_needed++] = home;
  auto is_needed = [&](std::int32_t node) {
    return std::find(needed, needed + num_needed, node) != needed + num_needed;
  };
  auto assign = [&](std::int32_t j, std::int32_t g) {
    gpus[j] = g;
    load_[static_cast<std::size_t>(g)] += 1.0;
  };
  for (std::int32_t j = 0; j < k; ++j) {
    const std::int32_t e = ids[j];
    if (e < 0) {
      gpus[j] = -1;
      continue;
    }
    const std::int32_t n = p.replicas(e);
    const std::int32_t* reps = p.replicas_begin(e);
    if (n == 1) { // most experts: the one copy, and its node is needed unless it is home
      const std::int32_t node = copy_node(p, e, 0);
      assign(j, reps[0]);
      if (node != home && !is_needed(node)) needed[num_needed++] = node;
      continue;
    }
    if (src >= 0 && std::find(reps, reps + n, src) != reps + n) {
      assign(j, src);
      continue;
    }
    if (const std::int32_t g = least_loaded_on(p, e, home); g >= 0) {
      assign(j, g);
      continue;
    }
    const std::int32_t first = copy_node(p, e, 0);
    bool one_node = true;
    for (std::int32_t i = 1; i < n && one_node; ++i)
      one_node = copy_node(p, e, i) == first;
    if (one_node) {
      assign(j, least_loaded_on(p, e, first));
      if (!is_needed(first)) needed[num_needed++] = first;
      continue;
    }
    pending[num_pending++] = j;
  }
  // Assigns each of the first `count` pending experts with a copy on a node `on_node` accepts to its least-loaded
  // such copy; returns how many are left, compacted at the front of `pending`.
  auto assign_covered = [&](std::int32_t count, auto on_node) {
    std::int32_t left = 0;
    for (std::int32_t i = 0; i < count; ++i) {
      const std::int32_t j = pending[i];
      if (const std::int32_t g = least_loaded_where(p, ids[j], on_node); g >= 0)
        assign(j, g);
      else
        pending[left++] = j;
    }
    return left;
  };
  // Experts with a copy on a node already reached.
  std::int32_t rest = assign_covered(num_pending, is_needed);
  // Greedy cover of the rest.
  while (rest > 0) {
    std::int32_t best_node = -1, best_count = 0;
    double best_load = 0.0;
    for (std::int32_t i = 0; i < rest; ++i) {
      for (std::int32_t r = 0; r < p.replicas(ids[pending[i]]); ++r) {
        const std::int32_t node = copy_node(p, ids[pending[i]], r);
        std::int32_t count = 0;
        double load = 0.0;
        bool first_copy = true;
        for (std::int32_t i2 = 0; i2 < rest; ++i2) {
          const std::int32_t g = least_loaded_on(p, ids[pending[i2]], node);
          if (g < 0) continue;
          ++count;
          load = first_copy ? load_[static_cast<std::size_t>(g)] : std::min(load, load_[static_cast<std::size_t>(g)]);
          first_copy = false;
        }
        if (count > best_count ||
            (count == best_count && (load < best_load || (load == best_load && node < best_node)))) {
          best_node = node;
          best_count = count;
          best_load = load;
        }
      }
    }
    needed[num_needed++] = best_node;
    rest = assign_covered(rest, [best_node](std::int32_t node) { return node == best_node; });
  }
}

} // namespace moescope
