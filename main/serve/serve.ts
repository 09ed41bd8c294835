/**
 * `npm run serve`: the app in a browser. Starts the app core (engine as a child process),
 * serves the built renderer on 127.0.0.1 and prints the URL with its access token.
 *
 * Environment: RECURFORMER_PORT (default: random), RECURFORMER_USER_DATA, RECURFORMER_MODELS_DIR,
 * RECURFORMER_MAX_DOCUMENT_MB (see main/core/paths.ts), RECURFORMER_ENGINE_ENTRY (another engine script),
 * RECURFORMER_ENGINE_LOG (echo the engine's log), RECURFORMER_ENGINE_URL and RECURFORMER_ENGINE_TOKEN (an engine
 * on another machine, `recurformer engine --listen`: docs/api.md, "Remote engine"; without them, the one chosen in Settings).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AppCore } from "../core/AppCore.js";
import { modelFolders } from "../../engine/runtime/defaultModel.js";
import { ForkTransport } from "../../engine/runtime/client/ForkTransport.js";
import { remoteEngineFromEnv } from "../../engine/runtime/client/remoteEngine.js";
import { appVersion, maxDocumentBytes, userDataDir } from "../core/paths.js";
import { claimUserData, UserDataLockedError } from "../core/userDataLock.js";
import { ServeServer } from "./ServeServer.js";

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

async function main(): Promise<void> {
    const dataDir = userDataDir();
    // one app per user-data folder: a second one stops here, before writing anything
    const claim = await claimUserData(dataDir, "serve mode");
    const core = new AppCore({
        userDataDir: dataDir,
        modelDirs: modelFolders(appRoot),
        engine: () => new ForkTransport({ modulePath: process.env.RECURFORMER_ENGINE_ENTRY || undefined }),
        engineHostKind: "child-process",
        remoteEngine: remoteEngineFromEnv(),
        transport: "browser",
        version: appVersion(appRoot),
        maxDocumentBytes: maxDocumentBytes(),
    });
    await core.open();
    const server = new ServeServer({
        core,
        rendererDir: path.join(appRoot, "dist", "renderer"),
        uploadDir: path.join(dataDir, "uploads"),
        port: Number(process.env.RECURFORMER_PORT) || 0,
    });
    const url = await server.listen();
    process.stdout.write(
        `\nRecurFormer Desktop — serve mode\n` +
        `  open:        ${url}\n` +
        `  listening:   127.0.0.1 only (localhost works too); requests without the token are refused\n` +
        `  user data:   ${dataDir}${claim.tookOver ? ` (its lock was left by pid ${claim.tookOver.pid}, which is gone: taken over)` : ""}\n` +
        `  models from: ${core.models.registry.modelDirs.join(", ")}\n` +
        (claim.staleTemps.length ? `  cleaned:     ${claim.staleTemps.length} temporary file(s) left by an interrupted write\n` : "") +
        core.info().notices.map((notice) => `  notice:      ${notice}\n`).join("") +
        `Press Ctrl+C to stop.\n`,
    );
    let closing = false;
    const stop = async () => {
        if (closing) return;
        closing = true;
        await server.close().catch(() => undefined);
        await core.close().catch(() => undefined);
        claim.release();
        process.exit(0);
    };
    process.on("SIGINT", () => void stop());
    process.on("SIGTERM", () => void stop());
}

main().catch((error) => {
    if (error instanceof UserDataLockedError) process.stderr.write(`serve: ${error.message}\n`);
    else process.stderr.write(`serve: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
});
