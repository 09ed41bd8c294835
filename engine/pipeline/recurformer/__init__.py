"""RecurFormer pipeline: dense model, Mamba-2 block, RecurFormer model, surgery, GGUF export.
One file per idea; see engine/pipeline/README.md."""
