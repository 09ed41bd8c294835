// BASED (Arora et al. 2024): Taylor linear attention + exact sliding-window attention + short gated
// convolutions. Two layer kinds: "window" (softmax attention over the last w tokens, RoPE) and "linear"
// (a short gated conv, then linear attention with the 2nd-order Taylor feature map). Memory is llama.cpp's
// hybrid iSWA memory, as LFM2's: the window layers' K/V in its SWA cache (w + one ubatch cells per
// sequence), each linear layer one recurrent row: r = conv state, s = linear-attention state.
//
// GGUF format, equations and cache layout: engine/llama/README.md in the RecurFormer Desktop repository;
// the float64 reference: engine/pipeline/recurformer/based.py.

#include "models.h"
#include "../llama-memory-hybrid-iswa.h"

#include <cmath>
#include <stdexcept>

namespace {

uint32_t based_get_u32(const llama_model_loader & ml, const char * key) {
    const int64_t id = gguf_find_key(ml.metadata, key);
    if (id < 0 || gguf_get_kv_type(ml.metadata, id) != GGUF_TYPE_UINT32) {
        throw std::runtime_error(format("based: key %s (uint32) is missing", key));
    }
    return gguf_get_val_u32(ml.metadata, id);
}

} // namespace

void llama_model_based::load_arch_hparams(llama_model_loader & ml) {
    ml.get_key(LLM_KV_ATTENTION_LAYERNORM_RMS_EPS, hparams.f_norm_rms_eps);
    ml.get_key(LLM_KV_ATTENTION_SLIDING_WINDOW,    hparams.n_swa);
    ml.get_key(LLM_KV_SHORTCONV_L_CACHE,           hparams.n_shortconv_l_cache);   // r = E x (K-1)
    feature_dim = based_get_u32(ml, "based.linear_attention.feature_dim");

    const uint32_t n_layer = hparams.n_layer();
    const int64_t  id      = gguf_find_key(ml.metadata, "based.layer_kinds");
    if (id < 0 || gguf_get_kv_type(ml.metadata, id) != GGUF_TYPE_ARRAY ||
        gguf_get_arr_type(ml.metadata, id) != GGUF_TYPE_UINT32 || gguf_get_arr_n(ml.metadata, id) != n_layer) {
        throw std::runtime_error(format("based: key based.layer_kinds must be a uint32 array of %u entries", n_layer));
    }
    const uint32_t * kinds = (const uint32_t *) gguf_get_arr_data(ml.metadata, id);
    for (uint32_t il = 0; il < n_layer; ++il) {
        if (kinds[il] > 1) {
            throw std::runtime_error(format("based: layer %u has kind %u (0 = sliding window, 1 = linear)", il, kinds[il]));
        }
        hparams.is_recr_impl[il] = kinds[il] == 1;
        hparams.is_swa_impl[il]  = kinds[il] == 0;
    }
    if (hparams.n_swa == 0 || hparams.n_shortconv_l_cache < 2 || feature_dim == 0) {
        throw std::runtime_error(format("based: window %u, conv kernel %u, feature dim %u must be positive (kernel >= 2)",
                                        hparams.n_swa, hparams.n_shortconv_l_cache, feature_dim));
    }
    hparams.swa_type = LLAMA_SWA_TYPE_STANDARD;   // query p sees keys p-w+1 .. p

    // the recurrent memory sizes its s rows as ssm_d_state x ssm_d_inner: {D, hd+1, H} per sequence
    hparams.ssm_d_state = 1 + feature_dim + feature_dim * feature_dim;
    hparams.ssm_d_inner = hparams.n_head() * (hparams.n_embd_head_v() + 1);

    type = LLM_TYPE_UNKNOWN;
}

