/**
 * Small validators for every API payload that crosses a process or network boundary.
 * Each method in `ApiMethods` has one schema; `validateParams` throws `InvalidRequestError`
 * naming the field that is wrong. No dependencies, so the renderer can use it too.
 */
import type { ApiMethod, ParamsOf } from "./appApi.js";
import { COMPARE_LANES } from "./limits.js";
import { pyramidProblem, type PyramidSetting } from "./pyramidSetting.js";

export class InvalidRequestError extends Error {
    override name = "InvalidRequestError";
}

type Check<T> = (value: unknown, path: string) => T;

const fail = (path: string, what: string): never => {
    throw new InvalidRequestError(`${path} ${what}`);
};

export const v = {
    string(opts: { min?: number; max?: number; pattern?: RegExp } = {}): Check<string> {
        return (value, path) => {
            if (typeof value !== "string") return fail(path, "must be a string");
            if (opts.min != null && value.length < opts.min) return fail(path, `must have at least ${opts.min} characters`);
            if (opts.max != null && value.length > opts.max) return fail(path, `must have at most ${opts.max} characters`);
            if (opts.pattern && !opts.pattern.test(value)) return fail(path, "has an invalid format");
            return value;
        };
    },
    int(opts: { min?: number; max?: number } = {}): Check<number> {
        return (value, path) => {
            if (typeof value !== "number" || !Number.isInteger(value)) return fail(path, "must be an integer");
            if (opts.min != null && value < opts.min) return fail(path, `must be at least ${opts.min}`);
            if (opts.max != null && value > opts.max) return fail(path, `must be at most ${opts.max}`);
            return value;
        };
    },
    boolean(): Check<boolean> {
        return (value, path) => (typeof value === "boolean" ? value : fail(path, "must be true or false"));
    },
    literal<T extends string>(...values: T[]): Check<T> {
        return (value, path) => {
            if (typeof value !== "string" || !(values as string[]).includes(value)) return fail(path, `must be one of ${values.join(", ")}`);
            return value as T;
        };
    },
    optional<T>(check: Check<T>): Check<T | undefined> {
        return (value, path) => (value === undefined ? undefined : check(value, path));
    },
    array<T>(check: Check<T>, opts: { min?: number; max?: number } = {}): Check<T[]> {
        return (value, path) => {
            if (!Array.isArray(value)) return fail(path, "must be an array");
            if (opts.min != null && value.length < opts.min) return fail(path, `must have at least ${opts.min} items`);
            if (opts.max != null && value.length > opts.max) return fail(path, `must have at most ${opts.max} items`);
            return value.map((item, i) => check(item, `${path}[${i}]`));
        };
    },
    object<S extends Record<string, Check<unknown>>>(shape: S): Check<{ [K in keyof S]: ReturnType<S[K]> }> {
        return (value, path) => {
            if (typeof value !== "object" || value === null || Array.isArray(value)) return fail(path, "must be an object");
            for (const key of Object.keys(value)) if (!(key in shape)) fail(`${path}.${key}`, "is not allowed");
            const out: Record<string, unknown> = {};
            for (const [key, check] of Object.entries(shape)) {
                const got = check((value as Record<string, unknown>)[key], `${path}.${key}`);
                if (got !== undefined) out[key] = got;
            }
            return out as { [K in keyof S]: ReturnType<S[K]> };
        };
    },
    none(): Check<undefined> {
        return (value, path) => {
            if (value === undefined || value === null) return undefined;
            if (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0) return undefined;
            return fail(path, "takes no parameters");
        };
    },
    union<T>(pick: (value: unknown) => Check<T> | undefined, what: string): Check<T> {
        return (value, path) => {
            const check = pick(value);
            if (!check) return fail(path, what);
            return check(value, path);
        };
    },
};

function numberCheck(value: unknown, path: string): number {
    return typeof value === "number" && Number.isFinite(value) ? value : fail(path, "must be a number");
}

const id = v.string({ min: 1, max: 128, pattern: /^[A-Za-z0-9_.:-]+$/ });
const filePath = v.string({ min: 1, max: 4096 });
const text = v.string({ max: 4_000_000 });

/** PyramidInfer's schedule: each field's type, then the values the engine can load, in the setting's own words */
const pyramidShape = v.object({ on: v.boolean(), r0: numberCheck, decay: numberCheck, recent: numberCheck });
const pyramid: Check<PyramidSetting> = (value, path) => {
    const p = pyramidShape(value, path);
    const problem = pyramidProblem(p);
    return problem ? fail(path, `is not a schedule the engine can load: ${problem}`) : p;
};

