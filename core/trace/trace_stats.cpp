#include "trace/trace_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace moescope::trace {

namespace {

std::vector<double> to_double(std::span<const std::uint64_t> v) {
  return std::vector<double>(v.begin(), v.end());
}

LayerLoad layer_load(std::int32_t id, std::span<const double> c, std::uint32_t hottest) {
  LayerLoad l;
  l.layer_id = id;
  const double total = std::accumulate(c.begin(), c.end(), 0.0);
  l.selections = static_cast<std::uint64_t>(total);
  for (double v : c)
    l.active_experts += v > 0;
  l.max_over_mean = max_over_mean(c);
  l.cv = coefficient_of_variation(c);
  l.gini = gini(c);
  l.entropy_bits = entropy_bits(c);
  l.normalized_entropy = c.size() > 1 ? l.entropy_bits / std::log2(double(c.size())) : 0;
  std::vector<std::uint32_t> idx(c.size());
  std::iota(idx.begin(), idx.end(), 0u);
  std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return c[a] > c[b]; });
  for (std::size_t i = 0; i < std::min<std::size_t>(hottest, idx.size()); ++i)
    l.hottest.push_back({idx[i], total > 0 ? c[idx[i]] / total : 0});
  return l;
}

double finite_mean(const std::vector<double>& v) {
  double s = 0;
  std::size_t n = 0;
  for (double x : v)
    if (std::isfinite(x)) {
      s += x;
      ++n;
    }
  return n ? s / double(n) : std::numeric_limits<double>::quiet_NaN();
}

// Per-request, per-layer expert counts over a token range: out[layer * E + e].
void count_range(const ExpertTrace& t, TokenRange range, std::vector<double>& out) {
  const std::uint32_t L = t.num_layers(), E = t.num_experts(), K = t.top_k();
  out.assign(std::size_t(L) * E, 0.0);
  const std::uint16_t* p = t.expert_data().data() + range.begin * L * K;
  for (std::uint64_t tok = range.begin; tok < range.end; ++tok)
    for (std::uint32_t l = 0; l < L; ++l)
      for (std::uint32_t k = 0; k < K; ++k)
        out[std::size_t(l) * E + *p++] += 1.0;
}

DriftStats drift_stats(const ExpertTrace& t, const StatsOptions& o) {
  DriftStats d;
  const std::uint32_t L = t.num_layers(), E = t.num_experts();
  const std::size_t R = t.num_requests();
  d.windows = static_cast<std::uint32_t>(std::min<std::size_t>(std::max<std::uint32_t>(o.windows, 2), R));
  if (d.windows < 2) return d;
  d.requests_per_window = static_cast<std::uint32_t>(R / d.windows);
  std::vector<std::vector<double>> win(d.windows);
  std::vector<double> tmp;
  for (std::uint32_t w = 0; w < d.windows; ++w) {
    const std::size_t r0 = R * w / d.windows, r1 = R * (w + 1) / d.windows;
    const TokenRange range{t.request(r0).token_begin, t.request(r1 - 1).tokens().end};
    count_range(t, range, win[w]);
  }
  const std::size_t hot = std::max<std::size_t>(1, E / 10);
  auto hot_set = [&](std::span<const double> c) {
    std::vector<std::uint32_t> idx(c.size());
    std::iota(idx.begin(), idx.end(), 0u);
    std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return c[a] > c[b]; });
    idx.resize(hot);
    std::sort(idx.begin(), idx.end());
    return idx;
  };
  for (std::uint32_t l = 0; l < L; ++l) {
    LayerDrift ld;
    ld.layer_id = t.metadata().moe_layer_ids[l];
    double js_sum = 0, ov_sum = 0;
    for (std::uint32_t w = 0; w < d.windows; ++w) {
      std::span<const double> cur(win[w].data() + std::size_t(l) * E, E);
      ld.window_max_over_mean = std::max(ld.window_max_over_mean, max_over_mean(cur));
      if (w == 0) continue;
      std::span<const double> prev(win[w - 1].data() + std::size_t(l) * E, E);
      const double js = jensen_shannon(prev, cur);
      js_sum += js;
      ld.max_js = std::max(ld.max_js, js);
      const auto a = hot_set(prev), b = hot_set(cur);
      std::vector<std::uint32_t> inter;
      std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(inter));
      ov_sum += double(inter.size()) / double(2 * hot - inter.size());
    }
    ld.mean_js = js_sum / (d.windows - 1);
    ld.hot_set_overlap = ov_sum / (d.windows - 1);
    d.mean_js += ld.mean_js / L;
    d.mean_hot_set_overlap += ld.hot_set_overlap / L;
    d.layers.push_back(ld);
  }
  return d;
}

