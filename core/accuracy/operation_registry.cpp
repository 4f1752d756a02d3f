// The registry of validation operations. To add an operation: write a class deriving from OperationPredictor in
// its own file under core/accuracy/, declare its factory below, and add ONE line to the list.
#include "accuracy/operation_predictor.hpp"

namespace moescope {

// Compute predictors (compute_predictors.cpp).
std::unique_ptr<OperationPredictor> make_gemm_predictor();
std::unique_ptr<OperationPredictor> make_grouped_gemm_predictor();
std::unique_ptr<OperationPredictor> make_moe_experts_predictor();
std::unique_ptr<OperationPredictor> make_mla_decode_module_predictor();
std::unique_ptr<OperationPredictor> make_gemm_max_achievable_predictor();
std::unique_ptr<OperationPredictor> make_attention_decode_predictor();
std::unique_ptr<OperationPredictor> make_memory_stream_predictor();
// Network predictors ("nccl_*", "deepep_*"): declare their factories here.
std::unique_ptr<OperationPredictor> make_nccl_all_reduce_predictor();
std::unique_ptr<OperationPredictor> make_nccl_all_gather_predictor();
std::unique_ptr<OperationPredictor> make_nccl_reduce_scatter_predictor();
std::unique_ptr<OperationPredictor> make_nccl_all_to_all_predictor();
std::unique_ptr<OperationPredictor> make_deepep_normal_dispatch_predictor();
std::unique_ptr<OperationPredictor> make_deepep_normal_combine_predictor();
std::unique_ptr<OperationPredictor> make_deepep_low_latency_dispatch_predictor();
std::unique_ptr<OperationPredictor> make_deepep_low_latency_combine_predictor();

const std::vector<std::unique_ptr<OperationPredictor>>& operation_predictors() {
  static const std::vector<std::unique_ptr<OperationPredictor>> all = [] {
    std::vector<std::unique_ptr<OperationPredictor>> v;
    v.push_back(make_gemm_predictor());
    v.push_back(make_grouped_gemm_predictor());
    v.push_back(make_moe_experts_predictor());
    v.push_back(make_mla_decode_module_predictor());
    v.push_back(make_gemm_max_achievable_predictor());
    v.push_back(make_attention_decode_predictor());
    v.push_back(make_memory_stream_predictor());
    // Network predictors: add one v.push_back(make_..._predictor()); line each, here.
    v.push_back(make_nccl_all_reduce_predictor());
    v.push_back(make_nccl_all_gather_predictor());
    v.push_back(make_nccl_reduce_scatter_predictor());
    v.push_back(make_nccl_all_to_all_predictor());
    v.push_back(make_deepep_normal_dispatch_predictor());
    v.push_back(make_deepep_normal_combine_predictor());
    v.push_back(make_deepep_low_latency_dispatch_predictor());
    v.push_back(make_deepep_low_latency_combine_predictor());
    return v;
  }();
  return all;
}

} // namespace moescope
