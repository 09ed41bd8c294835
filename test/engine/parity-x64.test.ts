// Engine parity on the lowest x86-64 variant (SSE2 only), forced: what a user's oldest CPU runs (see parity.ts).
import os from "node:os";
import {describe, it} from "vitest";
import {describeParity} from "./parity.js";

if (os.arch() === "x64")
    describeParity("x64");
else
    describe("engine parity on the x64 CPU variant", () => {
        it.skip(`skipped: this machine is ${os.arch()}, the x64 variant exists only in x86-64 builds`, () => {});
    });
