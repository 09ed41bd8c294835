/** The engine supervisor around real engine processes: restart with back-off, the crash-loop cap, Restart after it, a missing engine script. */
import { describe, expect, it } from "vitest";
import { ForkTransport } from "../../engine/runtime/client/ForkTransport";
import { EngineCrashedError } from "../../engine/runtime/errors/EngineCrashedError";
import { EngineEntryMissingError } from "../../engine/runtime/errors/EngineEntryMissingError";
import { EngineSupervisor } from "../../main/core/EngineSupervisor";
import { until } from "./support/realCore";

const ready = (s: EngineSupervisor) => until(() => s.getStatus().state === "ready" && s.getStatus().pid, 60_000, "a ready engine");

describe("engine supervisor", () => {
    it("restarts a killed engine, then stops after a crash loop; Restart starts one again and says so", async () => {
        const s = new EngineSupervisor(() => new ForkTransport(), "child-process", { maxCrashes: 2, restartDelayMs: 20 });
        let restarted = 0;
        s.on("restarted", () => { restarted++; });
        s.start();
        const first = await ready(s);
        const client = await s.engine();
        expect(client.pid).toBe(first);

        process.kill(first, "SIGKILL");
        await until(() => s.getStatus().pid && s.getStatus().pid !== first, 60_000, "a new engine");
        expect(s.getStatus()).toMatchObject({ state: "ready", restarts: 1 });
        expect(restarted).toBe(1);

        for (let i = 0; i < 2; i++) {
            const pid = await ready(s);
            process.kill(pid, "SIGKILL");
            await until(() => s.getStatus().pid !== pid, 10_000, "the engine to go");
        }
        await until(() => /not restarted/.test(s.getStatus().message ?? ""), 10_000, "the cap");
        expect(s.getStatus().state).toBe("crashed");
        expect(s.getStatus().message).toMatch(/crashed 3 times in a minute.*Engine → Restart/);
        await expect(s.engine()).rejects.toBeInstanceOf(EngineCrashedError);

        await s.restart();
        await ready(s);
        expect(restarted).toBe(3);
        await s.shutdown();
    }, 180_000);

    it("reports a missing engine script as 'missing', by name", async () => {
        const s = new EngineSupervisor(() => new ForkTransport({ modulePath: "/nonexistent/engineMain.js" }), "child-process");
        s.start();
        await until(() => s.getStatus().state === "missing", 5000, "missing");
        expect(s.getStatus().message).toMatch(/The engine process script is missing \(\/nonexistent\/engineMain\.js\)/);
        await expect(s.engine()).rejects.toBeInstanceOf(EngineEntryMissingError);
    });
});
