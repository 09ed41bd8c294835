// The engine binds only the local RecurFormer build: getLlama is asked for build "never" without
// prebuilt binaries, and a missing build is reported as "run npm run build:engine".
import {afterEach, describe, expect, it, vi} from "vitest";

const getLlama = vi.fn();
vi.mock("node-llama-cpp", () => ({getLlama, LlamaLogLevel: {info: "info"}}));

const {LlamaBackend} = await import("../../engine/runtime/llama/LlamaBackend.js");
const {LlamaLog} = await import("../../engine/runtime/llama/LlamaLog.js");
const {LocalBuildMissingError} = await import("../../engine/runtime/errors/LocalBuildMissingError.js");
const {EngineBuild} = await import("../../engine/runtime/llama/EngineBuild.js");

afterEach(() => getLlama.mockReset());

describe("LlamaBackend", () => {
    it("asks node-llama-cpp for the local build only: never build, never a prebuilt binary", async () => {
        getLlama.mockResolvedValue({buildType: "localBuild", gpu: false, llamaCppRelease: {release: "v0.5.0"}, dispose: vi.fn()});
        const backend = await LlamaBackend.load({gpu: false, log: new LlamaLog()});
        expect(getLlama).toHaveBeenCalledOnce();
        const options = getLlama.mock.calls[0]![0];
        expect(options).toMatchObject({build: "never", usePrebuiltBinaries: false, skipDownload: true, gpu: false, logLevel: "info"});
        expect(typeof options.logger).toBe("function");
        const build = EngineBuild.read();
        expect(options.cmakeOptions).toEqual(build.stamp.cmakeOptions);
        // the mocked llama loads no CPU backend, so no variant can be seen loaded: "unknown", never a guess
        expect(backend.info()).toEqual({buildType: "localBuild", gpu: false, llamaCppRelease: "v0.5.0",
            flavour: build.stamp.flavour, cpuVariant: "unknown"});
    });

    it("says to run `npm run build:engine` when there is no local build", async () => {
        const noBinary = Object.assign(new Error("NoBinaryFoundError"), {name: "NoBinaryFoundError"});
        getLlama.mockRejectedValue(noBinary);
        const error = await LlamaBackend.load({gpu: "auto", log: new LlamaLog()}).catch((err: unknown) => err);
        expect(error).toBeInstanceOf(LocalBuildMissingError);
        expect((error as Error).message).toMatch(/Run `npm run build:engine`/);
        expect((error as Error).message).toMatch(/never uses node-llama-cpp's prebuilt binaries/);
    });

    it("refuses anything but a local build, should node-llama-cpp offer one", async () => {
        const dispose = vi.fn();
        getLlama.mockResolvedValue({buildType: "prebuilt", gpu: false, llamaCppRelease: {release: "x"}, dispose});
        await expect(LlamaBackend.load({gpu: false, log: new LlamaLog()})).rejects.toBeInstanceOf(LocalBuildMissingError);
        expect(dispose).toHaveBeenCalled();
    });
});
