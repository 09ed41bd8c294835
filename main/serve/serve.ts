/**
 * `npm run serve`: the app in a browser. Starts the app core (engine as a child process),
 * serves the built renderer on 127.0.0.1 and prints the URL with its access token.
 *
 * Environment: RECURFORMER_PORT (default: random), RECURFORMER_USER_DATA, RECURFORMER_MODELS_DIR,
 * RECURFORMER_MAX_DOCUMENT_MB (see main/core/paths.ts), RECURFORMER_ENGINE_ENTRY (another engine script),
 * RECURFORMER_ENGINE_LOG (echo the engine's log).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AppCore } from "../core/AppCore.js";
import { modelFolders } from "../../engine/runtime/defaultModel.js";
import { ForkTransport } from "../../engine/runtime/client/ForkTransport.js";
import { appVersion, maxDocumentBytes, userDataDir } from "../core/paths.js";
import { ServeServer } from "./ServeServer.js";

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

async function main(): Promise<void> {
    const dataDir = userDataDir();
    const core = new AppCore({
        userDataDir: dataDir,
        modelDirs: modelFolders(appRoot),
        engine: () => new ForkTransport({ modulePath: process.env.RECURFORMER_ENGINE_ENTRY || undefined }),
        engineHostKind: "child-process",
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
        `  listening:   127.0.0.1 only; requests without the token are refused\n` +
        `  user data:   ${dataDir}\n` +
        `  models from: ${core.models.registry.modelDirs.join(", ")}\n` +
        `Press Ctrl+C to stop.\n`,
    );
    let closing = false;
    const stop = async () => {
        if (closing) return;
        closing = true;
        await server.close().catch(() => undefined);
        await core.close().catch(() => undefined);
        process.exit(0);
    };
    process.on("SIGINT", () => void stop());
    process.on("SIGTERM", () => void stop());
}

main().catch((error) => {
    process.stderr.write(`serve: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
});
