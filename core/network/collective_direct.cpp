// Collective algorithm "direct" (all-to-all, send/recv): every rank sends to every other at once, the node-local part
// over the scale-up port and the rest over its NIC.
#include <algorithm>
#include <optional>

#include "network/collective_detail.hpp"

namespace moescope {
namespace {

class DirectAlgorithm : public CollectiveAlgorithm {
public:
  std::string name() const override { return "direct"; }
  std::optional<AlgorithmTime> time(const CollectiveContext& c, CollectiveOp op, NcclProtocol p,
                                    double bytes) const override {
    const double eff = NcclConstants::protocol_efficiency(p);
    if (op == CollectiveOp::send_recv) {
      const bool remote = c.ranks_per_node < 2;
      const double bw = (remote ? c.scale_out_bandwidth : c.scale_up_bandwidth) * eff;
      const double lat = NcclConstants::base_latency(false, p) +
                         (remote ? NcclConstants::network_hop(false, p) : NcclConstants::nvlink_hop(false, p));
      return AlgorithmTime{lat, bytes / bw};
    }
    if (op != CollectiveOp::all_to_all) return std::nullopt;
    // Every rank sends size/n to each other rank at once: the node-local part over the scale-up port, the rest
    // over its NIC; the slower of the two sets the time.
    const double n = static_cast<double>(c.ranks);
    const double intra = bytes * static_cast<double>(c.ranks_per_node - 1) / n;
    const double inter = bytes * (n - static_cast<double>(c.ranks_per_node)) / n;
    double transfer = intra / (c.scale_up_bandwidth * eff);
    if (inter > 0.0) transfer = std::max(transfer, inter / (c.scale_out_bandwidth * eff));
    const double lat = NcclConstants::base_latency(false, p) +
                       (c.nodes > 1 ? NcclConstants::network_hop(false, p) : NcclConstants::nvlink_hop(false, p));
    return AlgorithmTime{lat, transfer};
  }
};

// Self-registration (util/registry.hpp): nothing else names this algorithm.
const Registrar<CollectiveAlgorithm> registered{40, [] { return std::make_unique<DirectAlgorithm>(); }};

} // namespace

} // namespace moescope
