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
import re

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


# ----------------------------------------------------------------------------- a checkpoint's own chat format
#
# Training samples are built in ChatML above (the task generators call format_chat). A real checkpoint
# (tokenizer/pretrained.py) was tuned on its own format, so its rows are re-rendered with the chat template
# from its tokenizer_config.json: parse the ChatML sample back into messages, render those.

LLAMA3_TEMPLATE_JINJA = (   # Meta-Llama-3-8B-Instruct's template (used when a Llama-3 tokenizer has none)
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
    "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}"
    "{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)
_CHATML_TURN = re.compile(r"<\|im_start\|>([^\n<]*)\n(.*?)<\|im_end\|>\n", re.S)


class ChatTemplateError(ValueError):
    """A chat template this pipeline cannot render; the message says what is missing."""


def parse_chatml(text):
    """(messages, add_generation_prompt) of a format_chat() string; raises ValueError when `text` is not
    exactly what format_chat would write for them (e.g. a message containing <|im_end|>)."""
    messages, pos = [], 0
    while True:
        m = _CHATML_TURN.match(text, pos)
        if not m:
            break
        messages.append({"role": m.group(1), "content": m.group(2)})
        pos = m.end()
    generation = text[pos:] == f"{IM_START}assistant\n"
    if format_chat(messages, generation) != text:
        raise ValueError(f"not a ChatML sample this module wrote: {text[:80]!r}...")
    return messages, generation


def _jinja_renderer(template):
    """Compiled like transformers' apply_chat_template: sandboxed, trim_blocks + lstrip_blocks, loop controls,
    tojson, raise_exception. No strftime_now: templates that ask for today's date (Llama-3.1+) then use their
    fixed default, so training rows do not depend on the day they were made."""
    import json

    import jinja2
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env.from_string(template)


def _jinja_string_literal(s):
    return s.replace("\\n", "\n").replace("\\'", "'").replace('\\"', '"').replace("\\\\", "\\")


class ChatFormat:
    """Renders messages in a checkpoint's chat format.

    template: its tokenizer_config.json chat_template (None: the tokenizer has none); special: the template's
    token variables (bos_token, eos_token, ...: text); vocabulary: the tokenizer's added-token texts.
    renderer: "auto" (jinja2 when importable, else "fallback"), "jinja", "fallback", "chatml", "llama3".
    With jinja2 installed the template itself is rendered, as transformers and llama.cpp do. Without it, or
    when there is no template, two formats are written out here: ChatML (Qwen2/Qwen2.5: <|im_start|>, with
    the template's default system prompt when it has one) and Llama-3's header format
    (<|start_header_id|>role<|end_header_id|>, <|eot_id|>); any other template raises ChatTemplateError
    naming jinja2. `self.template` is what goes into the GGUF: the checkpoint's own, or for a tokenizer
    without one the template written here for the format its special tokens imply."""

    def __init__(self, template, special=None, vocabulary=(), renderer="auto"):
        if isinstance(template, list):      # named templates: the default one
            template = next((t["template"] for t in template if t.get("name") == "default"), None)
        self.special = {k: v for k, v in (special or {}).items() if v is not None}
        vocabulary = set(vocabulary)
        chatml = {IM_START, IM_END} <= vocabulary
        llama3 = {"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"} <= vocabulary
        self.source = "tokenizer_config.json"
        if template is None:
            if not (chatml or llama3):
                raise ChatTemplateError("the tokenizer has no chat template (tokenizer_config.json chat_template) "
                                        "and neither ChatML nor Llama-3 header tokens: give it a template")
            template = CHAT_TEMPLATE_JINJA if chatml else LLAMA3_TEMPLATE_JINJA
            self.source = "written here (the tokenizer has none)"
            renderer = "chatml" if chatml else "llama3"
        self.template = template
        self._wanted = renderer
        self._render = None

    def _resolve(self):
        if self._render is not None:
            return
        t, kind = self.template, self._wanted
        if kind == "auto":
            try:
                import jinja2  # noqa: F401
                kind = "jinja"
            except ImportError:
                kind = "fallback"
        if kind == "fallback":
            kind = self._fallback_kind()
        if kind == "jinja":
            try:
                compiled = _jinja_renderer(t)
            except ImportError:
                raise ChatTemplateError("rendering the chat template needs the jinja2 package (pip install jinja2)") \
                    from None
            self._render = lambda msgs, gen: compiled.render(messages=msgs, add_generation_prompt=gen, tools=None,
                                                             documents=None, **self.special)
        elif kind == "chatml":
            m = re.search(r"""(['"])<\|im_start\|>system\\n((?:(?!\1)[^{}+])*?)<\|im_end\|>\\n\1""", t)
            default_system = _jinja_string_literal(m.group(2)) if m else None

            def chatml(msgs, gen):
                if default_system is not None and (not msgs or msgs[0]["role"] != "system"):
                    msgs = [{"role": "system", "content": default_system}] + list(msgs)
                return format_chat(msgs, gen)
            self._render = chatml
        elif kind == "llama3":
            bos = self.special.get("bos_token", "")

            def llama3(msgs, gen):
                out = "".join(f"<|start_header_id|>{m['role']}<|end_header_id|>\n\n{m['content'].strip()}<|eot_id|>"
                              for m in msgs)
                out = (bos + out) if msgs else out
                return out + ("<|start_header_id|>assistant<|end_header_id|>\n\n" if gen else "")
            self._render = llama3
        else:
            raise ValueError(f"unknown renderer {kind}")
        self.renderer = kind

    def _fallback_kind(self):
        t = self.template
        if "<|im_start|>" in t and "<|im_end|>" in t and "think>" not in t:
            return "chatml"
        if "<|start_header_id|>" in t and "<|eot_id|>" in t and "Cutting Knowledge" not in t:
            return "llama3"
        raise ChatTemplateError("this chat template needs the jinja2 package to be rendered (pip install jinja2); "
                                "without it only ChatML (Qwen2/Qwen2.5) and plain Llama-3 header templates are "
                                "supported")

    def check(self):
        """Renders a short conversation and splits it into prompt and answer: raises ChatTemplateError (or the
        template's own error) now rather than after hours of data preparation."""
        self.prompt_and_answer(qa_sample("Is this a question?", "Yes."))
        return self

    def render(self, messages, add_generation_prompt=False):
        self._resolve()
        return self._render(list(messages), add_generation_prompt)

    def from_chatml(self, text, strip=""):
        """A format_chat() string (sample or prompt) in this format; a leading `strip` (the BOS text that
        the caller puts in front of every row itself) is removed."""
        out = self.render(*parse_chatml(text))
        return out[len(strip):] if strip and out.startswith(strip) else out

    def prompt_and_answer(self, sample, strip=""):
        """(prompt ending in the generation prompt, the rest: the answer and its end-of-turn) of a ChatML
        sample whose last message is the assistant's."""
        messages, _ = parse_chatml(sample)
        if not messages or messages[-1]["role"] != "assistant":
            raise ValueError("the sample's last message is not the assistant's")
        prompt = self.render(messages[:-1], True)
        full = self.render(messages, False)
        if not full.startswith(prompt):
            raise ChatTemplateError("this chat template does not render a conversation as its generation prompt "
                                    "followed by the answer; answer masks cannot be placed")
        if strip and prompt.startswith(strip):
            return prompt[len(strip):], full[len(prompt):]
        return prompt, full[len(prompt):]
