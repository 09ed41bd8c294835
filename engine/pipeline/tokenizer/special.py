"""Special (control) tokens. They get the first ids, so every vocabulary size
keeps them in the same place, and they are matched as whole strings before
pre-tokenisation (as llama.cpp does for CONTROL tokens)."""

ENDOFTEXT = "<|endoftext|>"   # document separator; BOS in GGUF
IM_START = "<|im_start|>"     # chat turn start (see tasks/chat_template.py)
IM_END = "<|im_end|>"         # chat turn end; EOS/EOT in GGUF
PAD = "<|pad|>"

SPECIAL_TOKENS = [ENDOFTEXT, IM_START, IM_END, PAD]
