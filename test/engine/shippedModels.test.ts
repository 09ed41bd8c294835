/**
 * The default pair travels inside the repository: each GGUF the model card lists is a plain file in git
 * (mode 100644, not a link to a copy outside the repo that resolves only where it was made), and its bytes
 * and sha256 are the card's.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const card = fs.readFileSync(path.join(root, "assets/models/README.md"), "utf8");
/** | `dense.gguf` | ... | 31,863,680 | `cf4aa78d…dd5d86e7` | */
const rows = [...card.matchAll(/^\| `([\w.-]+\.gguf)` \|.*\| ([\d,]+) \| `([0-9a-f]{8})…([0-9a-f]{8})` \|$/gm)];

describe("shipped default models", () => {
    it("the model card lists the two GGUFs", () => {
        expect(rows.map((r) => r[1]).sort()).toEqual(["dense.gguf", "recurformer.gguf"]);
    });

    for (const [, file, bytes, head, tail] of rows) {
        it(`${file} is a plain file in git with the card's size and sha256`, () => {
            const rel = `assets/models/${file}`;
            const mode = execFileSync("git", ["ls-files", "-s", rel], { cwd: root, encoding: "utf8" }).split(" ")[0];
            expect(mode, `${rel} must be committed as a file, not a symlink`).toBe("100644");
            const abs = path.join(root, rel);
            expect(fs.lstatSync(abs).isSymbolicLink()).toBe(false);
            const data = fs.readFileSync(abs);
            expect(data.length).toBe(Number(bytes.replace(/,/g, "")));
            const sha = createHash("sha256").update(data).digest("hex");
            expect(`${sha.slice(0, 8)}…${sha.slice(-8)}`).toBe(`${head}…${tail}`);
        });
    }
});
