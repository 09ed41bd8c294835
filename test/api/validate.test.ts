/** Every API payload is checked before it reaches the core. */
import { describe, expect, it } from "vitest";
import { API_METHODS } from "../../api/appApi";
import { isApiMethod, validateParams } from "../../api/validate";

describe("API payload validation", () => {
    it("knows every method in the API list", () => {
        for (const method of API_METHODS) expect(isApiMethod(method)).toBe(true);
        expect(isApiMethod("constructor")).toBe(false);
        expect(isApiMethod("__proto__")).toBe(false);
    });

    it("accepts a well-formed payload and returns a clean copy", () => {
        expect(validateParams("chats.send", { chatId: "chat-1", text: "hi", documentIds: ["doc-1"] })).toEqual({ chatId: "chat-1", text: "hi", documentIds: ["doc-1"] });
        expect(validateParams("models.setSettings", { modelId: "m-1", settings: { contextSize: 4096, cacheType: "q8_0" } })).toEqual({ modelId: "m-1", settings: { contextSize: 4096, cacheType: "q8_0" } });
        expect(validateParams("chats.create", undefined)).toBeUndefined();
        expect(validateParams("compare.start", { prompt: "p", modelIds: ["a", "b", "c"], mode: "parallel" })).toEqual({ prompt: "p", modelIds: ["a", "b", "c"], mode: "parallel" });
    });

    it("rejects wrong types, unknown keys, bad ids and out-of-range numbers, naming the field", () => {
        expect(() => validateParams("chats.send", { chatId: "c", text: 1 })).toThrow("params.text must be a string");
        expect(() => validateParams("chats.send", { chatId: "c", text: "x", admin: true })).toThrow("params.admin is not allowed");
        expect(() => validateParams("chats.get", { chatId: "../secrets" })).toThrow("params.chatId has an invalid format");
        expect(() => validateParams("models.setSettings", { modelId: "m", settings: { threads: -1 } })).toThrow("params.settings.threads must be at least 0");
        expect(() => validateParams("models.setSettings", { modelId: "m", settings: { cacheType: "q4_0" } })).toThrow(/must be one of f16, q8_0/);
        expect(() => validateParams("compare.start", { prompt: "", modelIds: ["a", "b"], mode: "sequential" })).toThrow(/at least 1 characters/);
        expect(() => validateParams("compare.start", { prompt: "p", modelIds: ["a"], mode: "sequential" })).toThrow(/params\.modelIds must have at least 2 items/);
        expect(() => validateParams("compare.start", { prompt: "p", modelIds: ["a", "b", "c", "d", "e"], mode: "sequential" })).toThrow(/params\.modelIds must have at most 4 items/);
        expect(() => validateParams("documents.ingest", { source: { kind: "url", url: "http://x" } })).toThrow(/kind: 'path'/);
        expect(() => validateParams("engine.status", { anything: 1 })).toThrow("takes no parameters");
        expect(() => validateParams("chats.send", null)).toThrow("params must be an object");
        expect(() => validateParams("chats.send", { chatId: "c", text: "x", documentIds: Array(17).fill("d") })).toThrow(/at most 16 items/);
    });
});
