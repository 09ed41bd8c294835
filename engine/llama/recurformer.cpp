// RecurFormer: a Llama/Qwen2-style decoder in which, per layer, the KV groups whose heads
// only look at recent tokens were replaced by one Mamba-2 branch. Attention keeps the other
// heads (so the KV cache holds only those); the Mamba-2 branch reads the same normed input and
// its output is added to the attention output ("parallel hybrid", like falcon-h1.cpp, with
// per-layer head counts). Layers with nothing replaced have no branch and no recurrent state.
//
// GGUF format: engine/llama/README.md in the RecurFormer Desktop repository.

#include "models.h"

#include <stdexcept>
#include <string>

namespace {

// keys of ours that llama.cpp has no enum for: read them straight from the GGUF metadata
bool recurformer_get_u32(const llama_model_loader & ml, const char * key, uint32_t & out) {
    const int64_t id = gguf_find_key(ml.metadata, key);
    if (id < 0) {
        return false;
    }
    if (gguf_get_kv_type(ml.metadata, id) != GGUF_TYPE_UINT32) {
        throw std::runtime_error(format("recurformer: key %s must be a uint32", key));
    }
    out = gguf_get_val_u32(ml.metadata, id);
    return true;
}

std::string recurformer_get_str(const llama_model_loader & ml, const char * key) {
    const int64_t id = gguf_find_key(ml.metadata, key);
    if (id < 0 || gguf_get_kv_type(ml.metadata, id) != GGUF_TYPE_STRING) {
        return "";
    }
    return gguf_get_val_str(ml.metadata, id);
}

} // namespace

llama_rope_type llama_model_recurformer::rope_type_of(const llama_model * model) {
    const auto * rf = dynamic_cast<const llama_model_recurformer *>(model);
    return rf ? rf->rope_type_meta : LLAMA_ROPE_TYPE_NORM;
}

void llama_model_recurformer::load_arch_hparams(llama_model_loader & ml) {
    ml.get_key(LLM_KV_ATTENTION_LAYERNORM_RMS_EPS, hparams.f_norm_rms_eps);

    // Mamba-2 branch shape, the same in every layer that has one
    ml.get_key(LLM_KV_SSM_CONV_KERNEL,    hparams.ssm_d_conv);
    ml.get_key(LLM_KV_SSM_INNER_SIZE,     hparams.ssm_d_inner);
    ml.get_key(LLM_KV_SSM_STATE_SIZE,     hparams.ssm_d_state);
    ml.get_key(LLM_KV_SSM_TIME_STEP_RANK, hparams.ssm_dt_rank);
    ml.get_key(LLM_KV_SSM_GROUP_COUNT,    hparams.ssm_n_group);

    const std::string rope = recurformer_get_str(ml, "recurformer.rope.type");
    if (rope.empty() || rope == "norm") {
        rope_type_meta = LLAMA_ROPE_TYPE_NORM;
    } else if (rope == "neox") {
        rope_type_meta = LLAMA_ROPE_TYPE_NEOX;
    } else {
        throw std::runtime_error(format("recurformer: unknown recurformer.rope.type '%s' (expected 'norm' or 'neox')", rope.c_str()));
    }

    uint32_t src_heads = 0;
    uint32_t src_heads_kv = 0;
    if (!recurformer_get_u32(ml, "recurformer.source.head_count", src_heads) ||
        !recurformer_get_u32(ml, "recurformer.source.head_count_kv", src_heads_kv)) {
        throw std::runtime_error("recurformer: key recurformer.source.head_count or recurformer.source.head_count_kv is missing");
    }

    const uint32_t n_layer = hparams.n_layer();
    const uint32_t hd      = hparams.n_embd_head_v();
    bool any_branch = false;

    for (uint32_t il = 0; il < n_layer; ++il) {
        const uint32_t nq  = hparams.n_head(il);
        const uint32_t nkv = hparams.n_head_kv(il);
        if (nq == 0 || nkv == 0 || nq % nkv != 0) {
            throw std::runtime_error(format("recurformer: layer %u keeps %u query heads over %u KV heads; "
                                            "every layer must keep at least one whole KV group", il, nq, nkv));
        }
        if (nq > src_heads || nkv > src_heads_kv) {
            throw std::runtime_error(format("recurformer: layer %u keeps %u/%u heads, more than the source's %u/%u",
                                            il, nq, nkv, src_heads, src_heads_kv));
        }

        const bool branch = nq < src_heads;
        hparams.is_recr_impl[il] = branch;
        if (!branch) {
            continue;
        }
        any_branch = true;

        if (src_heads - nq != hparams.ssm_dt_rank || src_heads_kv - nkv != hparams.ssm_n_group) {
            throw std::runtime_error(format("recurformer: layer %u replaced %u query heads in %u KV groups, "
                                            "but ssm.time_step_rank = %u and ssm.group_count = %u",
                                            il, src_heads - nq, src_heads_kv - nkv, hparams.ssm_dt_rank, hparams.ssm_n_group));
        }
    }

    if (any_branch) {
        if (hparams.ssm_d_conv < 2 || hparams.ssm_d_state == 0 || hparams.ssm_n_group == 0 ||
            hparams.ssm_dt_rank % hparams.ssm_n_group != 0 || hparams.ssm_d_inner != hparams.ssm_dt_rank * hd) {
            throw std::runtime_error(format("recurformer: inconsistent ssm shape (conv %u, inner %u, state %u, heads %u, groups %u, head dim %u); "
                                            "ssm.inner_size must be ssm.time_step_rank x head dim",
                                            hparams.ssm_d_conv, hparams.ssm_d_inner, hparams.ssm_d_state,
                                            hparams.ssm_dt_rank, hparams.ssm_n_group, hd));
        }
    }

    type = LLM_TYPE_UNKNOWN;
}

