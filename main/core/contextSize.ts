/**
 * The context a model loads with by default: the context it was trained for, where the KV cache of
 * every chat slot at that length fits in the memory share allowed for it; else the largest power of
 * two that fits, with the reason in words.
 */
import os from "node:os";
import type { ModelShape } from "../../api/appApi.js";
import { formatBytes, formatTokens } from "../../api/format.js";

/** parallel sequences per loaded model: two chats can answer at once; each holds its own KV cache for the full context */
export const CHAT_SLOTS = 2;
/** the share of this machine's memory the KV cache of one model may take by default */
export const KV_MEMORY_SHARE = 0.25;
/** a model whose GGUF names no trained context */
export const FALLBACK_CONTEXT = 8192;
const SMALLEST_CONTEXT = 2048;

export interface ContextChoice {
    contextSize: number;
    /** why it is not the trained context, when it is not */
    note?: string;
}

/** KV cache (all chat slots) plus the fixed recurrent state per slot, computed, at `tokens`. */
export function slotsCacheBytes(shape: Pick<ModelShape, "kvBytesPerToken" | "recurrentStateBytes">, tokens: number, slots = CHAT_SLOTS): number {
    return slots * (tokens * shape.kvBytesPerToken + shape.recurrentStateBytes);
}

export function defaultContext(shape: Pick<ModelShape, "contextLength" | "kvBytesPerToken" | "recurrentStateBytes">, memoryBytes = os.totalmem()): ContextChoice {
    const trained = shape.contextLength;
    if (!trained) return { contextSize: FALLBACK_CONTEXT, note: `The model does not say what context it was trained for; ${formatTokens(FALLBACK_CONTEXT)} tokens by default.` };
    const budget = memoryBytes * KV_MEMORY_SHARE;
    if (slotsCacheBytes(shape, trained) <= budget) return { contextSize: trained };
    let size = SMALLEST_CONTEXT;
    while (size * 2 < trained && slotsCacheBytes(shape, size * 2) <= budget) size *= 2;
    return {
        contextSize: size,
        note: `Not the trained ${formatTokens(trained)}: ${CHAT_SLOTS} chat slots × ${formatTokens(trained)} tokens would need ${formatBytes(slotsCacheBytes(shape, trained))} of cache, more than a quarter of this machine's ${formatBytes(memoryBytes)} of memory.`,
    };
}
