#include "llama-memory-pyramid.h"

#include "llama-batch.h"
#include "llama-impl.h"
#include "llama-io.h"
#include "llama-model.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

//
// llama_pyramid_schedule
//

uint32_t llama_pyramid_schedule::keep(uint32_t n, uint32_t il) const {
    const double share = std::floor(double(n) * r0 * std::pow(decay, double(il)) + 0.5);
    return std::min<uint32_t>(n, std::max<uint32_t>(recent, (uint32_t) share));
}

llama_pyramid_schedule llama_pyramid_schedule::parse(const std::string & text) {
    llama_pyramid_schedule s;
    std::stringstream items(text);
    std::string item;
    while (std::getline(items, item, ',')) {
        const auto eq = item.find('=');
        if (eq == std::string::npos) {
            throw std::runtime_error("pyramid.schedule: expected key=value, got '" + item + "'");
        }
        const std::string key = item.substr(0, eq);
        const double value = std::stod(item.substr(eq + 1));
        if      (key == "r0")      { s.r0      = value; }
        else if (key == "decay")   { s.decay   = value; }
        else if (key == "recent")  { s.recent  = (uint32_t) value; }
        else if (key == "queries") { s.queries = (uint32_t) value; }
        else if (key == "every")   { s.every   = (uint32_t) value; }
        else { throw std::runtime_error("pyramid.schedule: unknown key '" + key + "'"); }
    }
    if (!(s.r0 > 0 && s.r0 <= 1 && s.decay > 0 && s.decay <= 1) || s.recent < 1 || s.queries < 1) {
        throw std::runtime_error("pyramid.schedule: need 0 < r0, decay <= 1 and recent, queries >= 1: '" + text + "'");
    }
    return s;
}

//
// llama_memory_pyramid
//

llama_memory_pyramid::llama_memory_pyramid(
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
    const layer_filter_cb & filter_recr) :
    hparams(model.hparams),
    sched([&] { if (schedule.every == 0) { schedule.every = n_ubatch; } return schedule; }()) {
    if (n_seq_max != 1) {
        throw std::runtime_error("pyramid.schedule: one sequence per context only");
    }
    if (sched.queries > sched.every) {
        throw std::runtime_error("pyramid.schedule: queries must not exceed every");
    }

    // a layer never holds more than keep(l, n_ctx - B) + B cells, B = the most tokens between two selections
    const uint32_t slack = std::max(sched.every, n_ubatch);
    std::string cells_log;
    kv.resize(hparams.n_layer());
    rows.resize(hparams.n_layer());
    for (uint32_t il = 0; il < hparams.n_layer(); ++il) {
        const uint32_t most  = sched.keep(n_ctx > slack ? n_ctx - slack : 0, il) + slack;
        const uint32_t cells = std::min(n_ctx, GGML_PAD(most, 256u));
        kv[il].reset(new llama_kv_cache(model, hparams, type_k, type_v, v_trans, offload, true, cells, n_seq_max,
                1, 0, LLAMA_SWA_TYPE_NONE, nullptr, [il](int32_t i) { return (uint32_t) i == il; }, nullptr, nullptr));
        cells_log += (il ? " " : "") + std::to_string(cells);
    }
    if (filter_recr) {
        recr.reset(new llama_memory_recurrent(model, GGML_TYPE_F32, GGML_TYPE_F32, offload,
                std::max(1u, n_seq_max), n_seq_max, n_rs_seq, filter_recr));
    }
    LLAMA_LOG_INFO("%s: r0 = %g, decay = %g, recent = %u, queries = %u, every = %u; cells per layer = %s\n", __func__,
            sched.r0, sched.decay, sched.recent, sched.queries, sched.every, cells_log.c_str());
}

llama_memory_context_ptr llama_memory_pyramid::init_batch(llama_batch_allocr & balloc, uint32_t n_ubatch, bool embd_all) {
    GGML_UNUSED(embd_all);
    balloc.split_reset();
    std::vector<llama_ubatch> ubatches;
    while (true) {
        // as llama_memory_hybrid splits (the recurrent rollback snapshots need their tokens together)
        auto ubatch = recr ? balloc.split_equal(n_ubatch, false, recr->n_rs_seq > 0 ? recr->n_rs_seq + 1 : 0)
                           : balloc.split_simple(n_ubatch);
        if (ubatch.n_tokens == 0) {
            break;
        }
        ubatches.push_back(std::move(ubatch)); // NOLINT
    }
    if (balloc.get_n_used() < balloc.get_n_tokens() || (recr && !recr->prepare(ubatches))) {
        return std::make_unique<llama_memory_pyramid_context>(LLAMA_MEMORY_STATUS_FAILED_PREPARE);
    }
    // each layer's cells are found per ubatch in apply(), after the previous ubatch's eviction
    return std::make_unique<llama_memory_pyramid_context>(this, std::move(ubatches));
}

