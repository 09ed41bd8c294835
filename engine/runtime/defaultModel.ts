import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {DefaultModelMissingError} from "./errors/DefaultModelMissingError.js";

/** The shipped default RecurFormer model, relative to the app's root (the one place this name is written). */
export const defaultModelRelativePath = path.join("assets", "models", "recurformer.gguf");
/** The shipped default dense model (the RecurFormer model's source), relative to the app's root. */
export const defaultDenseModelRelativePath = path.join("assets", "models", "dense.gguf");

/** Which of the default pair. */
export type DefaultModelKind = "recurformer" | "dense";

const relativePaths: Record<DefaultModelKind, string> = {
    recurformer: defaultModelRelativePath,
    dense: defaultDenseModelRelativePath
};

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

/**
 * The model folders, for the CLI and the app alike (the one place this lookup is written):
 * `$RECURFORMER_MODELS_DIR` (folders separated by the OS path delimiter) when set, else
 * `<assetsRoot>/assets/models`. `assetsRoot` is the app's root, or where a packaged app keeps its
 * unpacked assets.
 */
export function modelFolders(assetsRoot: string = appRoot()): string[] {
    const env = process.env.RECURFORMER_MODELS_DIR;
    if (env != null && env.length > 0) {
        const dirs = env.split(path.delimiter).filter((d) => d.length > 0).map((d) => path.resolve(d));
        if (dirs.length > 0)
            return dirs;
    }
    return [path.join(assetsRoot, path.dirname(defaultModelRelativePath))];
}

/** Where a default model is looked for, in order (`recurformer.gguf` / `dense.gguf` in each model folder). */
export function defaultModelCandidates(kind: DefaultModelKind = "recurformer"): string[] {
    const fileName = path.basename(relativePaths[kind]);
    return modelFolders().map((dir) => path.join(dir, fileName));
}

/** A default model's absolute path: the first candidate that exists, else the first candidate. */
export function defaultModelPath(kind: DefaultModelKind = "recurformer"): string {
    const candidates = defaultModelCandidates(kind);
    return candidates.find((file) => fs.existsSync(file)) ?? candidates[0]!;
}

/** The model to use: the one given, else the default one of `kind`, which must exist (`DefaultModelMissingError`). */
export function resolveModelPath(given?: string, kind: DefaultModelKind = "recurformer"): string {
    if (given != null && given.length > 0)
        return path.resolve(given);
    const candidates = defaultModelCandidates(kind);
    const found = candidates.find((file) => fs.existsSync(file));
    if (found == null)
        throw new DefaultModelMissingError(candidates, kind);
    return found;
}