void js_between_domains(const ExpertCountTrace& c, DomainStats& ds) {
  const std::size_t D = c.domains.size();
  const std::uint32_t L = c.num_layers(), E = c.num_experts();
  ds.js_matrix.assign(D * D, 0.0);
  ds.js_per_layer.assign(L, 0.0);
  std::size_t pairs = 0;
  for (std::size_t a = 0; a < D; ++a)
    for (std::size_t b = a + 1; b < D; ++b) {
      ++pairs;
      double sum = 0;
      for (std::uint32_t l = 0; l < L; ++l) {
        const auto pa = to_double(std::span(c.domains[a].counts).subspan(std::size_t(l) * E, E));
        const auto pb = to_double(std::span(c.domains[b].counts).subspan(std::size_t(l) * E, E));
        const double js = jensen_shannon(pa, pb);
        sum += js;
        ds.js_per_layer[l] += js;
      }
      ds.js_matrix[a * D + b] = ds.js_matrix[b * D + a] = sum / L;
      ds.mean_js += sum / L;
    }
  if (pairs) {
    ds.mean_js /= double(pairs);
    for (auto& v : ds.js_per_layer)
      v /= double(pairs);
  }
}

void classify_domains(const ExpertTrace& t, const StatsOptions& o, DomainStats& ds) {
  const std::size_t D = t.metadata().domains.size();
  const std::uint32_t L = t.num_layers(), E = t.num_experts();
  const RequestSplit split = split_requests(t, o.test_fraction, o.seed);
  if (split.train.empty() || split.test.empty()) return;
  auto vector_of = [&](std::size_t r) {
    std::vector<double> v;
    count_range(t, t.request(r).tokens(), v);
    double norm = 0;
    for (double x : v)
      norm += x * x;
    norm = std::sqrt(norm);
    if (norm > 0)
      for (double& x : v)
        x /= norm;
    return v;
  };
  std::vector<std::vector<double>> centroid(D, std::vector<double>(std::size_t(L) * E, 0.0));
  std::vector<std::size_t> train_n(D, 0);
  for (std::size_t r : split.train) {
    const auto v = vector_of(r);
    auto& c = centroid[t.request(r).domain];
    for (std::size_t i = 0; i < v.size(); ++i)
      c[i] += v[i];
    ++train_n[t.request(r).domain];
  }
  for (auto& c : centroid) {
    double norm = 0;
    for (double x : c)
      norm += x * x;
    norm = std::sqrt(norm);
    if (norm > 0)
      for (double& x : c)
        x /= norm;
  }
  std::vector<std::size_t> test_n(D, 0), correct_n(D, 0);
  std::size_t correct = 0;
  for (std::size_t r : split.test) {
    const auto v = vector_of(r);
    std::size_t best = 0;
    double best_score = -1e300;
    for (std::size_t d = 0; d < D; ++d) {
      if (!train_n[d]) continue;
      double s = 0;
      for (std::size_t i = 0; i < v.size(); ++i)
        s += v[i] * centroid[d][i];
      if (s > best_score) {
        best_score = s;
        best = d;
      }
    }
    const std::size_t truth = t.request(r).domain;
    ++test_n[truth];
    if (best == truth) {
      ++correct;
      ++correct_n[truth];
    }
  }
  ds.classified = true;
  ds.test_fraction = o.test_fraction;
  ds.seed = o.seed;
  ds.train_requests = split.train.size();
  ds.test_requests = split.test.size();
  ds.accuracy = double(correct) / double(split.test.size());
  ds.chance = double(*std::max_element(test_n.begin(), test_n.end())) / double(split.test.size());
  for (std::size_t d = 0; d < D; ++d)
    ds.per_domain_accuracy.push_back(test_n[d] ? double(correct_n[d]) / double(test_n[d])
                                               : std::numeric_limits<double>::quiet_NaN());
}