void llama_model_based::load_arch_tensors(llama_model_loader &) {
    LLAMA_LOAD_LOCALS;

    const int64_t n_feat = hparams.n_head() * feature_dim;
    const int64_t n_qkv  = hparams.n_head() * n_embd_head_k;
    const int64_t K      = hparams.n_shortconv_l_cache;

    tok_embd    = create_tensor(tn(LLM_TENSOR_TOKEN_EMBD,  "weight"), {n_embd, n_vocab}, 0);
    output_norm = create_tensor(tn(LLM_TENSOR_OUTPUT_NORM, "weight"), {n_embd}, 0);
    output      = create_tensor(tn(LLM_TENSOR_OUTPUT,      "weight"), {n_embd, n_vocab}, TENSOR_NOT_REQUIRED);
    if (output == NULL) {
        output = create_tensor(tn(LLM_TENSOR_TOKEN_EMBD, "weight"), {n_embd, n_vocab}, TENSOR_DUPLICATED);
    }

    conv_in_b.assign(n_layer, nullptr);
    conv_out_b.assign(n_layer, nullptr);
    for (int i = 0; i < n_layer; ++i) {
        auto & layer = layers[i];
        layer.attn_norm = create_tensor(tn(LLM_TENSOR_ATTN_NORM, "weight", i), {n_embd}, 0);

        const int64_t n_qk = hparams.is_recr(i) ? n_feat : n_qkv;
        layer.wq = create_tensor(tn(LLM_TENSOR_ATTN_Q,   "weight", i), {n_embd, n_qk},  0);
        layer.wk = create_tensor(tn(LLM_TENSOR_ATTN_K,   "weight", i), {n_embd, n_qk},  0);
        layer.wv = create_tensor(tn(LLM_TENSOR_ATTN_V,   "weight", i), {n_embd, n_qkv}, 0);
        layer.wo = create_tensor(tn(LLM_TENSOR_ATTN_OUT, "weight", i), {n_qkv, n_embd}, 0);

        if (hparams.is_recr(i)) {
            layer.shortconv.in_proj  = create_tensor(tn(LLM_TENSOR_SHORTCONV_INPROJ,  "weight", i), {n_embd, 2 * n_embd}, 0);
            conv_in_b[i]             = create_tensor(tn(LLM_TENSOR_SHORTCONV_INPROJ,  "bias",   i), {2 * n_embd}, 0);
            layer.shortconv.conv     = create_tensor(tn(LLM_TENSOR_SHORTCONV_CONV,    "weight", i), {K, n_embd}, 0);
            layer.shortconv.out_proj = create_tensor(tn(LLM_TENSOR_SHORTCONV_OUTPROJ, "weight", i), {n_embd, n_embd}, 0);
            conv_out_b[i]            = create_tensor(tn(LLM_TENSOR_SHORTCONV_OUTPROJ, "bias",   i), {n_embd}, 0);
            layer.attn_norm_2        = create_tensor(tn(LLM_TENSOR_ATTN_NORM_2,       "weight", i), {n_embd}, 0);
        }

        layer.ffn_norm = create_tensor(tn(LLM_TENSOR_FFN_NORM, "weight", i), {n_embd}, 0);
        layer.ffn_gate = create_tensor(tn(LLM_TENSOR_FFN_GATE, "weight", i), {n_embd, n_ff}, 0);
        layer.ffn_down = create_tensor(tn(LLM_TENSOR_FFN_DOWN, "weight", i), {n_ff,   n_embd}, 0);
        layer.ffn_up   = create_tensor(tn(LLM_TENSOR_FFN_UP,   "weight", i), {n_embd, n_ff}, 0);
    }
}

std::unique_ptr<llm_graph_context> llama_model_based::build_arch_graph(const llm_graph_params & params) const {
    return std::make_unique<graph>(*this, params);
}

// phi(x) = [1, x/d'^(1/4), vec(x x^T)/(sqrt(2) sqrt(d'))] for x {d', H, T, S} -> {D, H, T, S}
static ggml_tensor * based_taylor_features(ggml_context * ctx, ggml_tensor * x) {
    const int64_t d = x->ne[0];
    const int64_t n = x->ne[1] * x->ne[2] * x->ne[3];
    x = ggml_scale(ctx, x, 1.0f / powf((float) d, 0.25f));
    ggml_tensor * col   = ggml_reshape_3d(ctx, x, d, 1, n);
    ggml_tensor * row   = ggml_reshape_3d(ctx, x, 1, d, n);
    ggml_tensor * outer = ggml_mul(ctx, ggml_repeat_4d(ctx, row, d, d, n, 1), col);       // x_i x_j
    outer = ggml_scale(ctx, ggml_reshape_2d(ctx, outer, d * d, n), 1.0f / sqrtf(2.0f));
    ggml_tensor * ones  = ggml_fill(ctx, ggml_new_tensor_2d(ctx, GGML_TYPE_F32, 1, n), 1.0f);
    ggml_tensor * phi   = ggml_concat(ctx, ggml_concat(ctx, ones, ggml_reshape_2d(ctx, x, d, n), 0), outer, 0);
    return ggml_reshape_4d(ctx, phi, phi->ne[0], x->ne[1], x->ne[2], x->ne[3]);
}

