import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {DefaultModelMissingError} from "./errors/DefaultModelMissingError.js";

/** The shipped default RecurFormer model, relative to the app's root (the one place this name is written). */
export const defaultModelRelativePath = path.join("assets", "models", "recurformer.gguf");

/** The app's root: the nearest folder above this module with our package.json (works from source and from dist/). */
export function appRoot(): string {
    let dir = path.dirname(fileURLToPath(import.meta.url));
    for (;;) {
        const manifest = path.join(dir, "package.json");
        if (fs.existsSync(manifest)) {
            try {
                if (JSON.parse(fs.readFileSync(manifest, "utf8")).name === "recurformer-desktop")
                    return dir;
            } catch {
                // not ours; keep walking up
            }
        }
        const parent = path.dirname(dir);
        if (parent === dir)
            return process.cwd();
        dir = parent;
    }
}

/** The default model's absolute path. */
export function defaultModelPath(): string {
    return path.join(appRoot(), defaultModelRelativePath);
}

/** The model to use: the one given, else the default one, which must exist (`DefaultModelMissingError`). */
export function resolveModelPath(given?: string): string {
    if (given != null && given.length > 0)
        return path.resolve(given);
    const fallback = defaultModelPath();
    if (!fs.existsSync(fallback))
        throw new DefaultModelMissingError(fallback);
    return fallback;
}