PhaseStats phase_stats(const ExpertTrace& t) {
  PhaseStats ps;
  const std::uint32_t L = t.num_layers(), E = t.num_experts();
  std::vector<double> agg_p(std::size_t(L) * E, 0), agg_d(std::size_t(L) * E, 0);
  std::vector<std::vector<double>> rp(L), rs(L);
  std::vector<double> p, d;
  for (const auto& req : t.requests()) {
    ps.prefill_tokens += req.prefill_tokens;
    ps.decode_tokens += req.decode_tokens;
    if (req.prefill_tokens == 0 || req.decode_tokens == 0) continue;
    ++ps.requests_with_both;
    count_range(t, req.prefill(), p);
    count_range(t, req.decode(), d);
    for (std::size_t i = 0; i < p.size(); ++i) {
      agg_p[i] += p[i];
      agg_d[i] += d[i];
    }
    for (std::uint32_t l = 0; l < L; ++l) {
      std::span<const double> a(p.data() + std::size_t(l) * E, E), b(d.data() + std::size_t(l) * E, E);
      rp[l].push_back(pearson(a, b));
      rs[l].push_back(spearman(a, b));
    }
  }
  if (ps.requests_with_both == 0) return ps;
  std::vector<double> mp, ms, ap, as;
  for (std::uint32_t l = 0; l < L; ++l) {
    LayerPhaseCorrelation c;
    c.layer_id = t.metadata().moe_layer_ids[l];
    for (double v : rp[l])
      c.requests += std::isfinite(v);
    c.request_pearson = finite_mean(rp[l]);
    c.request_spearman = finite_mean(rs[l]);
    std::span<const double> a(agg_p.data() + std::size_t(l) * E, E), b(agg_d.data() + std::size_t(l) * E, E);
    c.aggregate_pearson = pearson(a, b);
    c.aggregate_spearman = spearman(a, b);
    mp.push_back(c.request_pearson);
    ms.push_back(c.request_spearman);
    ap.push_back(c.aggregate_pearson);
    as.push_back(c.aggregate_spearman);
    ps.layers.push_back(c);
  }
  ps.mean_request_pearson = finite_mean(mp);
  ps.mean_request_spearman = finite_mean(ms);
  ps.mean_aggregate_pearson = finite_mean(ap);
  ps.mean_aggregate_spearman = finite_mean(as);
  return ps;
}

LayerAffinity affinity_from_joint(std::int32_t from, std::int32_t to, std::span<const double> joint, std::uint32_t E) {
  LayerAffinity a;
  a.from_layer = from;
  a.to_layer = to;
  a.mutual_information_bits = mutual_information_bits(joint, E, E);
  std::vector<double> px(E, 0), py(E, 0);
  double total = 0;
  for (std::uint32_t x = 0; x < E; ++x)
    for (std::uint32_t y = 0; y < E; ++y) {
      const double v = joint[std::size_t(x) * E + y];
      px[x] += v;
      py[y] += v;
      total += v;
    }
  const double hmin = std::min(entropy_bits(px), entropy_bits(py));
  a.normalized_mi = hmin > 0 ? a.mutual_information_bits / hmin : 0;
  if (total > 0) {
    double top = 0;
    for (std::uint32_t x = 0; x < E; ++x) {
      double m = 0;
      for (std::uint32_t y = 0; y < E; ++y)
        m = std::max(m, joint[std::size_t(x) * E + y]);
      top += m;
    }
    a.top_successor_share = top / total;
    a.baseline_top_share = *std::max_element(py.begin(), py.end()) / total;
  }
  return a;
}

