#include "compute/operators.hpp"

#include <algorithm>
#include <numeric>

namespace moescope {

double stored_bytes(double elements, DataType t) {
  return elements * (bytes_per_element(t) + scale_bytes_per_element(t));
}

namespace {
// Activations enter a GEMM in the weights' type when that is narrower than bf16 (quantized on the fly), else bf16.
DataType gemm_input_type(DataType weight_dtype) {
  return bytes_per_element(weight_dtype) < bytes_per_element(DataType::bf16) ? weight_dtype : DataType::bf16;
}
} // namespace

OperatorWork dense_gemm(std::string name, std::string component, std::int64_t m, std::int64_t n, std::int64_t k,
                        DataType weight_dtype, DataType output_dtype) {
  OperatorWork w;
  w.name = std::move(name);
  w.component = std::move(component);
  w.kind = OperatorKind::gemm;
  w.compute_dtype = weight_dtype;
  const double M = static_cast<double>(m), N = static_cast<double>(n), K = static_cast<double>(k);
  w.flop = 2.0 * M * N * K;
  w.weight_bytes = stored_bytes(N * K, weight_dtype);
  w.activation_bytes =
      M * K * bytes_per_element(gemm_input_type(weight_dtype)) + M * N * bytes_per_element(output_dtype);
  w.gemm.m_per_group = {m};
  w.gemm.n = n;
  w.gemm.k = k;
  return w;
}

OperatorWork grouped_gemm(std::string name, std::string component, const std::vector<std::int64_t>& tokens_per_expert,
                          std::int64_t n, std::int64_t k, DataType weight_dtype, GroupedLayout layout,
                          DataType output_dtype) {
  OperatorWork w;
  w.name = std::move(name);
  w.component = std::move(component);
  w.kind = OperatorKind::grouped_gemm;
  w.compute_dtype = weight_dtype;
  double rows = 0, active = 0;
  for (std::int64_t t : tokens_per_expert) {
    if (t <= 0) continue;
    rows += static_cast<double>(t);
    active += 1;
  }
  const double N = static_cast<double>(n), K = static_cast<double>(k);
  w.flop = 2.0 * rows * N * K;
  w.weight_bytes = active * stored_bytes(N * K, weight_dtype);
  w.activation_bytes =
      rows * K * bytes_per_element(gemm_input_type(weight_dtype)) + rows * N * bytes_per_element(output_dtype);
  w.gemm.m_per_group = tokens_per_expert;
  w.gemm.n = n;
  w.gemm.k = k;
  w.gemm.layout = layout;
  return w;
}

std::vector<OperatorWork> grouped_gemm_kernel_per_group(std::string name, std::string component,
                                                        const std::vector<std::int64_t>& tokens_per_expert,
                                                        std::int64_t n, std::int64_t k, DataType weight_dtype,
                                                        DataType output_dtype) {
  std::vector<OperatorWork> kernels;
  for (std::size_t g = 0; g < tokens_per_expert.size(); ++g) {
    if (tokens_per_expert[g] <= 0) continue; // an expert without tokens launches nothing
    kernels.push_back(dense_gemm(name + "[" + std::to_string(g) + "]", component, tokens_per_expert[g], n, k,
                                 weight_dtype, output_dtype));
  }
  return kernels;
}

OperatorWork batched_gemm(std::string name, std::string component, std::int64_t batch, std::int64_t m, std::int64_t n,
                          std::int64_t k, DataType dtype) {
  OperatorWork w;
  w.name = std::move(name);
  w.component = std::move(component);
  w.kind = OperatorKind::batched_gemm;
  w.compute_dtype = dtype;
  const double B = static_cast<double>(batch), M = static_cast<double>(m), N = static_cast<double>(n),
               K = static_cast<double>(k);
  w.flop = 2.0 * B * M * N * K;
  w.weight_bytes = B * stored_bytes(N * K, dtype);
  w.activation_bytes = B * (M * K + M * N) * bytes_per_element(dtype);
  w.gemm.m_per_group.assign(static_cast<std::size_t>(std::max<std::int64_t>(batch, 0)), m);
  w.gemm.n = n;
  w.gemm.k = k;
  return w;
}

OperatorWork elementwise(std::string name, std::string component, double read_elements, DataType read_dtype,
                         double write_elements, DataType write_dtype, double flop_per_element, double kernels) {
  OperatorWork w;
  w.name = std::move(name);
  w.component = std::move(component);
  w.kind = OperatorKind::elementwise;
  w.compute_dtype = DataType::fp32;
  w.flop = read_elements * flop_per_element;
  w.activation_bytes = stored_bytes(read_elements, read_dtype) + stored_bytes(write_elements, write_dtype);
  w.kernels = kernels;
  return w;
}

OperatorWork memory_stream(std::string name, std::string component, double read_bytes, double write_bytes) {
  OperatorWork w;
  w.name = std::move(name);
  w.component = std::move(component);
  w.kind = OperatorKind::elementwise;
  w.compute_dtype = DataType::fp32;
  w.flop = 0;
  w.activation_bytes = std::max(0.0, read_bytes) + std::max(0.0, write_bytes);
  w.kernels = 1;
  return w;
}

OperatorWork rms_norm(std::string name, std::string component, std::int64_t tokens, std::int64_t width,
                      DataType dtype) {
  const double e = static_cast<double>(tokens) * static_cast<double>(width);
  OperatorWork w = elementwise(std::move(name), std::move(component), e, dtype, e, dtype, 4.0);
  w.weight_bytes = static_cast<double>(width) * bytes_per_element(dtype);
  return w;
}

OperatorWork embedding_lookup(std::string name, std::int64_t tokens, std::int64_t hidden, DataType dtype) {
  OperatorWork w;
  w.name = std::move(name);
  w.component = "embedding";
  w.kind = OperatorKind::embedding;
  const double e = static_cast<double>(tokens) * static_cast<double>(hidden);
  w.weight_bytes = e * bytes_per_element(dtype); // the rows looked up
  w.activation_bytes = e * bytes_per_element(dtype);
  return w;
}

OperatorWork attention_op(std::string name, std::string component, const AttentionParams& p) {
  OperatorWork w;
  w.name = std::move(name);
  w.component = std::move(component);
  w.kind = OperatorKind::attention;
  w.compute_dtype = DataType::bf16;
  const double B = static_cast<double>(p.batch), q = static_cast<double>(p.query_tokens),
               L = static_cast<double>(p.kv_length);
  const double cached = std::max(0.0, L - q);
  const double keys_seen = p.causal ? q * cached + q * (q + 1) / 2.0 : q * L;
  w.flop = 2.0 * B * static_cast<double>(p.q_heads) * keys_seen * static_cast<double>(p.qk_dim + p.v_dim);
  const double kv_per_token = static_cast<double>(p.kv_heads) * static_cast<double>(p.kv_stored_per_head);
  // The whole context (new tokens included) is read once per KV head; the new tokens' entries are written.
  w.kv_bytes = B * (L + q) * stored_bytes(kv_per_token, p.kv_dtype);
  w.activation_bytes = B * q * static_cast<double>(p.q_heads) * static_cast<double>(p.qk_dim + p.v_dim) *
                       bytes_per_element(p.activation_dtype);
  w.attention.batch = p.batch;
  w.attention.query_rows = p.query_tokens * (p.q_heads / std::max<std::int64_t>(p.kv_heads, 1));
  w.attention.kv_groups = p.kv_heads;
  w.attention.kv_length = p.kv_length;
  w.attention.qk_dim = p.qk_dim;
  w.attention.v_dim = p.v_dim;
  w.attention.causal_prefill = p.query_tokens > 1;
  return w;
}

} // namespace moescope
