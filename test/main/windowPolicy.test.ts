/** The desktop window's decisions: links leave the app only as http(s) and only after the user agrees; only our page may write the clipboard. */
import { describe, expect, it } from "vitest";
import { externalUrl, openExternalAfterAsking, permissionAllowed } from "../../main/electron/windowPolicy";

describe("links out of the app", () => {
    it("only http and https leave, and only after a yes", async () => {
        const opened: string[] = [];
        const asked: string[] = [];
        const run = (url: string, yes: boolean) => openExternalAfterAsking(url, async (u) => { asked.push(u); return yes; }, async (u) => { opened.push(u); });
        expect(await run("https://example.org/a?b=1", true)).toBe("opened");
        expect(await run("http://example.org/", false)).toBe("declined");
        for (const bad of ["file:///etc/passwd", "javascript:alert(1)", "smb://host/share", "ms-settings:", "data:text/html,x", "not a url", "HTTPS//x"]) {
            expect(await run(bad, true)).toBe("refused");
        }
        expect(asked).toEqual(["https://example.org/a?b=1", "http://example.org/"]);
        expect(opened).toEqual(["https://example.org/a?b=1"]);
        expect(externalUrl("HTTPS://EXAMPLE.org")?.href).toBe("https://example.org/");
    });
});

describe("permissions", () => {
    const page = "file:///opt/app/dist/renderer/index.html";
    it("grants clipboard writes to the app's own page only, and nothing else", () => {
        expect(permissionAllowed("clipboard-sanitized-write", page, page)).toBe(true);
        expect(permissionAllowed("clipboard-sanitized-write", `${page}#chat`, page)).toBe(true);
        expect(permissionAllowed("clipboard-read", page, page)).toBe(false);
        for (const p of ["media", "geolocation", "notifications", "openExternal", "fullscreen"]) expect(permissionAllowed(p, page, page)).toBe(false);
        expect(permissionAllowed("clipboard-sanitized-write", "https://evil.example/", page)).toBe(false);
        expect(permissionAllowed("clipboard-sanitized-write", "file:///tmp/other.html", page)).toBe(false);
        expect(permissionAllowed("clipboard-sanitized-write", undefined, page)).toBe(false);
    });
});