CoactivationStats coactivation_tokens(const ExpertTrace& t, const StatsOptions& o) {
  CoactivationStats cs;
  const std::uint32_t L = t.num_layers(), E = t.num_experts(), K = t.top_k();
  const std::uint64_t N = t.num_tokens();
  const std::uint16_t* data = t.expert_data().data();
  std::vector<std::uint64_t> pair(std::size_t(E) * E), single(E);
  for (std::uint32_t l = 0; l < L; ++l) {
    LayerCoactivation lc;
    lc.layer_id = t.metadata().moe_layer_ids[l];
    if (K >= 2) {
      std::fill(pair.begin(), pair.end(), 0);
      std::fill(single.begin(), single.end(), 0);
      for (std::uint64_t tok = 0; tok < N; ++tok) {
        const std::uint16_t* e = data + (tok * L + l) * K;
        for (std::uint32_t i = 0; i < K; ++i) {
          ++single[e[i]];
          for (std::uint32_t j = i + 1; j < K; ++j) {
            const std::uint32_t a = std::min(e[i], e[j]), b = std::max(e[i], e[j]);
            ++pair[std::size_t(a) * E + b];
          }
        }
      }
      std::vector<std::pair<std::uint64_t, std::uint32_t>> items;
      std::vector<double> nonzero;
      for (std::uint32_t a = 0; a < E; ++a)
        for (std::uint32_t b = a + 1; b < E; ++b) {
          const auto c = pair[std::size_t(a) * E + b];
          lc.pairs += c;
          if (c) {
            items.push_back({c, a * E + b});
            nonzero.push_back(double(c));
          }
        }
      const std::size_t take = std::min<std::size_t>(o.top_pairs, items.size());
      std::partial_sort(items.begin(), items.begin() + take, items.end(), [](const auto& x, const auto& y) {
        return x.first > y.first || (x.first == y.first && x.second < y.second);
      });
      for (std::size_t i = 0; i < take; ++i) {
        ExpertPair p;
        p.a = items[i].second / E;
        p.b = items[i].second % E;
        p.count = items[i].first;
        const double pa = double(single[p.a]) / double(N), pb = double(single[p.b]) / double(N);
        p.lift = pa > 0 && pb > 0 ? (double(p.count) / double(N)) / (pa * pb) : 0;
        lc.top_pairs.push_back(p);
      }
      if (lc.pairs) lc.top_pair_share = take ? double(items[0].first) / double(lc.pairs) : 0;
      const double possible = double(E) * (E - 1) / 2.0;
      lc.pair_entropy_ratio = possible > 1 ? entropy_bits(nonzero) / std::log2(possible) : 0;
    }
    cs.within.push_back(lc);
  }
  // Consecutive MoE layers: the joint distribution of (expert at l, expert at l+1) over tokens, every slot
  // combination counted (k x k per token).
  std::vector<double> joint(std::size_t(E) * E);
  for (std::uint32_t l = 0; l + 1 < L; ++l) {
    std::vector<std::uint64_t> j(std::size_t(E) * E, 0);
    for (std::uint64_t tok = 0; tok < N; ++tok) {
      const std::uint16_t* a = data + (tok * L + l) * K;
      const std::uint16_t* b = a + K;
      for (std::uint32_t x = 0; x < K; ++x) {
        std::uint64_t* row = j.data() + std::size_t(a[x]) * E;
        for (std::uint32_t y = 0; y < K; ++y)
          ++row[b[y]];
      }
    }
    for (std::size_t i = 0; i < j.size(); ++i)
      joint[i] = double(j[i]);
    cs.cross.push_back(affinity_from_joint(t.metadata().moe_layer_ids[l], t.metadata().moe_layer_ids[l + 1], joint, E));
  }
  double s = 0;
  for (const auto& a : cs.cross)
    s += a.normalized_mi;
  cs.mean_normalized_mi = cs.cross.empty() ? 0 : s / double(cs.cross.size());
  return cs;
}

