#!/usr/bin/env bash
# GPU check of the RecurFormer engine (issue 11), in one go on a machine with CMake, nvcc, an NVIDIA GPU and
# python3 with torch + numpy (no Node needed):
#   1. the llama.cpp source (a git bundle, a .tar[.xz] of its tree, or a folder) + recurformer.cpp, based.cpp,
#      llama-memory-pyramid.* + every engine/llama/*.patch in name order, built with CUDA (-DGGML_CUDA=ON
#      -DCMAKE_CUDA_ARCHITECTURES=90);
#   2. CPU-vs-CUDA parity of the Mamba-2 ops at our shapes (test-backend-ops -o SSM_SCAN,SSM_CONV,...);
#   3. perplexity CPU-only and fully offloaded (a trained pair: RF_MODEL, DENSE_MODEL), graph splits;
#   4. llama-bench dense vs RecurFormer vs its falcon-h1 twin at the Llama-3.2-1B shape, F16, random weights
#      (engine/llama/gpu_models.py), each model in its own invocation (llama-bench keys its depth-state
#      cache on the depth alone, so it leaks between models of one invocation); graph splits from its log
#      (llama-perplexity does not print them: a short llama-bench of the trained pair gives theirs); decode at
#      depth 0 once more with CUDA graphs off (what graphs save in launches);
#   5. where decode time goes: Nsight Compute times every kernel of 16 decoded tokens at depths 0 and 16k for
#      dense and RecurFormer (engine/llama/gpu_profile.py groups them: weight matmuls, attention, the Mamba-2
#      scan and conv, norms, copies, ...; and the time no kernel fills). Skipped where ncu is absent;
#   6. the summary (engine/llama/gpu_report.py, gpu_profile.py): perplexity agreement, splits, ratios against the
#      targets, the HBM bandwidth share, the per-kernel breakdown.
# The 1B models' perplexity is not measured: with random F16 weights their activations overflow (inf on CPU and
# GPU alike), so the CPU/GPU agreement is measured on the trained pair.
#
#   engine/llama/gpu-check.sh OUT_DIR        -> OUT_DIR/gpu-check.txt (summary), logs.txt, bench-*.json
#
# env: LLAMA_SRC   default node_modules/node-llama-cpp/llama/gitRelease.bundle
#      WORK        scratch: source, build, 1B models (7.5 GB); default /tmp/recurformer-gpu-check
#      RF_MODEL    default assets/models/recurformer.gguf    DENSE_MODEL  default assets/models/dense.gguf
#                  (each skipped when absent)
#      PPL_TEXT    default test/e2e/support/planted-fact-4k.txt
#      DEPTHS      default 0,16384,65536          JOBS   build jobs, default nproc
#      BUDGET_S    seconds after which no new step starts and a running one is stopped (default 3000)
# Without an NVIDIA GPU (nvidia-smi) it prints "skipped: no NVIDIA GPU" and exits 0.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT_DIR=${1:?usage: engine/llama/gpu-check.sh OUT_DIR}
mkdir -p "$OUT_DIR" && OUT_DIR=$(cd "$OUT_DIR" && pwd)
LLAMA_SRC=${LLAMA_SRC:-$ROOT/node_modules/node-llama-cpp/llama/gitRelease.bundle}
WORK=${WORK:-/tmp/recurformer-gpu-check}
RF_MODEL=${RF_MODEL:-$ROOT/assets/models/recurformer.gguf}
DENSE_MODEL=${DENSE_MODEL:-$ROOT/assets/models/dense.gguf}
PPL_TEXT=${PPL_TEXT:-$ROOT/test/e2e/support/planted-fact-4k.txt}
DEPTHS=${DEPTHS:-0,16384,65536}
JOBS=${JOBS:-$(nproc)}
BUDGET_S=${BUDGET_S:-3000}
SRC=$WORK/llama.cpp BUILD=$WORK/build MODELS=$WORK/models LOGS=$WORK/logs
BIN=$BUILD/bin
START=$SECONDS

if ! nvidia-smi -L 2>/dev/null | grep -q "GPU 0"; then
    echo "skipped: no NVIDIA GPU (nvidia-smi -L lists none)"
    exit 0
fi

