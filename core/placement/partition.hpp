#pragma once
// Balanced k-way graph partition for expert co-location: vertices = experts, edge weights = co-activation counts,
// vertex weights = loads. Every part gets at most `capacity` vertices (parts x capacity >= vertices); the cut (edge
// weight between parts) is minimised by greedy growth then Kernighan-Lin pairwise swaps (best gain first), keeping
// each part's load within load_cap x mean when the start allows it (a swap never raises the larger of the two loads
// above that bound).
#include <cstdint>
#include <span>
#include <vector>

namespace moescope::placement {

struct PartitionOptions {
  double load_cap = 1.05;     // part load <= load_cap x mean part load
  std::int32_t max_swaps = 0; // 0 = 2 x vertices
};

// W: [n][n] symmetric, zero diagonal. Returns the part of each vertex.
std::vector<std::int32_t> balanced_partition(const float* W, std::span<const double> vertex_weight, std::int32_t parts,
                                             std::int32_t capacity, const PartitionOptions& options = {});
// Kernighan-Lin refinement of an existing partition (same rules).
void refine_partition(const float* W, std::span<const double> vertex_weight, std::int32_t parts,
                      std::vector<std::int32_t>& part, const PartitionOptions& options = {});
// Cut weight of a partition.
double partition_cut(const float* W, std::size_t n, const std::vector<std::int32_t>& part);

} // namespace moescope::placement