llama_memory_context_ptr llama_memory_pyramid::init_full() {
    return std::make_unique<llama_memory_pyramid_context>(this);
}

llama_memory_context_ptr llama_memory_pyramid::init_update(llama_context * lctx, bool optimize) {
    return std::make_unique<llama_memory_pyramid_context>(this, lctx, optimize);
}

void llama_memory_pyramid::reset_selection() {
    for (auto & r : rows) {
        r.clear();
    }
    if (seq_pos_max(0) < 0) {
        since = 0;
        selected = false;
    }
}

void llama_memory_pyramid::clear(bool data) {
    for (auto & k : kv) {
        k->clear(data);
    }
    if (recr) {
        recr->clear(data);
    }
    reset_selection();
}

bool llama_memory_pyramid::seq_rm(llama_seq_id seq_id, llama_pos p0, llama_pos p1) {
    if (recr && !recr->seq_rm(seq_id, p0, p1)) {
        return false;
    }
    bool ok = true;
    for (auto & k : kv) {
        ok = k->seq_rm(seq_id, p0, p1) && ok;
    }
    reset_selection();
    return ok;
}

void llama_memory_pyramid::seq_cp(llama_seq_id seq_id_src, llama_seq_id seq_id_dst, llama_pos p0, llama_pos p1) {
    for (auto & k : kv) {
        k->seq_cp(seq_id_src, seq_id_dst, p0, p1);
    }
    if (recr) {
        recr->seq_cp(seq_id_src, seq_id_dst, p0, p1);
    }
}

void llama_memory_pyramid::seq_keep(llama_seq_id seq_id) {
    for (auto & k : kv) {
        k->seq_keep(seq_id);
    }
    if (recr) {
        recr->seq_keep(seq_id);
    }
}

// a context shift moves every layer's positions alike (each cache re-rotates its K in its own update)
void llama_memory_pyramid::seq_add(llama_seq_id seq_id, llama_pos p0, llama_pos p1, llama_pos shift) {
    for (auto & k : kv) {
        k->seq_add(seq_id, p0, p1, shift);
    }
    if (recr) {
        recr->seq_add(seq_id, p0, p1, shift);
    }
}

void llama_memory_pyramid::seq_div(llama_seq_id seq_id, llama_pos p0, llama_pos p1, int d) {
    for (auto & k : kv) {
        k->seq_div(seq_id, p0, p1, d);
    }
    if (recr) {
        recr->seq_div(seq_id, p0, p1, d);
    }
}

llama_pos llama_memory_pyramid::seq_pos_min(llama_seq_id seq_id) const {
    // the first position every layer still holds (as the iSWA cache answers from its smaller cache)
    llama_pos res = recr ? recr->seq_pos_min(seq_id) : -1;
    for (const auto & k : kv) {
        res = std::max(res, k->seq_pos_min(seq_id));
    }
    return res;
}

llama_pos llama_memory_pyramid::seq_pos_max(llama_seq_id seq_id) const {
    // the recent window is in every layer
    llama_pos res = kv[0]->seq_pos_max(seq_id);
    return recr ? std::min(res, recr->seq_pos_max(seq_id)) : res;
}

std::map<ggml_backend_buffer_type_t, size_t> llama_memory_pyramid::memory_breakdown() const {
    std::map<ggml_backend_buffer_type_t, size_t> mb;
    for (const auto & k : kv) {
        for (const auto & [buft, size] : k->memory_breakdown()) {
            mb[buft] += size;
        }
    }
    if (recr) {
        for (const auto & [buft, size] : recr->memory_breakdown()) {
            mb[buft] += size;
        }
    }
    return mb;
}

