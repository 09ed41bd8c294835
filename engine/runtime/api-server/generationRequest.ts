import type {ChatMessage, Sampling} from "../protocol.js";
import {invalidField} from "./ApiError.js";

/** A chat or text completion request, checked: what the server hands the engine. */
export interface GenerationRequest {
    kind: "chat" | "complete";
    /** the model id asked for (undefined: the first served model) */
    model?: string;
    /** chat: the conversation, ending with the user's message */
    messages: ChatMessage[];
    /** complete: the raw prompt */
    prompt: string;
    /** undefined: as many as the context has room for */
    maxTokens?: number;
    sampling: Sampling;
    /** up to 4 strings; the answer ends before the first of them */
    stop: string[];
    stream: boolean;
    /** stream_options.include_usage: a last chunk with `usage` and no choices */
    includeUsage: boolean;
}

/** The largest temperature OpenAI accepts. */
const maxTemperature = 2;
/** OpenAI's limit on stop strings. */
const maxStopStrings = 4;

/** Fields OpenAI defines that this server does not implement: refused when set to anything but their "off" value, never ignored. */
const unsupported: Record<string, (value: unknown) => boolean> = {
    n: (value) => value === 1,
    logprobs: (value) => value === false || value === 0,
    top_logprobs: (value) => value === 0,
    echo: (value) => value === false,
    best_of: (value) => value === 1,
    suffix: (value) => value === "",
    frequency_penalty: (value) => value === 0,
    presence_penalty: (value) => value === 0,
    logit_bias: (value) => typeof value === "object" && value != null && Object.keys(value).length === 0,
    tools: (value) => Array.isArray(value) && value.length === 0,
    functions: (value) => Array.isArray(value) && value.length === 0,
    response_format: (value) => typeof value === "object" && value != null && (value as {type?: unknown}).type === "text"
};

/** Checks a POST /v1/chat/completions or /v1/completions body; a wrong field is a 400 naming it. */
export function parseGenerationRequest(kind: "chat" | "complete", body: unknown): GenerationRequest {
    if (typeof body !== "object" || body == null || Array.isArray(body))
        throw invalidField("body", "The request body must be a JSON object.", "invalid_body");
    const fields = body as Record<string, unknown>;
    for (const [name, isOff] of Object.entries(unsupported))
        if (fields[name] != null && !isOff(fields[name]))
            throw invalidField(name, `'${name}' is not supported by this server; leave it out.`, "unsupported_parameter");

    const model = optional(fields, "model", (value) => typeof value === "string" && value.length > 0, "a model id (GET /v1/models lists them)");
    const maxTokens = optional(fields, kind === "chat" && fields.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens",
        (value) => Number.isInteger(value) && (value as number) >= 1, "a whole number >= 1");
    const temperature = optional(fields, "temperature",
        (value) => typeof value === "number" && value >= 0 && value <= maxTemperature, `a number from 0 to ${maxTemperature}`);
    const topP = optional(fields, "top_p", (value) => typeof value === "number" && value > 0 && value <= 1, "a number above 0, at most 1");
    const seed = optional(fields, "seed", (value) => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffffffff,
        "a whole number from 0 to 4294967295");
    const stream = optional(fields, "stream", (value) => typeof value === "boolean", "true or false") ?? false;
    const streamOptions = optional(fields, "stream_options", (value) => typeof value === "object" && !Array.isArray(value), "an object");

    return {
        kind,
        ...(model != null ? {model: model as string} : {}),
        messages: kind === "chat" ? parseMessages(fields.messages) : [],
        prompt: kind === "complete" ? parsePrompt(fields.prompt) : "",
        ...(maxTokens != null ? {maxTokens: maxTokens as number} : {}),
        sampling: {
            // OpenAI's default temperature is 1
            temperature: (temperature as number | undefined) ?? 1,
            ...(topP != null && topP !== 1 ? {topP: topP as number} : {}),
            ...(seed != null ? {seed: seed as number} : {})
        },
        stop: parseStop(fields.stop),
        stream: stream as boolean,
        includeUsage: (streamOptions as {include_usage?: unknown} | undefined)?.include_usage === true
    };
}

/** A field that may be absent or null; present, it must pass `valid`. */
function optional(fields: Record<string, unknown>, name: string, valid: (value: unknown) => boolean, what: string): unknown {
    const value = fields[name];
    if (value == null)
        return undefined;
    if (!valid(value))
        throw invalidField(name, `'${name}' must be ${what}, not ${JSON.stringify(value)?.slice(0, 60)}.`);
    return value;
}

function parseMessages(value: unknown): ChatMessage[] {
    if (!Array.isArray(value) || value.length === 0)
        throw invalidField("messages", "'messages' must be a non-empty array of {role, content}.");
    const messages = value.map((message, i): ChatMessage => {
        const param = `messages[${i}]`;
        if (typeof message !== "object" || message == null)
            throw invalidField(param, `${param} must be an object {role, content}.`);
        const {role, content} = message as {role?: unknown, content?: unknown};
        if (role !== "system" && role !== "developer" && role !== "user" && role !== "assistant")
            throw invalidField(`${param}.role`, `${param}.role must be system, developer, user or assistant, not ${JSON.stringify(role)}.`);
        return {role: role === "developer" ? "system" : role, content: messageText(content, `${param}.content`)};
    });
    if (messages.at(-1)!.role !== "user")
        throw invalidField(`messages[${messages.length - 1}].role`, "The last message must be the user's: this server answers it.");
    return messages;
}

/** A message's text: a string, or an array of {type: "text", text} parts (joined). */
function messageText(content: unknown, param: string): string {
    if (typeof content === "string")
        return content;
    if (Array.isArray(content) && content.length > 0)
        return content.map((part, i) => {
            const {type, text} = (part ?? {}) as {type?: unknown, text?: unknown};
            if (type !== "text" || typeof text !== "string")
                throw invalidField(`${param}[${i}]`, `${param}[${i}] must be {type: "text", text}: these models read text only.`);
            return text;
        }).join("\n");
    throw invalidField(param, `${param} must be a string or an array of text parts.`);
}

function parsePrompt(value: unknown): string {
    if (typeof value === "string" && value.length > 0)
        return value;
    if (Array.isArray(value) && value.length === 1 && typeof value[0] === "string" && value[0].length > 0)
        return value[0];
    if (Array.isArray(value) && value.length > 1)
        throw invalidField("prompt", "One prompt per request: send the others as requests of their own (they run in parallel).", "unsupported_parameter");
    throw invalidField("prompt", "'prompt' must be a non-empty string.");
}

function parseStop(value: unknown): string[] {
    if (value == null)
        return [];
    const stops = typeof value === "string" ? [value] : value;
    if (!Array.isArray(stops) || stops.length > maxStopStrings || stops.some((stop) => typeof stop !== "string" || stop.length === 0))
        throw invalidField("stop", `'stop' must be a non-empty string or up to ${maxStopStrings} of them.`);
    return stops as string[];
}
