/**
 * One WebSocket message of serve mode's API, checked before anything acts on it:
 * `{id, method, params}` with `id` a non-negative safe integer, `method` an API method and no
 * other keys. Whatever a client sends, the answer is a request to run or an error reply
 * (`InvalidRequestError`, with `id: null` when the id itself is unusable); nothing here throws.
 */
import type { ApiMethod } from "../../api/appApi.js";
import { InvalidRequestError, isApiMethod } from "../../api/validate.js";

export type Parsed =
    | { ok: true; id: number; method: ApiMethod; params: unknown }
    | { ok: false; id: number | null; error: { name: string; message: string } };

/** the longest piece of a client's own text echoed back in an error */
const ECHO = 60;

function echo(value: unknown): string {
    let text: string;
    try { text = JSON.stringify(value) ?? String(value); } catch { text = Array.isArray(value) ? "a nested array" : typeof value; } // too deep to print
    return text.length > ECHO ? `${text.slice(0, ECHO)}…` : text;
}

function invalid(id: number | null, message: string): Parsed {
    return { ok: false, id, error: { name: new InvalidRequestError().name, message } };
}

export function parseMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): Parsed {
    if (isBinary) return invalid(null, "Messages must be text frames holding JSON, not binary.");
    const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    let message: unknown;
    try {
        message = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
    } catch (error) {
        return invalid(null, error instanceof SyntaxError ? `The message is not JSON (${error.message.slice(0, ECHO)}).` : "The message is not valid UTF-8 text.");
    }
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
        return invalid(null, `A message must be a JSON object {id, method, params}, not ${echo(message)}.`);
    }
    const { id, method, params, ...extra } = message as Record<string, unknown>;
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) {
        return invalid(null, `id must be a non-negative integer below 2^53, not ${echo(id)}.`);
    }
    const extraKeys = Object.keys(extra);
    if (extraKeys.length) return invalid(id, `${echo(extraKeys[0])} is not allowed in a message (only id, method, params).`);
    if (!isApiMethod(method)) return invalid(id, `unknown method ${echo(method)}`);
    return { ok: true, id, method, params };
}
