import {createHash, timingSafeEqual} from "node:crypto";
import type {IncomingMessage, ServerResponse} from "node:http";
import {ApiError} from "./ApiError.js";

/** The request body parsed as JSON; 413 past `maxBytes`, 400 when it is not JSON. */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes)
        throw tooLarge(maxBytes);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes)
            throw tooLarge(maxBytes);
        chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    if (text.trim().length === 0)
        throw new ApiError(400, "The request body is empty; send a JSON object.", {code: "invalid_json"});
    try {
        return JSON.parse(text);
    } catch (err) {
        throw new ApiError(400, `The request body is not valid JSON: ${(err as Error).message}`, {code: "invalid_json"});
    }
}

function tooLarge(maxBytes: number): ApiError {
    return new ApiError(413, `The request body is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB.`, {code: "request_too_large"});
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {"content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text)});
    res.end(text);
}

/** Starts a server-sent-events response. */
export function startEvents(res: ServerResponse): void {
    res.writeHead(200, {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "connection": "keep-alive"});
    res.flushHeaders();
}

export function sendEvent(res: ServerResponse, data: unknown): void {
    if (!res.writableEnded && !res.destroyed)
        res.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
}

/** 401 unless the request carries `Authorization: Bearer <key>` (compared in constant time). */
export function checkKey(req: IncomingMessage, key: string): void {
    const header = req.headers.authorization;
    if (header == null || header.length === 0)
        throw new ApiError(401, "No API key: send it as 'Authorization: Bearer KEY' (the key `recurformer api` printed when it started).", {code: "missing_api_key"});
    const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? "";
    const digest = (text: string) => createHash("sha256").update(text).digest();
    if (!timingSafeEqual(digest(given), digest(key)))
        throw new ApiError(401, "Incorrect API key provided.", {code: "invalid_api_key"});
}