const settings = v.object({
    contextSize: v.optional(v.int({ min: 64, max: 1_048_576 })),
    threads: v.optional(v.int({ min: 0, max: 1024 })),
    gpuLayers: v.optional(v.int({ min: 0, max: 10_000 })),
    cacheType: v.optional(v.literal("f16", "q8_0")),
    pyramid: v.optional(pyramid),
});

const documentSource = v.union<ParamsOf<"documents.ingest">["source"]>((value) => {
    const kind = (value as { kind?: unknown } | null)?.kind;
    if (kind === "path") return v.object({ kind: v.literal("path"), path: filePath, name: v.optional(v.string({ max: 512 })) });
    if (kind === "upload") return v.object({ kind: v.literal("upload"), uploadId: id, name: v.string({ min: 1, max: 512 }) });
    return undefined;
}, "must be {kind: 'path', path} or {kind: 'upload', uploadId, name}");

const schemas: { [M in ApiMethod]: Check<unknown> } = {
    "app.info": v.none(),
    "engine.status": v.none(),
    "engine.restart": v.none(),
    "engine.connect": v.object({ url: v.string({ min: 1, max: 2048 }), token: v.optional(v.string({ min: 1, max: 4096 })) }),
    "engine.disconnect": v.none(),
    "engine.remoteSetting": v.none(),
    "apiServer.status": v.none(),
    "apiServer.set": v.object({ enabled: v.boolean(), port: v.optional(v.int({ min: 1, max: 65535 })) }),
    "models.list": v.none(),
    "models.add": v.object({ path: filePath }),
    "models.remove": v.object({ modelId: id }),
    "models.load": v.object({ modelId: id }),
    "models.unload": v.object({ modelId: id }),
    "models.setSettings": v.object({ modelId: id, settings }),
    "models.pickFile": v.none(),
    "chats.list": v.none(),
    "chats.get": v.object({ chatId: id }),
    "chats.create": v.union((value) => (value === undefined || value === null ? v.none() : v.object({ modelId: v.optional(id) })), "must be an object"),
    "chats.rename": v.object({ chatId: id, title: v.string({ min: 1, max: 200 }) }),
    "chats.delete": v.object({ chatId: id }),
    "chats.setModel": v.object({ chatId: id, modelId: id }),
    "chats.send": v.object({ chatId: id, text, documentIds: v.optional(v.array(id, { max: 16 })) }),
    "chats.stop": v.object({ chatId: id }),
    "chats.regenerate": v.object({ chatId: id }),
    "chats.continue": v.object({ chatId: id }),
    "chats.editResend": v.object({ chatId: id, messageId: id, text }),
    "chats.export": v.object({ chatId: id, format: v.literal("md", "json") }),
    "documents.ingest": v.object({ source: documentSource }),
    "documents.ingestSample": v.none(),
    "documents.cancel": v.object({ documentId: id }),
    "documents.cut": v.object({ documentId: id, modelId: id, maxTokens: v.int({ min: 1, max: 10_000_000 }) }),
    "documents.discard": v.object({ documentId: id }),
    "compare.start": v.object({
        prompt: v.string({ min: 1, max: 200_000 }),
        modelIds: v.array(id, COMPARE_LANES),
        pyramid: v.optional(v.array(v.boolean(), COMPARE_LANES)),
        mode: v.literal("sequential", "parallel"),
        documentIds: v.optional(v.array(id, { max: 16 })),
        maxTokens: v.optional(v.int({ min: 1, max: 8192 })),
    }),
    "compare.stop": v.object({ runId: id }),
    "baselines.list": v.none(),
    "snapshots.list": v.none(),
    "snapshots.free": v.union((value) => (value === undefined || value === null ? v.none() : v.object({ chatId: v.optional(id) })), "must be an object"),
    "snapshots.setBudget": v.object({ bytes: v.int({ min: 0, max: 2 ** 50 }) }),
};

export function isApiMethod(method: unknown): method is ApiMethod {
    return typeof method === "string" && Object.prototype.hasOwnProperty.call(schemas, method);
}

/** Checks `params` against the method's schema; returns the cleaned value or throws. */
export function validateParams<M extends ApiMethod>(method: M, params: unknown): ParamsOf<M> {
    if (!isApiMethod(method)) throw new InvalidRequestError(`unknown method ${String(method)}`);
    return schemas[method](params, "params") as ParamsOf<M>;
}
