/** Errors cross to the UI by name: revived as the same named class each time, message and advice intact, never wrapped. */
import { describe, expect, it } from "vitest";
import { namedErrorClass, reviveApiError, toApiError } from "../../api/apiError";
import { EngineCrashedError } from "../../engine/runtime/errors/EngineCrashedError";
import { reviveError } from "../../engine/runtime/errors/reviveError";

describe("errors between the app and the UI", () => {
    it("an engine error keeps its class through the engine client, and its name and message through the app to the UI", () => {
        const inMain = reviveError(new EngineCrashedError(null, "SIGKILL", ["last line"], "chat").toPayload());
        expect(inMain).toBeInstanceOf(EngineCrashedError);
        const inUi = reviveApiError(JSON.parse(JSON.stringify(toApiError(inMain))));
        expect(inUi).toBeInstanceOf(namedErrorClass("EngineCrashedError"));
        expect(inUi).toBeInstanceOf(Error);
        expect(inUi.name).toBe("EngineCrashedError");
        expect(inUi.message).toBe(inMain.message);
        expect(inUi.message).toMatch(/^The engine process was killed by SIGKILL during chat\./);
    });

    it("carries advice when the error has some, and one class per name", () => {
        const error = Object.assign(new Error("The file is damaged."), { name: "DocumentFormatError", advice: "Save it again from its program." });
        const wire = toApiError(error);
        expect(wire).toEqual({ name: "DocumentFormatError", message: "The file is damaged.", advice: "Save it again from its program." });
        const revived = reviveApiError(wire);
        expect(revived.advice).toBe("Save it again from its program.");
        expect(reviveApiError({ name: "DocumentFormatError", message: "x" })).toBeInstanceOf(revived.constructor);
        expect(reviveApiError({ name: "UserError", message: "x" })).not.toBeInstanceOf(revived.constructor);
        expect(toApiError("plain")).toEqual({ name: "Error", message: "plain" });
    });
});
