/** The engine supervisor: queues until ready, rejects in-flight requests on a crash, restarts, gives up on a crash loop. */
import { describe, expect, it } from "vitest";
import { EngineCrashedError, EngineMissingError, EngineSupervisor } from "../../main/core/EngineSupervisor";
import { fakeEngine } from "./support/fakeEngine";

describe("engine supervisor", () => {
    it("queues requests until the engine says it is ready", async () => {
        const { factory } = fakeEngine();
        const s = new EngineSupervisor(factory, {}, "fake");
        s.start();
        expect(s.getStatus().state).toBe("starting");
        const value = await s.request<{ shape: { architecture: string } }>({ type: "inspect", modelPath: "/m/tiny-recurformer.gguf" }).result;
        expect(value.shape.architecture).toBe("recurformer");
        expect(s.getStatus().state).toBe("ready");
        await s.shutdown();
    });

    it("rejects what was in flight with a clear error, then restarts", async () => {
        const { factory, control } = fakeEngine();
        control.answerTokens = 1000;
        control.tokenDelayMs = 5;
        const s = new EngineSupervisor(factory, { restartDelayMs: 5 }, "fake");
        s.start();
        await s.whenReady();
        await s.request({ type: "load", modelId: "m", options: { modelPath: "/m/tiny-dense.gguf" } }).result;
        const chat = s.request({ type: "chat", modelId: "m", chatId: "c", messages: [{ role: "user", content: "hi" }] });
        const restarted = new Promise<void>((r) => s.once("restarted", () => r()));
        control.hosts[0]!.kill();
        await expect(chat.result).rejects.toBeInstanceOf(EngineCrashedError);
        await expect(chat.result).rejects.toThrow(/engine process stopped \(killed by SIGKILL\)/);
        await restarted;
        expect(s.getStatus()).toMatchObject({ state: "ready", restarts: 1 });
        await s.shutdown();
    });

    it("stops restarting after a crash loop and says how to restart", async () => {
        const { factory, control } = fakeEngine();
        const s = new EngineSupervisor(factory, { restartDelayMs: 1, maxCrashes: 2 }, "fake");
        s.start();
        for (let i = 0; i < 3; i++) {
            await s.whenReady();
            control.hosts[control.hosts.length - 1]!.kill();
            await new Promise((r) => setTimeout(r, 30));
        }
        expect(s.getStatus().state).toBe("crashed");
        expect(s.getStatus().message).toMatch(/Restart/);
        await expect(s.request({ type: "shutdown" }).result).rejects.toBeInstanceOf(EngineCrashedError);
    });

    it("reports a missing engine script as 'missing', with the reason", async () => {
        const s = new EngineSupervisor(() => { throw new Error("The engine process script is missing"); }, {}, "fake");
        s.start();
        expect(s.getStatus()).toMatchObject({ state: "missing", message: "The engine process script is missing" });
        await expect(s.request({ type: "inspect", modelPath: "x" }).result).rejects.toBeInstanceOf(EngineMissingError);
    });
});
