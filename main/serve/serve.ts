/**
 * `npm run serve`: the app in a browser. Starts the app core (engine as a child process),
 * serves the built renderer on 127.0.0.1 and prints the URL with its access token.
 *
 * Environment: RECURFORMER_PORT (default: random), RECURFORMER_USER_DATA, RECURFORMER_MODELS_DIR,
 * RECURFORMER_MAX_DOCUMENT_MB, RECURFORMER_ENGINE_ENTRY (see main/core/paths.ts, engineEntry.ts).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AppCore } from "../core/AppCore.js";
import { childProcessHost, resolveEngineEntry } from "../core/engineEntry.js";
import { appVersion, maxDocumentBytes, modelDirs, userDataDir } from "../core/paths.js";
import { ServeServer } from "./ServeServer.js";

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

async function main(): Promise<void> {
    const dataDir = userDataDir();
    const core = new AppCore({
        userDataDir: dataDir,
        modelDirs: modelDirs(appRoot),
        engine: () => childProcessHost(resolveEngineEntry(appRoot)),
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
        `  models from: ${core.models.modelDirs.join(", ")}\n` +
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
