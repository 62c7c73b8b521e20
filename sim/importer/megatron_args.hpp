#pragma once
// The part of Megatron-LM's argument namespace that decides the simulated iteration, with
// Megatron-LM's defaults. The flag table (megatron_flags.cpp) fills it; megatron_import.cpp
// turns it into a training job. Each field remembers the flag that set it, so that a later
// check can name the flag the user wrote.
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace trainsim::importer {

// A value with the flag use that set it (empty `flag`: Megatron-LM's default).
template <class T>
struct Set {
  T value{};
  std::string flag{};
  SourceLocation where{};
  bool given() const { return !flag.empty(); }
};

struct MegatronArgs {
  // Model shape.
  Set<int> num_layers, hidden_size, num_attention_heads, ffn_hidden_size, kv_channels, seq_length,
      max_position_embeddings, num_query_groups;
  Set<bool> group_query_attention;
  // Layer traits: trainsim's two model families fix them together (docs/import.md).
  Set<bool> swiglu;
  Set<std::string> normalization{"LayerNorm"};
  Set<bool> apply_layernorm_1p;
  Set<std::string> position_embedding_type{"learned_absolute"};
  Set<bool> add_bias_linear{true};
  Set<bool> add_qkv_bias;
  Set<double> hidden_dropout{0.1}, attention_dropout{0.1};
  Set<bool> untie_embeddings_and_output_weights;
  // Vocabulary: padded as Megatron-LM pads it (tokenizer size up to a multiple of
  // make_vocab_size_divisible_by x tp).
  Set<int> vocab_size, padded_vocab_size, make_vocab_size_divisible_by{128};
  Set<std::string> tokenizer_type;
  Set<bool> merge_file;  // GPT-2 BPE files given (--vocab-file with --merge-file)
  // Parallelism.
  Set<int> tensor_model_parallel_size{1}, pipeline_model_parallel_size{1}, context_parallel_size{1},
      expert_model_parallel_size{1};
  Set<int> num_layers_per_virtual_pipeline_stage, num_virtual_stages_per_pipeline_rank;
  Set<int> decoder_first_pipeline_num_layers, decoder_last_pipeline_num_layers;
  Set<int> num_experts;
  // Mixture of experts (Megatron-Core's --moe-* flags; docs/import.md, "Mixture of experts").
  Set<int> expert_tensor_parallel_size, moe_router_topk{2}, moe_ffn_hidden_size, moe_shared_expert_intermediate_size;
  Set<std::vector<int>> moe_layer_freq{{-1}};  // {-N}: every N-th layer (Megatron-LM default 1); or 0/1 per layer
  Set<std::string> moe_router_score_function{"softmax"}, moe_token_dispatcher_type{"allgather"};
  Set<double> moe_expert_capacity_factor;
  Set<bool> moe_pad_expert_input_to_capacity, moe_grouped_gemm, moe_enable_deepep;
  Set<int> moe_router_num_groups, moe_router_group_topk, moe_router_topk_limited_devices;
  // Multi-head latent attention.
  Set<bool> multi_latent_attention;
  Set<int> q_lora_rank, kv_lora_rank{32}, qk_head_dim{128}, qk_pos_emb_head_dim{64}, v_head_dim{128};
  // Context parallelism's exchange (--cp-comm-type).
  Set<std::string> cp_comm_type{"p2p"};
  // Pipeline split counting the embedding / the loss as a layer.
  Set<bool> account_for_embedding_in_pipeline_split, account_for_loss_in_pipeline_split;
  Set<bool> standalone_embedding_stage;  // 2022 flag: the first stage holds the embedding alone
  Set<std::string> pipeline_model_parallel_layout;
  // FP8 GEMMs (--fp8-format e4m3 | hybrid).
  Set<std::string> fp8_format;
  // Batches.
  Set<int> micro_batch_size, global_batch_size;
  // Recomputation (current flags and the 2021 ones).
  Set<std::string> recompute_granularity, recompute_method;
  Set<int> recompute_num_layers{1};
  // Communication and memory.
  Set<bool> sequence_parallel, use_distributed_optimizer, overlap_grad_reduce, overlap_param_gather, tp_comm_overlap;
  Set<bool> use_torch_fsdp2;
  Set<long long> ddp_bucket_size;  // parameters per bucket
  Set<std::string> ddp_impl;        // 2021: local | torch
  Set<bool> scatter_gather_tensors_in_pipeline{true};
  // Kernels.
  Set<bool> use_flash_attn, bias_dropout_fusion{true};
  Set<std::string> transformer_impl, attention_backend;
  Set<bool> use_legacy_models;
  // Precision.
  Set<bool> fp16, bf16, grad_reduce_in_bf16, accumulate_allreduce_grads_in_fp32;
  // Optimizer.
  Set<std::string> optimizer{"adam"};
  // Megatron-LM flags removed in 2023 seen on the line (the first one, for the note).
  Set<bool> pre_core;
};

// Megatron-LM's default data-parallel bucket: max(40M, 1M x dp) parameters, dp the data-parallel
// size with context parallelism (dp x cp: megatron/core/distributed's
// get_data_parallel_world_size(with_context_parallel=True)), in bytes of 16-bit gradients.
inline double megatron_default_bucket_bytes(int dp) { return (dp > 40 ? 1e6 * dp : 40e6) * 2; }

}  // namespace trainsim::importer
