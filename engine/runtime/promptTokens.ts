import {resolveChatWrapper, GeneralChatWrapper, type ChatHistoryItem, type ChatWrapper, type LlamaModel, type Token} from "node-llama-cpp";
import type {ChatMessage} from "./protocol.js";

/**
 * A raw prompt's tokens: special tokens written as text (`<|im_start|>`, `</s>`, ...) become those
 * tokens, as llama.cpp's own tools read a prompt, and the model's BOS goes first where it wants one
 * (unless the prompt already starts with it).
 */
export function rawPromptTokens(model: LlamaModel, prompt: string): Token[] {
    const tokens = model.tokenize(prompt, true);
    const bos = model.tokens.bos;
    if (model.tokens.shouldPrependBosToken && bos != null && tokens[0] !== bos)
        tokens.unshift(bos);
    if (tokens.length === 0)
        tokens.push(bos ?? model.tokens.eos ?? (0 as Token));
    return tokens;
}

/** Each model's chat wrapper, resolved once: resolving renders the Jinja template several times (hundreds of ms). */
const chatWrappers = new WeakMap<LlamaModel, ChatWrapper>();

/** The chat wrapper a `LlamaChatSession` uses for this model ("auto": from the GGUF's tokenizer.chat_template), resolved once per model. */
export function chatWrapperOf(model: LlamaModel): ChatWrapper {
    let wrapper = chatWrappers.get(model);
    if (wrapper == null) {
        wrapper = resolveChatWrapper(model) ?? new GeneralChatWrapper();
        chatWrappers.set(model, wrapper);
    }
    return wrapper;
}

/**
 * How many tokens chat messages are through the model's chat template, up to where the answer
 * starts: what a chat turn evaluates before its first answer token.
 */
export function chatPromptTokens(model: LlamaModel, messages: readonly ChatMessage[], chatWrapper = chatWrapperOf(model)): number {
    const history: ChatHistoryItem[] = messages.map((message): ChatHistoryItem => message.role === "assistant"
        ? {type: "model", response: [message.content]}
        : {type: message.role, text: message.content});
    const {contextText} = chatWrapper.generateContextState({chatHistory: [...history, {type: "model", response: []}]});
    return contextText.tokenize(model.tokenizer).length;
}