void llama_model_recurformer::load_arch_tensors(llama_model_loader &) {
    LLAMA_LOAD_LOCALS;

    const int64_t d_conv   = hparams.ssm_d_conv;
    const int64_t d_inner  = hparams.ssm_d_inner;
    const int64_t d_state  = hparams.ssm_d_state;
    const int64_t n_group  = hparams.ssm_n_group;
    const int64_t n_ssm_h  = hparams.ssm_dt_rank;
    const int64_t conv_dim = d_inner + 2 * n_group * d_state;
    const int64_t in_dim   = d_inner + conv_dim + n_ssm_h; // z, x, B, C, dt

    tok_embd    = create_tensor(tn(LLM_TENSOR_TOKEN_EMBD,  "weight"), {n_embd, n_vocab}, 0);
    output_norm = create_tensor(tn(LLM_TENSOR_OUTPUT_NORM, "weight"), {n_embd}, 0);
    output      = create_tensor(tn(LLM_TENSOR_OUTPUT,      "weight"), {n_embd, n_vocab}, TENSOR_NOT_REQUIRED);
    if (output == NULL) {
        output = create_tensor(tn(LLM_TENSOR_TOKEN_EMBD, "weight"), {n_embd, n_vocab}, TENSOR_DUPLICATED);
    }

    for (int i = 0; i < n_layer; ++i) {
        auto & layer = layers[i];
        const int64_t n_q  = hparams.n_head(i)    * n_embd_head_k;
        const int64_t n_kv = hparams.n_head_kv(i) * n_embd_head_k;

        layer.attn_norm = create_tensor(tn(LLM_TENSOR_ATTN_NORM, "weight", i), {n_embd}, 0);

        // attention over the kept heads only (optional Q/K/V biases for Qwen2-style sources)
        create_tensor_qkv(layer, i, n_embd, n_q, n_kv, n_kv, 0);
        layer.wo = create_tensor(tn(LLM_TENSOR_ATTN_OUT, "weight", i), {n_q, n_embd}, 0);

        if (hparams.is_recr(i)) {
            layer.ssm_in       = create_tensor(tn(LLM_TENSOR_SSM_IN,     "weight", i), {n_embd, in_dim}, 0);
            layer.ssm_conv1d   = create_tensor(tn(LLM_TENSOR_SSM_CONV1D, "weight", i), {d_conv, conv_dim}, 0);
            layer.ssm_conv1d_b = create_tensor(tn(LLM_TENSOR_SSM_CONV1D, "bias",   i), {conv_dim}, 0);
            layer.ssm_dt_b     = create_tensor(tn(LLM_TENSOR_SSM_DT,     "bias",   i), {n_ssm_h}, 0);
            layer.ssm_a        = create_tensor(tn(LLM_TENSOR_SSM_A,                i), {1, n_ssm_h}, 0);
            layer.ssm_d        = create_tensor(tn(LLM_TENSOR_SSM_D,                i), {1, n_ssm_h}, 0);
            layer.ssm_norm     = create_tensor(tn(LLM_TENSOR_SSM_NORM,   "weight", i), {d_inner / n_group, n_group}, 0);
            layer.ssm_out      = create_tensor(tn(LLM_TENSOR_SSM_OUT,    "weight", i), {d_inner, n_embd}, 0);
        }

        layer.ffn_norm = create_tensor(tn(LLM_TENSOR_FFN_NORM, "weight", i), {n_embd}, 0);
        layer.ffn_gate = create_tensor(tn(LLM_TENSOR_FFN_GATE, "weight", i), {n_embd, n_ff}, 0);
        layer.ffn_down = create_tensor(tn(LLM_TENSOR_FFN_DOWN, "weight", i), {n_ff,   n_embd}, 0);
        layer.ffn_up   = create_tensor(tn(LLM_TENSOR_FFN_UP,   "weight", i), {n_embd, n_ff}, 0);
    }
}