CoactivationStats coactivation_counts(const ExpertCountTrace& c) {
  CoactivationStats cs;
  const std::uint32_t E = c.num_experts();
  // Sum the pair matrices over domains per (from, to) link.
  std::vector<std::pair<std::pair<std::uint32_t, std::uint32_t>, std::vector<double>>> links;
  for (const auto& p : c.pairs) {
    auto it = std::find_if(links.begin(), links.end(),
                           [&](const auto& l) { return l.first == std::make_pair(p.from_layer, p.to_layer); });
    if (it == links.end()) {
      links.push_back({{p.from_layer, p.to_layer}, std::vector<double>(std::size_t(E) * E, 0)});
      it = links.end() - 1;
    }
    for (std::size_t i = 0; i < p.matrix.size(); ++i)
      it->second[i] += double(p.matrix[i]);
  }
  for (const auto& [ft, m] : links)
    if (ft.first != ft.second)
      cs.cross.push_back(
          affinity_from_joint(c.metadata.moe_layer_ids[ft.first], c.metadata.moe_layer_ids[ft.second], m, E));
  double s = 0;
  for (const auto& a : cs.cross)
    s += a.normalized_mi;
  cs.mean_normalized_mi = cs.cross.empty() ? 0 : s / double(cs.cross.size());
  return cs;
}

} // namespace

TraceStats compute_stats(const AnyTrace& any, const StatsOptions& o) {
  TraceStats st;
  const ExpertTrace* tok = std::get_if<ExpertTrace>(&any);
  const ExpertCountTrace counts = tok ? aggregate_counts(*tok) : std::get<ExpertCountTrace>(any);
  const auto& m = counts.metadata;
  st.model = m.model;
  st.kind = tok ? "tokens" : "counts";
  st.source_format = m.source_format;
  st.num_layers = m.num_layers();
  st.num_experts = m.num_experts;
  st.top_k = m.top_k;
  st.requests = tok ? tok->num_requests() : 0;
  if (tok) {
    st.tokens = tok->num_tokens();
  } else {
    for (const auto& d : counts.domains)
      st.tokens += d.tokens;
  }
  const auto total = counts.total_counts();
  const std::uint32_t E = m.num_experts;
  for (std::uint32_t l = 0; l < m.num_layers(); ++l) {
    const auto c = to_double(std::span(total).subspan(std::size_t(l) * E, E));
    st.layers.push_back(layer_load(m.moe_layer_ids[l], c, o.hottest));
    st.mean_max_over_mean += st.layers.back().max_over_mean / m.num_layers();
    st.mean_cv += st.layers.back().cv / m.num_layers();
    st.mean_gini += st.layers.back().gini / m.num_layers();
    st.mean_normalized_entropy += st.layers.back().normalized_entropy / m.num_layers();
  }
  if (tok && tok->num_requests() >= 2) st.drift = drift_stats(*tok, o);
  if (counts.domains.size() >= 2) {
    DomainStats ds;
    ds.domains = m.domains;
    for (const auto& d : counts.domains)
      ds.tokens.push_back(d.tokens);
    ds.requests.assign(m.domains.size(), 0);
    if (tok)
      for (const auto& r : tok->requests())
        ++ds.requests[r.domain];
    js_between_domains(counts, ds);
    if (tok) classify_domains(*tok, o, ds);
    st.domains = std::move(ds);
  }
  if (tok) {
    PhaseStats ps = phase_stats(*tok);
    if (ps.requests_with_both > 0) st.phases = std::move(ps);
  }
  // Pair matrices are E x E: skipped for implausibly large expert counts (more than 4096).
  if (o.coactivation && m.num_experts <= 4096) {
    if (tok)
      st.coactivation = coactivation_tokens(*tok, o);
    else if (!counts.pairs.empty())
      st.coactivation = coactivation_counts(counts);
  }
  return st;
}

} // namespace moescope::trace
