/** Limits and the messages that explain them; shared so that the browser and the core say the same. */
import { formatBytes } from "./format.js";

/** Default largest document file (bytes); RECURFORMER_MAX_DOCUMENT_MB changes it. */
export const DEFAULT_MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

/** How many lanes one comparison runs on one prompt (four: dense and RecurFormer, each with and without PyramidInfer). */
export const COMPARE_LANES = { min: 2, max: 4 } as const;

/** Tokens kept free for the question and the answer when checking whether a document fits. */
export const ANSWER_RESERVE_TOKENS = 512;

export function tooLargeMessage(name: string, bytes: number, maxBytes: number): string {
    return `“${name}” is ${formatBytes(bytes)}; documents up to ${formatBytes(maxBytes)} can be read. ` +
        `That is already about ${Math.round(maxBytes / 4 / 1e6)} million tokens, more than any model's context: split the file or cut what you need.`;
}

/** A rough token count (UTF-8 bytes / 4), used only where the engine cannot count; always labelled "estimated". */
export function estimateTokens(text: string): number {
    return Math.ceil(new TextEncoder().encode(text).length / 4);
}
