import {open} from "node:fs/promises";
import type {LlamaContextSequence, Token} from "node-llama-cpp";
import type {SavedStateResult} from "./protocol.js";

/** 'ggsq': the magic of llama_state_seq_save_file's files (LLAMA_STATE_SEQ_MAGIC) */
const SEQ_STATE_MAGIC = 0x67677371;

/**
 * The tokens a sequence state file (llama_state_seq_save_file: magic, version, token count as
 * uint32, the tokens as uint32 each, then the state) was saved at. Throws when the header does not
 * say so or the tokens run past the end of the file.
 */
export async function readStateTokens(file: string): Promise<{tokens: Token[]; stateBytes: number}> {
    const handle = await open(file, "r");
    try {
        const {size} = await handle.stat();
        const header = Buffer.alloc(12);
        if (size < 12 || (await handle.read(header, 0, 12, 0)).bytesRead < 12)
            throw new Error("the file is shorter than a sequence state header");
        if (header.readUInt32LE(0) !== SEQ_STATE_MAGIC)
            throw new Error("the file is not a llama.cpp sequence state");
        const count = header.readUInt32LE(8);
        if (12 + 4 * count > size)
            throw new Error(`its ${count} tokens run past the end of the file`);
        const body = Buffer.alloc(4 * count);
        await handle.read(body, 0, body.length, 12);
        const tokens: Token[] = [];
        for (let i = 0; i < count; i++)
            tokens.push(body.readUInt32LE(4 * i) as Token);
        // what follows the tokens is exactly llama_state_seq_get_size's bytes (see measureSequenceState)
        return {tokens, stateBytes: size - 12 - 4 * count};
    } finally {
        await handle.close();
    }
}

/** The first index where `saved` is not the start of `prompt` (saved.length when it is a prefix). */
function firstDifference(saved: Token[], prompt: Token[]): number {
    const n = Math.min(saved.length, prompt.length);
    for (let i = 0; i < n; i++)
        if (saved[i] !== prompt[i])
            return i;
    return saved.length;
}

/**
 * Loads a saved state into `sequence` when it is worth it and fits: its tokens must be the start
 * of `head` (the tokens the turn is about to hold), and longer than what the sequence already
 * holds of `head`. What it held is cleared first (with its checkpoints); a checkpoint is taken
 * right after loading, so a rollback to this point (Regenerate) needs no second load.
 * The file was checked by the caller (model file, context settings, checksum); llama.cpp checks
 * the state's own layout. Returns what it did, with the reason when it refused.
 */
export async function resumeSequence(sequence: LlamaContextSequence, file: string, head: Token[]): Promise<NonNullable<SavedStateResult["resume"]>> {
    const started = performance.now();
    let saved: Token[];
    let stateBytes: number;
    try {
        ({tokens: saved, stateBytes} = await readStateTokens(file));
    } catch (err) {
        return {status: "refused", reason: `the saved state could not be read: ${(err as Error).message}`};
    }
    const differs = firstDifference(saved, head);
    if (differs < saved.length)
        return {
            status: "refused",
            reason: differs >= head.length
                ? `the saved state holds ${saved.length} tokens, more than this turn's ${head.length}`
                : `the chat's text differs from the saved state's at token ${differs} of ${saved.length} (a document or message changed)`
        };
    const held = firstDifference(sequence.contextTokens.slice(0, sequence.nextTokenIndex), head);
    if (held >= saved.length)
        return {status: "notNeeded", tokens: held};
    if (saved.length > sequence.contextSize)
        return {status: "refused", reason: `the saved state holds ${saved.length} tokens, more than the context's ${sequence.contextSize}`};
    try {
        await sequence.clearHistory();
        await sequence.loadStateFromFile(file, {acceptRisk: true});
    } catch (err) {
        await sequence.clearHistory().catch(() => undefined);
        return {status: "refused", reason: `llama.cpp could not load the saved state: ${(err as Error).message}`};
    }
    await sequence.takeCheckpoint();
    return {status: "resumed", tokens: saved.length, stateBytes, loadMs: performance.now() - started};
}

/** Writes the sequence's whole state (llama_state_seq_save_file) to `file`; its size and the time it took. */
export async function saveSequence(sequence: LlamaContextSequence, file: string): Promise<NonNullable<SavedStateResult["saved"]>> {
    const started = performance.now();
    const {fileSize} = await sequence.saveStateToFile(file);
    return {path: file, bytes: fileSize, tokens: sequence.nextTokenIndex, saveMs: performance.now() - started};
}

/**
 * PyramidInfer (engine/llama/PYRAMID.md, "Rewinds"): a selection drops tokens for good, so a sequence rolled back
 * past its last selection holds thinner layers than the same tokens read afresh, and node-llama-cpp's checkpoints
 * hold only the recurrent state. The last selection is not visible from here (it falls anywhere in the last `every`
 * tokens), and a rollback does not set back the engine's count toward the next selection, so even one short of it
 * would select off the schedule later: any rollback is treated as past it. When `head` does not start with every
 * token the sequence holds, the sequence is cleared and the turn reads its tokens afresh. Returns whether it cleared.
 */
export async function clearPyramidRewind(sequence: LlamaContextSequence, head: Token[]): Promise<boolean> {
    const held = sequence.contextTokens.slice(0, sequence.nextTokenIndex);
    if (held.length <= head.length && firstDifference(held, head) === held.length)
        return false;
    await sequence.clearHistory();
    return true;
}
