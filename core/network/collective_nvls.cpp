// Collective algorithm "nvls" (all-reduce, all-gather, reduce-scatter on a switched scale-up fabric, Simple
// protocol): in-switch reduction / multicast (NVLink SHARP); across nodes NVLSTree over the NICs.
#include <cmath>
#include <optional>

#include "network/collective_detail.hpp"

namespace moescope {
namespace {

class NvlsAlgorithm : public CollectiveAlgorithm {
public:
  std::string name() const override { return "nvls"; }
  std::optional<AlgorithmTime> time(const CollectiveContext& c, CollectiveOp op, NcclProtocol p,
                                    double bytes) const override {
    if (p != NcclProtocol::simple || c.topology->params().scale_up_topology != ScaleUpTopology::switched ||
        c.ranks_per_node < 2)
      return std::nullopt;
    if (op != CollectiveOp::all_reduce && op != CollectiveOp::all_gather && op != CollectiveOp::reduce_scatter)
      return std::nullopt;
    // In-switch reduction / multicast: each rank pushes its data to the switch once and pulls the result once.
    const double eff_bw = c.scale_up_bandwidth * NcclConstants::kNvlsEfficiencyHopper;
    const double per_rank = op == CollectiveOp::all_reduce ? bytes : bytes * (c.ranks - 1) / c.ranks;
    double transfer = per_rank / eff_bw;
    double lat = NcclConstants::base_latency(false, p) + NcclConstants::kNvlsHopSeconds;
    if (c.nodes > 1) { // NVLSTree: a tree of nodes over the NICs carrying each node's share
      const double share = bytes / static_cast<double>(c.ranks_per_node);
      transfer += 2.0 * (c.nodes - 1.0) / c.nodes * share / c.scale_out_bandwidth;
      lat += std::ceil(std::log2(static_cast<double>(c.nodes))) * NcclConstants::kNvlsNetworkHopSeconds;
    }
    return AlgorithmTime{lat, transfer};
  }
};

// Self-registration (util/registry.hpp): nothing else names this algorithm.
const Registrar<CollectiveAlgorithm> registered{30, [] { return std::make_unique<NvlsAlgorithm>(); }};

} // namespace

} // namespace moescope