llama_model_based::graph::graph(const llama_model & model, const llm_graph_params & params) : llm_graph_context(params) {
    const auto &  based   = static_cast<const llama_model_based &>(model);
    const int64_t hd      = hparams.n_embd_head_v();
    const int64_t n_feat  = based.feature_dim;
    const int64_t n_seq_t = ubatch.n_seq_tokens;
    const int64_t n_seqs  = ubatch.n_seqs;
    const int64_t d_conv  = hparams.n_shortconv_l_cache - 1;
    GGML_ASSERT(ubatch.equal_seqs());
    GGML_ASSERT(ubatch.n_tokens == n_seq_t * n_seqs);

    ggml_tensor * inpL        = build_inp_embd(model.tok_embd);
    ggml_tensor * inp_pos     = build_inp_pos();
    auto *        inp         = build_inp_mem_hybrid_iswa();
    ggml_tensor * inp_out_ids = build_inp_out_ids();
    const auto *  mctx_recr   = static_cast<const llama_memory_hybrid_iswa_context *>(mctx)->get_recr();

    for (int il = 0; il < n_layer; ++il) {
        const auto & layer = model.layers[il];
        ggml_tensor * cur;

        if (!hparams.is_recr(il)) {
            // sliding-window softmax attention
            ggml_tensor * h = build_norm(inpL, layer.attn_norm, NULL, LLM_NORM_RMS, il);
            auto [Qcur, Kcur, Vcur] = build_qkv(layer, h, hd, n_head, n_head_kv, il);
            Qcur = ggml_rope_ext(ctx0, Qcur, inp_pos, nullptr, n_rot, rope_type, n_ctx_orig, freq_base, freq_scale,
                                 ext_factor, attn_factor, beta_fast, beta_slow);
            Kcur = ggml_rope_ext(ctx0, Kcur, inp_pos, nullptr, n_rot, rope_type, n_ctx_orig, freq_base, freq_scale,
                                 ext_factor, attn_factor, beta_fast, beta_slow);
            cur = build_attn(inp->get_attn(), layer.wo, NULL, layer.wo_s, Qcur, Kcur, Vcur,
                             nullptr, nullptr, nullptr, 1.0f / sqrtf(float(hd)), il);
            cb(cur, "swa_out", il);
        } else {
            const uint32_t kv_head = mctx_recr->get_head();

            // short gated conv: u, g = split(W_in h + b_in); out = W_out (silu(conv(u)) * g) + b_out
            ggml_tensor * h = build_norm(inpL, layer.attn_norm, NULL, LLM_NORM_RMS, il);
            h = ggml_reshape_3d(ctx0, h, n_embd, n_seq_t, n_seqs);
            ggml_tensor * ug = ggml_add(ctx0, build_lora_mm(layer.shortconv.in_proj, h), based.conv_in_b[il]);
            ggml_tensor * u  = ggml_view_3d(ctx0, ug, n_embd, n_seq_t, n_seqs, ug->nb[1], ug->nb[2], 0);
            ggml_tensor * g  = ggml_view_3d(ctx0, ug, n_embd, n_seq_t, n_seqs, ug->nb[1], ug->nb[2], n_embd * ggml_element_size(ug));

            ggml_tensor * conv_all = mctx_recr->get_r_l(il);
            ggml_tensor * conv     = ggml_reshape_3d(ctx0, build_rs(inp->get_recr(), conv_all, hparams.n_embd_r(), n_seqs),
                                                     d_conv, n_embd, n_seqs);
            ggml_tensor * cx = ggml_concat(ctx0, conv, ggml_transpose(ctx0, ggml_cont(ctx0, u)), 0);   // {K-1+T, E, S}
            ggml_build_forward_expand(gf, ggml_cpy(ctx0,
                ggml_view_3d(ctx0, cx, d_conv, n_embd, n_seqs, cx->nb[1], cx->nb[2], (cx->ne[0] - d_conv) * ggml_element_size(cx)),
                ggml_view_2d(ctx0, conv_all, d_conv * n_embd, n_seqs, conv_all->nb[1], kv_head * conv_all->nb[1])));
            ggml_tensor * c = ggml_mul(ctx0, ggml_silu(ctx0, ggml_ssm_conv(ctx0, cx, layer.shortconv.conv)), g);
            c = ggml_add(ctx0, build_lora_mm(layer.shortconv.out_proj, c), based.conv_out_b[il]);
            inpL = ggml_add(ctx0, inpL, ggml_reshape_2d(ctx0, c, n_embd, n_seq_t * n_seqs));
            cb(inpL, "conv_out", il);

            // Taylor linear attention over the carried state S = {D, hd+1, H, S} (column hd: z = sum phi(k))
            h = build_norm(inpL, layer.attn_norm_2, NULL, LLM_NORM_RMS, il);
            ggml_tensor * q = ggml_reshape_4d(ctx0, build_lora_mm(layer.wq, h), n_feat, n_head, n_seq_t, n_seqs);
            ggml_tensor * k = ggml_reshape_4d(ctx0, build_lora_mm(layer.wk, h), n_feat, n_head, n_seq_t, n_seqs);
            ggml_tensor * v = ggml_reshape_4d(ctx0, build_lora_mm(layer.wv, h), hd,     n_head, n_seq_t, n_seqs);
            ggml_tensor * fq = based_taylor_features(ctx0, q);
            ggml_tensor * fk = based_taylor_features(ctx0, k);
            ggml_tensor * v1 = ggml_concat(ctx0, v, ggml_fill(ctx0, ggml_new_tensor_4d(ctx0, GGML_TYPE_F32, 1, n_head, n_seq_t, n_seqs), 1.0f), 0);
            const int64_t D = fq->ne[0];

            ggml_tensor * s_all = mctx_recr->get_s_l(il);
            ggml_tensor * state = ggml_reshape_4d(ctx0, build_rs(inp->get_recr(), s_all, hparams.n_embd_s(), n_seqs),
                                                  D, hd + 1, n_head, n_seqs);

            ggml_tensor * fq_t  = ggml_permute(ctx0, fq, 0, 2, 1, 3);                                // {D, T, H, S}
            ggml_tensor * fk_t  = ggml_permute(ctx0, fk, 0, 2, 1, 3);
            ggml_tensor * v1_t  = ggml_cont(ctx0, ggml_permute(ctx0, v1, 1, 2, 0, 3));              // {T, hd+1, H, S}
            ggml_tensor * inter = ggml_mul_mat(ctx0, state, fq_t);                                   // {hd+1, T, H, S}
            ggml_tensor * kq    = ggml_diag_mask_zero(ctx0, ggml_mul_mat(ctx0, fk_t, fq_t), 0);      // {Tk, Tq, H, S}, j <= i
            ggml_tensor * o     = ggml_add(ctx0, inter, ggml_mul_mat(ctx0, v1_t, kq));               // {hd+1, T, H, S}
            ggml_tensor * num   = ggml_cont(ctx0, ggml_view_4d(ctx0, o, hd, n_seq_t, n_head, n_seqs, o->nb[1], o->nb[2], o->nb[3], 0));
            ggml_tensor * den   = ggml_cont(ctx0, ggml_view_4d(ctx0, o, 1,  n_seq_t, n_head, n_seqs, o->nb[1], o->nb[2], o->nb[3], hd * ggml_element_size(o)));
            ggml_tensor * y     = ggml_cont(ctx0, ggml_permute(ctx0, ggml_div(ctx0, num, den), 0, 2, 1, 3));   // {hd, H, T, S}

            // S += phi(k) [v; 1]^T over this ubatch
            ggml_tensor * fk_tt = ggml_cont(ctx0, ggml_permute(ctx0, fk, 1, 2, 0, 3));              // {T, D, H, S}
            ggml_tensor * s_new = ggml_add(ctx0, state, ggml_mul_mat(ctx0, fk_tt, v1_t));           // {D, hd+1, H, S}
            ggml_build_forward_expand(gf, ggml_cpy(ctx0, s_new,
                ggml_view_1d(ctx0, s_all, hparams.n_embd_s() * n_seqs, kv_head * hparams.n_embd_s() * ggml_element_size(s_all))));

            cur = build_lora_mm(layer.wo, ggml_reshape_2d(ctx0, y, hd * n_head, n_seq_t * n_seqs));
            cb(cur, "linattn_out", il);
        }

        if (il == n_layer - 1 && inp_out_ids) {
            cur  = ggml_get_rows(ctx0, cur,  inp_out_ids);
            inpL = ggml_get_rows(ctx0, inpL, inp_out_ids);
        }

        ggml_tensor * ffn_inp = ggml_add(ctx0, cur, inpL);
        cur = build_norm(ffn_inp, layer.ffn_norm, NULL, LLM_NORM_RMS, il);
        cur = build_ffn(cur, layer.ffn_up, NULL, NULL, layer.ffn_gate, NULL, NULL, layer.ffn_down, NULL, NULL,
                        NULL, LLM_FFN_SILU, LLM_FFN_PAR, il);
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
