#pragma once

// PyramidInfer (Yang et al. 2024) as a memory of its own: one KV cache per attention layer, each sized by the
// retention schedule, so deeper layers allocate fewer cells; plus, for a hybrid model (RecurFormer), the recurrent
// memory, untouched. After a ubatch the graph leaves, per layer, the attention its newest queries paid each cell
// (summed over heads); once `every` tokens have come in since the last selection (and after the first ubatch),
// each layer keeps keep(l, n) cells: the `recent` newest and the older ones scored highest by the last `queries`
// queries; the rest are freed and find_slot reuses the holes. K stays at its original RoPE position.
// The rule and its reference: engine/pipeline/recurformer/pyramid.py; the design: engine/llama/PYRAMID.md.

#include "llama-kv-cache.h"
#include "llama-memory.h"
#include "llama-memory-recurrent.h"

#include <deque>
#include <string>
#include <vector>

struct llama_pyramid_schedule {
    double   r0      = 0.0; // first layer's retention, a share of the tokens seen (0: PyramidInfer off)
    double   decay   = 1.0; // each layer deeper keeps this factor of the one above
    uint32_t recent  = 64;  // newest tokens, never dropped
    uint32_t queries = 16;  // newest tokens whose attention scores the others
    uint32_t every   = 0;   // select again after this many tokens (0: the context's ubatch size)

    bool enabled() const { return r0 > 0.0; }

    // tokens layer il keeps out of n: min(n, max(recent, round_half_up(n r0 decay^il)))
    uint32_t keep(uint32_t n, uint32_t il) const;

    // "r0=0.8,decay=0.7,recent=64,queries=16,every=512" (the GGUF key / override pyramid.schedule); throws on errors
    static llama_pyramid_schedule parse(const std::string & text);
};

class llama_memory_pyramid : public llama_memory_i {
public:
    llama_memory_pyramid(
            const llama_model & model,
            llama_pyramid_schedule schedule,
                    ggml_type   type_k,
                    ggml_type   type_v,
                         bool   v_trans,
                         bool   offload,
                     uint32_t   n_ctx,
                     uint32_t   n_ubatch,
                     uint32_t   n_seq_max,
                     uint32_t   n_rs_seq,
        const layer_filter_cb & filter_recr); // nullptr: no recurrent memory

    llama_memory_context_ptr init_batch(llama_batch_allocr & balloc, uint32_t n_ubatch, bool embd_all) override;
    llama_memory_context_ptr init_full() override;
    llama_memory_context_ptr init_update(llama_context * lctx, bool optimize) override;

    bool get_can_shift() const override { return kv[0]->get_can_shift(); }

    void clear(bool data) override;

    bool seq_rm  (llama_seq_id seq_id,                              llama_pos p0, llama_pos p1) override;
    void seq_cp  (llama_seq_id seq_id_src, llama_seq_id seq_id_dst, llama_pos p0, llama_pos p1) override;
    void seq_keep(llama_seq_id seq_id)                                                          override;
    void seq_add (llama_seq_id seq_id,                              llama_pos p0, llama_pos p1, llama_pos shift) override;
    void seq_div (llama_seq_id seq_id,                              llama_pos p0, llama_pos p1, int d) override;

    llama_pos seq_pos_min(llama_seq_id seq_id) const override;
    llama_pos seq_pos_max(llama_seq_id seq_id) const override;

    std::map<ggml_backend_buffer_type_t, size_t> memory_breakdown() const override;

    void state_write(llama_io_write_i & io, llama_seq_id seq_id = -1, llama_state_seq_flags flags = 0) const override;
    void state_read (llama_io_read_i  & io, llama_seq_id seq_id = -1, llama_state_seq_flags flags = 0) override;

    //
    // pyramid API
    //

    uint32_t                 n_layer() const { return (uint32_t) kv.size(); }
    llama_kv_cache         * get_layer(uint32_t il) const { return kv[il].get(); }
    llama_memory_recurrent * get_recr() const { return recr.get(); }

    // score rows (newest queries) the graph of a ubatch of n_tokens must leave, 0 if none can count
    uint32_t n_score_rows(uint32_t n_tokens) const;

    // after a ubatch: store its score rows, select if due
    void after_ubatch(uint32_t n_tokens, ggml_backend_sched_t sched, const llm_graph_result * res);

    // thin layer il to keep(il, n) now (also when its cache is full before a ubatch)
    void select(uint32_t il);

    // the positions layer il holds (sequence 0), ascending
    std::vector<llama_pos> positions(uint32_t il) const;

private:
    const llama_hparams & hparams;
    const llama_pyramid_schedule sched;

    std::vector<std::unique_ptr<llama_kv_cache>> kv; // per model layer
    std::unique_ptr<llama_memory_recurrent> recr;

    // per layer: the newest queries' attention over the cells, one row per query, at most `queries` rows
    std::vector<std::deque<std::vector<float>>> rows;

    uint32_t since    = 0;     // tokens fed since the last selection
    bool     selected = false; // a selection has happened (the first comes after the first ubatch)

    void reset_selection();
};

class llama_memory_pyramid_context : public llama_memory_context_i {
public:
    explicit llama_memory_pyramid_context(llama_memory_status status);
    explicit llama_memory_pyramid_context(llama_memory_pyramid * mem);                              // full
    llama_memory_pyramid_context(llama_memory_pyramid * mem, llama_context * lctx, bool optimize); // update
    llama_memory_pyramid_context(llama_memory_pyramid * mem, std::vector<llama_ubatch> ubatches);   // batch

    bool next()  override;
    bool apply() override;

    llama_memory_status  get_status() const override { return status; }
    const llama_ubatch & get_ubatch() const override { return ubatches[i_next]; }

    void after_ubatch(ggml_backend_sched_t sched, const llm_graph_result * res) override;

    const llama_kv_cache_context * get_attn(uint32_t il) const;
    const llama_memory_recurrent_context * get_recr() const;

    uint32_t n_score_rows() const { return score_rows; }

private:
    llama_memory_pyramid * mem = nullptr;

    size_t i_next = 0;
    std::vector<llama_ubatch> ubatches;

    // per layer; for a batch, made in apply() once the previous ubatch's eviction has freed cells
    std::vector<llama_memory_context_ptr> ctx_attn;
    llama_memory_context_ptr ctx_recr;

    uint32_t score_rows = 0;

    llama_memory_status status;
};