left() { echo $((BUDGET_S - (SECONDS - START))); }
say() { echo "[gpu-check +$((SECONDS - START))s] $*" | tee -a "$LOGS/steps.log"; }
# step NAME MIN_SECONDS CMD...: runs CMD into $LOGS/NAME.log unless fewer than MIN_SECONDS of the budget are left
step() {
    local name=$1 need=$2; shift 2
    if (( $(left) < need )); then say "$name: skipped, $(left) s of the budget left"; return 1; fi
    local t=$SECONDS
    timeout "$(left)" "$@" > "$LOGS/$name.log" 2>&1
    local rc=$?
    say "$name: exit $rc in $((SECONDS - t)) s"
    return $rc
}
# the summary and the logs are written on every exit, a cut-short run included
finish() {
    python3 "$ROOT/engine/llama/gpu_report.py" "$LOGS" > "$LOGS/report.txt" 2>&1
    {
        echo "RecurFormer GPU check, $(date -u '+%Y-%m-%d %H:%M UTC'), $((SECONDS - START)) s"
        nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/GPU: /'
        nvcc --version 2>/dev/null | tail -1 | sed 's/^/nvcc: /'
        echo "source: $(basename "$LLAMA_SRC") ($(cat "$LOGS/source.txt" 2>/dev/null)); patches: $(cd "$ROOT/engine/llama" && ls *.patch | LC_ALL=C sort | tr '\n' ' ')"
        echo
        cat "$LOGS/steps.log"
        echo
        echo "== test-backend-ops -b CUDA0 -o SSM_SCAN,SSM_CONV,SSM_CONV_BIAS_SILU: CUDA against the CPU backend"
        echo "   (the cases at our shapes; every case's line is in logs.txt)"
        sed 's/\x1b\[[0-9;]*m//g' "$LOGS/ops.log" 2>/dev/null |
            grep -E "d_state=(16|32|64),|1344|1000,|FAIL|tests passed|backends passed|not supported"
        echo
        cat "$LOGS/report.txt"
        echo
        python3 "$ROOT/engine/llama/gpu_profile.py" "$LOGS" 2>&1
    } > "$OUT_DIR/gpu-check.txt"
    cp "$LOGS"/bench-*.json "$OUT_DIR"/ 2>/dev/null
    (cd "$LOGS" && ls ncu-*.csv > /dev/null 2>&1 && tar -cJf "$OUT_DIR/ncu.tar.xz" ncu-*.csv)
    for f in "$LOGS"/*.log; do echo "===== $(basename "$f")"; grep -v "^llama_model_loader: - kv\|^load_tensors: \|print_info: \|llama_model_loader: - type" "$f" | tail -n 150; done > "$OUT_DIR/logs.txt"
    cat "$OUT_DIR/gpu-check.txt"
}

rm -rf "$WORK" && mkdir -p "$MODELS" "$LOGS"
trap finish EXIT
say "start: $(nproc) cores, budget $BUDGET_S s"
nvidia-smi --query-gpu=name --format=csv,noheader > "$LOGS/gpu.txt" 2>/dev/null

# 1. source, patches, build ------------------------------------------------------------------------------
case "$LLAMA_SRC" in
    *.bundle) git clone -q "$LLAMA_SRC" "$SRC" ;;
    *.tar|*.tar.*) mkdir -p "$SRC" && tar -xf "$LLAMA_SRC" -C "$SRC" ;;
    *) cp -r "$LLAMA_SRC" "$SRC" ;;
esac
(cd "$SRC" && git rev-parse --short HEAD 2>/dev/null || echo "not a git checkout") > "$LOGS/source.txt"
cp "$ROOT/engine/llama/recurformer.cpp" "$ROOT/engine/llama/based.cpp" "$SRC/src/models/"
cp "$ROOT/engine/llama/llama-memory-pyramid.h" "$ROOT/engine/llama/llama-memory-pyramid.cpp" "$SRC/src/"
for patch in $(ls "$ROOT"/engine/llama/*.patch | LC_ALL=C sort); do
    (cd "$SRC" && GIT_CEILING_DIRECTORIES=$(dirname "$SRC") git apply --whitespace=nowarn "$patch") || { say "$(basename "$patch") does not apply"; exit 1; }
done
say "source ready, patches applied"

# the 1B models are written on the CPU while the GPU build runs
(cd "$ROOT" && GGUF_PY=$SRC/gguf-py PYTHONUNBUFFERED=1 nice python3 -m engine.llama.gpu_models --out "$MODELS" --shapes "$LOGS" \
    > "$LOGS/models.log" 2>&1) &
MODELS_PID=$!

step configure 60 cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DGGML_CUDA_FA_QUANTS=f16-f16 -DGGML_NATIVE=ON -DLLAMA_BUILD_TESTS=ON \
    -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF || exit 1
step build 60 cmake --build "$BUILD" -j "$JOBS" --target llama-perplexity llama-bench test-backend-ops || exit 1

# 2. op parity: CUDA against the CPU backend -------------------------------------------------------------
step ops 20 "$BIN/test-backend-ops" -b CUDA0 -o SSM_SCAN,SSM_CONV,SSM_CONV_BIAS_SILU

# 3. perplexity, CPU only and fully offloaded ------------------------------------------------------------
ppl() {  # ppl NAME MODEL
    [ -f "$2" ] || { say "ppl $1: $2 absent, skipped"; return; }
    step "ppl-$1-gpu" 20 "$BIN/llama-perplexity" -m "$2" -f "$PPL_TEXT" -c 512 -ngl 99 -v   # -v: the graph-splits line
    step "ppl-$1-cpu" 30 "$BIN/llama-perplexity" -m "$2" -f "$PPL_TEXT" -c 512 -ngl 0 --device none -t "$JOBS"
    step "bench-$1" 20 "$BIN/llama-bench" -v -m "$2" -ngl 99 -fa 1 -p 512 -n 32 -r 2   # its log has the graph splits
}
ppl recurformer "$RF_MODEL"
ppl dense "$DENSE_MODEL"

# 4. speed at the 1B shape ---------------------------------------------------------------------------------
while kill -0 "$MODELS_PID" 2>/dev/null && (( $(left) > 30 )); do sleep 2; done
say "1B models: $(tail -n 3 "$LOGS/models.log" | tr '\n' ' ')"
for name in dense-1b recurformer-1b falcon-h1-1b; do
    [ -f "$MODELS/$name.gguf" ] || { say "bench-$name: no model"; continue; }
    step "bench-$name" 45 sh -c "'$BIN/llama-bench' -v -m '$MODELS/$name.gguf' -ngl 99 -fa 1 -p 512 -n 128 -d $DEPTHS -r 3 \
        -o json -oe md > '$LOGS/bench-$name.json'"
done
# the same decode with CUDA graphs off: what the graphs save in kernel launches
for name in dense-1b recurformer-1b; do
    [ -f "$MODELS/$name.gguf" ] || continue
    step "nographs-$name" 30 sh -c "GGML_CUDA_DISABLE_GRAPHS=1 '$BIN/llama-bench' -m '$MODELS/$name.gguf' -ngl 99 -fa 1 \
        -p 0 -n 128 -r 3 -o json > '$LOGS/nographs-$name.json'"
done

# 5. where decode time goes: every kernel of 16 decoded tokens timed by Nsight Compute (graphs off: ncu times each
#    kernel alone either way); the depth is filled in one prompt (-b/-ub = depth) so its kernels are few
if command -v ncu > /dev/null; then
    for depth in 0 16384; do for name in dense-1b recurformer-1b; do
        [ -f "$MODELS/$name.gguf" ] || continue
        batch=$(( depth > 2048 ? depth : 2048 ))
        step "ncu-$name-d$depth" 60 timeout 150 env GGML_CUDA_DISABLE_GRAPHS=1 ncu --metrics gpu__time_duration.sum --csv \
            --print-units base --clock-control none --log-file "$LOGS/ncu-$name-d$depth.csv" \
            "$BIN/llama-bench" -m "$MODELS/$name.gguf" -ngl 99 -fa 1 -p 0 -n 16 -d "$depth" -r 1 --no-warmup \
            -b "$batch" -ub "$batch"
    done; done
else
    say "ncu: absent, no per-kernel breakdown"
fi
say "done"
