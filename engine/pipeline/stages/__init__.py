"""The pipeline's stages, one command each: pretrain, analyze, convert (surgery + continual
training), export, evaluate. Each reads and writes a checkpoint directory (see checkpoint.py)."""
