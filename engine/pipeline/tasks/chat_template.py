"""The one chat format: ChatML. Used to format training samples and written
into the GGUF as `tokenizer.chat_template` (llama.cpp detects it as "chatml";
node-llama-cpp's Jinja engine renders it).

    <|im_start|>system\\n{content}<|im_end|>\\n      (optional)
    <|im_start|>user\\n{content}<|im_end|>\\n
    <|im_start|>assistant\\n{content}<|im_end|>\\n

<|im_start|> and <|im_end|> are single control tokens (tokenizer/special.py).
A generation prompt ends with "<|im_start|>assistant\\n"; the model ends its
answer with <|im_end|> (the GGUF EOS/EOT token).
"""
from ..tokenizer.special import IM_END, IM_START

CHAT_TEMPLATE_JINJA = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def format_chat(messages, add_generation_prompt=False):
    """Python twin of CHAT_TEMPLATE_JINJA. messages: [{"role": ..., "content": ...}]."""
    out = "".join(f"{IM_START}{m['role']}\n{m['content']}{IM_END}\n" for m in messages)
    if add_generation_prompt:
        out += f"{IM_START}assistant\n"
    return out


def assistant_spans(formatted):
    """(start, end) character spans of assistant replies, each including its <|im_end|>
    (what a trainer puts the loss on when it masks prompts)."""
    spans, head = [], f"{IM_START}assistant\n"
    pos = formatted.find(head)
    while pos >= 0:
        start = pos + len(head)
        end = formatted.find(IM_END, start)
        end = len(formatted) if end < 0 else end + len(IM_END)
        spans.append((start, end))
        pos = formatted.find(head, end)
    return spans


def qa_sample(question, answer, system=None):
    msgs = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return format_chat(msgs)
