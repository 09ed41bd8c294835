import v8 from "node:v8";
import type {Reply, Request} from "../protocol.js";

/**
 * What travels over the remote engine's WebSocket, one frame per message, serialized as
 * `child_process.fork`'s "advanced" serialization does (v8's structured clone), so a message arrives
 * exactly as it would from a local engine process.
 */
export type HostFrame =
    /** a message of the engine process */
    | {t: "m", m: Reply}
    /** text the engine process wrote (llama.cpp's log) */
    | {t: "o", d: string}
    /** the engine process ended */
    | {t: "x", code: number | null, signal: string | null};

export type ClientFrame =
    /** a request for the engine process */
    | {t: "r", m: Request}
    /** end the engine process at once */
    | {t: "k"};

export function encodeFrame(frame: HostFrame | ClientFrame): Buffer {
    return v8.serialize(frame);
}

/** A frame, or undefined when the bytes are not one. */
export function decodeFrame<T extends HostFrame | ClientFrame>(data: Buffer): T | undefined {
    try {
        const frame = v8.deserialize(data) as {t?: unknown};
        return typeof frame === "object" && frame != null && typeof frame.t === "string" ? frame as T : undefined;
    } catch {
        return undefined;
    }
}
