// PyramidInfer check tool: feeds tokens to the patched llama.cpp in given chunks (one llama_decode each) and writes
// every token's logits and, after each decode, the positions each layer's cache holds.
// usage: pyramid_eval MODEL N_CTX N_UBATCH SCHEDULE|off KV_TYPE(f32|f16) FLASH(0|1) OUT_PREFIX < input
//   input: line 1 the tokens, line 2 the chunk sizes (summing to the token count); N_CTX alone: allocate and exit
//   writes OUT_PREFIX.logits (float32 [tokens, vocab]) and OUT_PREFIX.kept (per decode, per layer: positions)
#include "llama.h"

#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

static std::vector<int> read_ints(const std::string & line) {
    std::vector<int> v;
    std::istringstream in(line);
    for (int x; in >> x;) {
        v.push_back(x);
    }
    return v;
}

int main(int argc, char ** argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: %s MODEL N_CTX N_UBATCH SCHEDULE|off KV_TYPE FLASH OUT_PREFIX < input\n", argv[0]);
        return 2;
    }
    const std::string schedule = argv[4];
    const bool f32 = std::string(argv[5]) == "f32";
    const std::string out = argv[7];

    llama_backend_init();

    std::vector<llama_model_kv_override> overrides(2);
    if (schedule != "off") {
        std::snprintf(overrides[0].key, sizeof(overrides[0].key), "pyramid.schedule");
        overrides[0].tag = LLAMA_KV_OVERRIDE_TYPE_STR;
        std::snprintf(overrides[0].val_str, sizeof(overrides[0].val_str), "%s", schedule.c_str());
    }
    auto mparams = llama_model_default_params();
    mparams.kv_overrides = overrides.data();
    llama_model * model = llama_model_load_from_file(argv[1], mparams);
    if (!model) {
        return 1;
    }

    auto cparams = llama_context_default_params();
    cparams.n_ctx = std::stoi(argv[2]);
    cparams.n_batch = cparams.n_ubatch = std::stoi(argv[3]);
    cparams.n_seq_max = 1;
    cparams.n_threads = cparams.n_threads_batch = 2;
    cparams.type_k = cparams.type_v = f32 ? GGML_TYPE_F32 : GGML_TYPE_F16;
    cparams.flash_attn_type = std::string(argv[6]) == "1" ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
    llama_context * ctx = llama_init_from_model(model, cparams);
    if (!ctx) {
        return 1;
    }

    std::string line;
    std::vector<int> tokens, chunks;
    if (std::getline(std::cin, line)) {
        tokens = read_ints(line);
    }
    if (std::getline(std::cin, line)) {
        chunks = read_ints(line);
    }

    const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    const int n_layer = llama_model_n_layer(model);
    FILE * f_logits = std::fopen((out + ".logits").c_str(), "wb");
    FILE * f_kept   = std::fopen((out + ".kept").c_str(), "w");
    llama_memory_t mem = llama_get_memory(ctx);
    std::vector<llama_pos> pos(cparams.n_ctx);

    int at = 0;
    for (int chunk : chunks) {
        llama_batch batch = llama_batch_init(chunk, 0, 1);
        for (int i = 0; i < chunk; ++i) {
            batch.token[i] = tokens[at + i];
            batch.pos[i] = at + i;
            batch.n_seq_id[i] = 1;
            batch.seq_id[i][0] = 0;
            batch.logits[i] = 1;
        }
        batch.n_tokens = chunk;
        if (llama_decode(ctx, batch) != 0) {
            fprintf(stderr, "decode failed at %d\n", at);
            return 1;
        }
        for (int i = 0; i < chunk; ++i) {
            std::fwrite(llama_get_logits_ith(ctx, i), sizeof(float), n_vocab, f_logits);
        }
        llama_batch_free(batch);
        at += chunk;
        for (int il = 0; il < n_layer; ++il) {
            const int n = llama_memory_pyramid_positions(mem, il, pos.data(), (int) pos.size());
            std::fprintf(f_kept, "%d %d", at, il);
            for (int j = 0; j < n; ++j) {
                std::fprintf(f_kept, " %d", pos[j]);
            }
            std::fprintf(f_kept, "\n");
        }
    }
    std::fclose(f_logits);
    std::fclose(f_kept);

    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
