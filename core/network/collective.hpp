#pragma once
// Collectives (all-reduce, all-gather, reduce-scatter, all-to-all, send/recv) on a Topology: algorithms ring,
// tree, NVLS (in-switch reduction), direct and hierarchical, each a strategy in its own collective_<name>.cpp that
// registers itself (util/registry.hpp; core/network/README.md: adding one); NCCL's per-protocol
// latency constants (LL / LL128 / Simple) and protocol bandwidth efficiencies; a calibrated mode that uses the
// per-size regimes of hwdb/calibrations/<system>-network.json. See docs/network-model.md.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "network/topology.hpp"

namespace moescope {

struct NetworkCalibration;

enum class CollectiveOp { all_reduce, all_gather, reduce_scatter, all_to_all, send_recv };
std::string to_string(CollectiveOp op);
std::optional<CollectiveOp> parse_collective_op(const std::string& name);

enum class NcclProtocol { ll, ll128, simple };
std::string to_string(NcclProtocol p);

// Bus bytes per rank as nccl-tests defines them: all-reduce 2(n-1)/n x size; all-gather, reduce-scatter and
// all-to-all (n-1)/n x size; send/recv 1 x size. `size` is nccl-tests' message size: the full buffer (all-reduce),
// the gathered output (all-gather), the input to be scattered (reduce-scatter), one rank's send buffer (all-to-all).
double bus_bytes_factor(CollectiveOp op, std::int64_t ranks);

// NCCL's latency constants (src/graph/tuning.cc; ../shared/reference/measurements/nccl_facts.md), seconds.
struct NcclConstants {
  static double base_latency(bool tree, NcclProtocol p);
  static double nvlink_hop(bool tree, NcclProtocol p);
  static double network_hop(bool tree, NcclProtocol p);
  static constexpr double kNvlsHopSeconds = 25e-6;
  static constexpr double kNvlsNetworkHopSeconds = 18e-6;
  static constexpr double kNvlsEfficiencyHopper = 0.85;
  // Fraction of link bandwidth each protocol carries as payload: LL 8-byte lines with 4 data bytes, LL128
  // 120 of 128 bytes, Simple all of it.
  static double protocol_efficiency(NcclProtocol p);
};

struct CollectiveRequest {
  CollectiveOp op = CollectiveOp::all_reduce;
  std::int64_t ranks = 2;
  double bytes = 0.0;                   // nccl-tests message size (see bus_bytes_factor)
  std::string algorithm = "auto";       // "auto" or a registered algorithm name
  std::optional<NcclProtocol> protocol; // fixed protocol; default: the fastest
};

struct CollectiveEstimate {
  double seconds = 0.0;
  double latency_seconds = 0.0;
  double transfer_seconds = 0.0;
  double bus_bytes = 0.0;
  double bus_bandwidth_bytes_per_s = 0.0; // nccl-tests busbw: bus bytes / seconds
  std::string algorithm;
  NcclProtocol protocol = NcclProtocol::simple;
  bool calibrated = false;
};

// Ranks 0..ranks-1 of the topology: ranks_per_node = min(ranks, gpus_per_node), nodes = ceil(ranks / that).
struct CollectiveContext {
  const Topology* topology = nullptr;
  std::int64_t ranks = 0;
  std::int64_t ranks_per_node = 0;
  std::int64_t nodes = 0;
  double scale_up_bandwidth = 0.0;  // per GPU, achievable, one direction
  double scale_out_bandwidth = 0.0; // per GPU (its NIC share), achievable, one direction
};

struct AlgorithmTime {
  double latency_seconds = 0.0;
  double transfer_seconds = 0.0;
};

class CollectiveAlgorithm {
public:
  virtual ~CollectiveAlgorithm() = default;
  virtual std::string name() const = 0;
  // nullopt when the algorithm does not implement `op` on this topology / protocol.
  virtual std::optional<AlgorithmTime> time(const CollectiveContext& ctx, CollectiveOp op, NcclProtocol p,
                                            double bytes) const = 0;
};

// Every registered algorithm (Registry<CollectiveAlgorithm>), in registration order: "auto" keeps the earlier of
// two equally fast ones.
const std::vector<std::unique_ptr<CollectiveAlgorithm>>& collective_algorithms();
const CollectiveAlgorithm* find_collective_algorithm(const std::string& name);

// Speed-of-light (NCCL-constant) estimate, the fastest algorithm x protocol unless the request fixes them.
// With a calibration that covers the op and rank count (one node), the calibrated regimes are used instead.
// Throws std::invalid_argument for an unknown algorithm or one that does not implement the op.
CollectiveEstimate estimate_collective(const Topology& topo, const CollectiveRequest& request,
                                       const NetworkCalibration* calibration = nullptr);

} // namespace moescope
