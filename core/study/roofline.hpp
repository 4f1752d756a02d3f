#pragma once
// The roofline behind an evaluation at three levels: every operator against HBM (FLOP per HBM byte), and every
// layer type against HBM, the scale-up fabric (FLOP per NVLink byte) and the scale-out fabric (FLOP per NIC byte),
// with the device's roofs. Read from the step model's result; nothing is re-timed.
#include <map>
#include <string>
#include <vector>

#include "study/session.hpp"

namespace moescope {

enum class RooflineLevel { hbm, scale_up, scale_out };
std::string to_string(RooflineLevel level); // "hbm", "scale-up", "scale-out"

struct RooflinePoint {
  Phase phase = Phase::decode;
  std::string layer_type; // "dense", "moe", "mtp"; "outer" for embedding, final norm and LM head
  std::string name;       // operator name, or "layer" for a whole layer (one occurrence)
  RooflineLevel level = RooflineLevel::hbm;
  DataType compute_dtype = DataType::bf16; // operators: tensor-core type; layers: that of most of their FLOPs
  double flop = 0;
  double bytes = 0;   // per GPU over the level's resource: HBM traffic, or dispatch + combine bytes on the fabric
  double seconds = 0; // the operator's time, or the layer's under the configured overlap
  // Operators: the compute engine's bound ("compute", "memory", "launch"). Layers: the roof whose time is longest
  // at peak ("compute", "hbm", "scale-up", "scale-out").
  std::string bound;

  double flop_per_byte() const { return bytes > 0 ? flop / bytes : 0.0; }
  double attained_flop_per_s() const { return seconds > 0 ? flop / seconds : 0.0; }
};

struct Roofline {
  std::map<DataType, double> compute_flop_per_s; // peak dense, per data type
  double hbm_bytes_per_s = 0;
  double scale_up_bytes_per_s = 0;  // per GPU, one direction, achievable
  double scale_out_bytes_per_s = 0; // per GPU over its NICs; 0 without a scale-out network
  std::vector<RooflinePoint> points;
};

// Points of the evaluated phases (operators with no FLOPs or no bytes are left out: they have no place on log axes).
Roofline evaluation_roofline(const Evaluation& e);

} // namespace moescope