std::unique_ptr<llm_graph_context> llama_model_recurformer::build_arch_graph(const llm_graph_params & params) const {
    return std::make_unique<graph>(*this, params);
}

llama_model_recurformer::graph::graph(const llama_model & model, const llm_graph_params & params) :
    llm_build_mamba_base(params) {
    const int64_t n_embd_head = hparams.n_embd_head_v();
    const float   kq_scale    = 1.0f / sqrtf(float(n_embd_head));

    ggml_tensor * inpL        = build_inp_embd(model.tok_embd);
    ggml_tensor * inp_pos     = build_inp_pos();
    auto *        inp_pyr     = build_inp_pyramid(); // PyramidInfer: a KV cache per layer, the recurrent state as it is
    auto *        inp         = inp_pyr ? nullptr : build_inp_mem_hybrid();
    ggml_tensor * inp_out_ids = build_inp_out_ids();

    for (int il = 0; il < n_layer; ++il) {
        const auto & layer = model.layers[il];

        // one normed input feeds both branches
        ggml_tensor * h = build_norm(inpL, layer.attn_norm, NULL, LLM_NORM_RMS, il);
        cb(h, "attn_norm", il);

        // attention over the kept heads
        auto [Qcur, Kcur, Vcur] = build_qkv(layer, h, n_embd_head, hparams.n_head(il), hparams.n_head_kv(il), il);
        Qcur = ggml_rope_ext(ctx0, Qcur, inp_pos, nullptr, n_rot, hparams.rope_type, n_ctx_orig, freq_base, freq_scale,
                             ext_factor, attn_factor, beta_fast, beta_slow);
        Kcur = ggml_rope_ext(ctx0, Kcur, inp_pos, nullptr, n_rot, hparams.rope_type, n_ctx_orig, freq_base, freq_scale,
                             ext_factor, attn_factor, beta_fast, beta_slow);
        cb(Qcur, "Qcur", il);
        cb(Kcur, "Kcur", il);

        ggml_tensor * cur = build_attn(inp_pyr ? inp_pyr->get_attn(il) : inp->get_attn(), layer.wo, NULL, layer.wo_s,
                                       Qcur, Kcur, Vcur, nullptr, nullptr, nullptr, kq_scale, il);
        cb(cur, "attn_out", il);

        // Mamba-2 branch in place of the replaced heads
        if (hparams.is_recr(il)) {
            ggml_tensor * ssm_out = build_mamba2_layer(inp_pyr ? inp_pyr->get_recr() : inp->get_recr(), h, model, ubatch, il);
            cb(ssm_out, "ssm_out", il);
            cur = ggml_add(ctx0, cur, ssm_out);
        }

        if (il == n_layer - 1 && inp_out_ids) {
            cur  = ggml_get_rows(ctx0, cur,  inp_out_ids);
            inpL = ggml_get_rows(ctx0, inpL, inp_out_ids);
        }

        ggml_tensor * ffn_inp = ggml_add(ctx0, cur, inpL);
        cb(ffn_inp, "ffn_inp", il);

        cur = build_norm(ffn_inp, layer.ffn_norm, NULL, LLM_NORM_RMS, il);
        cb(cur, "ffn_norm", il);
        cur = build_ffn(cur,
                layer.ffn_up,   NULL, NULL,
                layer.ffn_gate, NULL, NULL,
                layer.ffn_down, NULL, NULL,
                NULL, LLM_FFN_SILU, LLM_FFN_PAR, il);
        cb(cur, "ffn_out", il);

        cur = ggml_add(ctx0, cur, ffn_inp);
        cur = build_cvec(cur, il);
        cb(cur, "l_out", il);

        inpL = cur;
    }

    ggml_tensor * cur = build_norm(inpL, model.output_norm, NULL, LLM_NORM_RMS, -1);
    cb(cur, "result_norm", -1);
    res->t_embd = cur;

    cur = build_lora_mm(model.output, cur, model.output_s);
    cb(cur, "result_output", -1);
    res->t_logits = cur;

    ggml_build_forward_expand(gf, cur);
}