void llama_memory_pyramid::state_write(llama_io_write_i & io, llama_seq_id seq_id, llama_state_seq_flags flags) const {
    if ((flags & LLAMA_STATE_SEQ_FLAGS_PARTIAL_ONLY) == 0) {
        for (const auto & k : kv) {
            k->state_write(io, seq_id, flags);
        }
    }
    if (recr) {
        recr->state_write(io, seq_id, flags);
    }
    const uint32_t sel = selected;
    io.write(&since, sizeof(since));
    io.write(&sel, sizeof(sel));
}

void llama_memory_pyramid::state_read(llama_io_read_i & io, llama_seq_id seq_id, llama_state_seq_flags flags) {
    if ((flags & LLAMA_STATE_SEQ_FLAGS_PARTIAL_ONLY) == 0) {
        for (auto & k : kv) {
            k->state_read(io, seq_id, flags);
        }
    }
    if (recr) {
        recr->state_read(io, seq_id, flags);
    }
    uint32_t sel = 0;
    io.read(&since, sizeof(since));
    io.read(&sel, sizeof(sel));
    selected = sel != 0;
    for (auto & r : rows) {
        r.clear();
    }
}

uint32_t llama_memory_pyramid::n_score_rows(uint32_t n_tokens) const {
    // rows of this ubatch can be among the last `queries` before the next selection
    const bool due = !selected || (uint64_t) since + n_tokens + sched.queries > sched.every;
    return due ? std::min(sched.queries, n_tokens) : 0;
}

void llama_memory_pyramid::after_ubatch(uint32_t n_tokens, ggml_backend_sched_t gsched, const llm_graph_result * res) {
    bool synced = false;
    for (uint32_t il = 0; il < kv.size(); ++il) {
        ggml_tensor * t = res->t_pyramid[il];
        if (!t) {
            continue;
        }
        if (!synced) {
            ggml_backend_sched_synchronize(gsched);
            synced = true;
        }
        // [n_kv, n_rows]: per cell, the attention of each scoring query summed over the layer's heads
        std::vector<float> data(ggml_nelements(t));
        ggml_backend_tensor_get(t, data.data(), 0, ggml_nbytes(t));
        for (int64_t r = 0; r < t->ne[1]; ++r) {
            rows[il].emplace_back(data.begin() + r*t->ne[0], data.begin() + (r + 1)*t->ne[0]);
        }
        while (rows[il].size() > sched.queries) {
            rows[il].pop_front();
        }
    }
    since += n_tokens;
    if (!selected || since >= sched.every) {
        for (uint32_t il = 0; il < kv.size(); ++il) {
            select(il);
        }
        since = 0;
        selected = true;
    }
}

void llama_memory_pyramid::select(uint32_t il) {
    const auto & cells = kv[il]->get_cells(0);
    const llama_pos n = cells.seq_pos_max(0) + 1;
    if (n <= 0) {
        return;
    }

    // the older cells, best first: highest score, then the older token (as pyramid.select)
    struct cand { float score; llama_pos pos; uint32_t idx; };
    std::vector<cand> older;
    uint32_t used = 0;
    for (uint32_t i = 0; i < cells.size(); ++i) {
        if (cells.is_empty(i)) {
            continue;
        }
        ++used;
        if (cells.pos_get(i) < n - (llama_pos) sched.recent) {
            float score = 0.0f;
            for (const auto & row : rows[il]) {
                score += i < row.size() ? row[i] : 0.0f;
            }
            older.push_back({score, cells.pos_get(i), i});
        }
    }
    const uint32_t keep = std::min(sched.keep(n, il), used);
    const uint32_t n_drop = used - keep;
    if (n_drop == 0) {
        rows[il].clear();
        return;
    }
    GGML_ASSERT(n_drop <= older.size());
    std::stable_sort(older.begin(), older.end(), [](const cand & a, const cand & b) {
        return a.score > b.score || (a.score == b.score && a.pos < b.pos);
    });
    std::vector<uint32_t> drop;
    for (size_t j = older.size() - n_drop; j < older.size(); ++j) {
        drop.push_back(older[j].idx);
    }
    kv[il]->rm_cells(0, drop);
    rows[il].clear();
}

std::vector<llama_pos> llama_memory_pyramid::positions(uint32_t il) const {
    const auto & cells = kv[il]->get_cells(0);
    std::vector<llama_pos> res;
    for (uint32_t i = 0; i < cells.size(); ++i) {
        if (!cells.is_empty(i)) {
            res.push_back(cells.pos_get(i));
        }
    }
    std::sort(res.begin(), res.end());
    return res;
}

