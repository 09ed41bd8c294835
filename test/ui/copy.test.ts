/** Copy buttons copy, or say why not (no clipboard in the page, permission refused) instead of failing silently. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { copyText } from "../../renderer/src/lib/copy";
import { useApp } from "../../renderer/src/stores/app";

afterEach(() => {
    vi.unstubAllGlobals();
    useApp.setState({ notices: [] });
});

describe("copy buttons", () => {
    it("copy the text when the page has the clipboard", async () => {
        const written: string[] = [];
        vi.stubGlobal("navigator", { clipboard: { writeText: async (t: string) => { written.push(t); } } });
        expect(await copyText("```js\nx()\n```")).toBe(true);
        expect(written).toEqual(["```js\nx()\n```"]);
        expect(useApp.getState().notices).toEqual([]);
    });

    it("say why when the permission is refused (Electron without the permission handler)", async () => {
        vi.stubGlobal("navigator", { clipboard: { writeText: async () => { throw new DOMException("Write permission denied.", "NotAllowedError"); } } });
        expect(await copyText("x")).toBe(false);
        expect(useApp.getState().notices).toMatchObject([{ kind: "error", title: "Could not copy", text: expect.stringMatching(/refused the text: Write permission denied\. Select the text/) }]);
    });

    it("say why when the page has no clipboard at all", async () => {
        vi.stubGlobal("navigator", {});
        expect(await copyText("x")).toBe(false);
        expect(useApp.getState().notices[0]!.text).toMatch(/no clipboard access \(a browser gives it only to pages on https, 127\.0\.0\.1 or localhost\)/);
    });
});