int32_t llama_memory_pyramid_positions(llama_memory_t mem, int32_t il, llama_pos * out, int32_t n_max) {
    const auto * pyr = dynamic_cast<const llama_memory_pyramid *>(mem);
    if (!pyr || il < 0 || (uint32_t) il >= pyr->n_layer()) {
        return -1;
    }
    const auto pos = pyr->positions(il);
    std::copy_n(pos.begin(), std::min<size_t>(pos.size(), std::max(n_max, 0)), out);
    return (int32_t) pos.size();
}

//
// llama_memory_pyramid_context
//

llama_memory_pyramid_context::llama_memory_pyramid_context(llama_memory_status status) : status(status) {}

llama_memory_pyramid_context::llama_memory_pyramid_context(llama_memory_pyramid * mem) :
    mem(mem), status(LLAMA_MEMORY_STATUS_SUCCESS) {
    for (uint32_t il = 0; il < mem->n_layer(); ++il) {
        ctx_attn.push_back(mem->get_layer(il)->init_full());
    }
    if (mem->get_recr()) {
        ctx_recr = mem->get_recr()->init_full();
    }
    score_rows = mem->n_score_rows(UINT32_MAX); // worst case, for reserving the compute buffers
}

llama_memory_pyramid_context::llama_memory_pyramid_context(llama_memory_pyramid * mem, llama_context * lctx, bool optimize) :
    mem(mem), status(LLAMA_MEMORY_STATUS_NO_UPDATE) {
    for (uint32_t il = 0; il < mem->n_layer(); ++il) {
        ctx_attn.push_back(mem->get_layer(il)->init_update(lctx, optimize));
        status = llama_memory_status_combine(status, ctx_attn.back()->get_status());
    }
    if (mem->get_recr()) {
        ctx_recr = mem->get_recr()->init_update(lctx, optimize);
        status = llama_memory_status_combine(status, ctx_recr->get_status());
    }
}

llama_memory_pyramid_context::llama_memory_pyramid_context(llama_memory_pyramid * mem, std::vector<llama_ubatch> ubatches) :
    mem(mem), ubatches(std::move(ubatches)), status(LLAMA_MEMORY_STATUS_SUCCESS) {
    ctx_attn.resize(mem->n_layer());
    if (mem->get_recr()) {
        ctx_recr.reset(new llama_memory_recurrent_context(mem->get_recr(), this->ubatches));
    }
}

bool llama_memory_pyramid_context::next() {
    if (ctx_recr) {
        ctx_recr->next();
    }
    return ++i_next < ubatches.size();
}

bool llama_memory_pyramid_context::apply() {
    if (ubatches.empty()) { // an update
        bool ok = true;
        for (auto & c : ctx_attn) {
            ok = c->apply() && ok;
        }
        return (!ctx_recr || ctx_recr->apply()) && ok;
    }
    const llama_ubatch & ubatch = ubatches[i_next];
    for (uint32_t il = 0; il < mem->n_layer(); ++il) {
        llama_kv_cache * kv = mem->get_layer(il);
        auto sinfo = kv->find_slot(ubatch, false);
        if (sinfo.empty()) {
            // full before its selection is due (more than `every` tokens since the last one): select now
            mem->select(il);
            sinfo = kv->find_slot(ubatch, false);
        }
        if (sinfo.empty()) {
            LLAMA_LOG_ERROR("%s: layer %u has no room for %u tokens\n", __func__, il, ubatch.n_tokens);
            return false;
        }
        ctx_attn[il].reset(new llama_kv_cache_context(kv, {sinfo}, {ubatch}));
        ctx_attn[il]->apply();
    }
    score_rows = mem->n_score_rows(ubatch.n_tokens);
    return !ctx_recr || ctx_recr->apply();
}

void llama_memory_pyramid_context::after_ubatch(ggml_backend_sched_t sched, const llm_graph_result * res) {
    if (!ubatches.empty()) {
        mem->after_ubatch(ubatches[i_next].n_tokens, sched, res);
    }
}

const llama_kv_cache_context * llama_memory_pyramid_context::get_attn(uint32_t il) const {
    return static_cast<const llama_kv_cache_context *>(ctx_attn[il].get());
}

const llama_memory_recurrent_context * llama_memory_pyramid_context::get_recr() const {
    return static_cast<const llama_memory_recurrent_context *>(ctx_recr.get());
}
