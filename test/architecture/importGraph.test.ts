/**
 * The walls between rooms, proved from the source: every import of every TypeScript file in
 * api/, documents/, engine/runtime/, main/ and renderer/ is parsed and resolved to the room it
 * lands in. The runtime never imports main/ or renderer/, api/ imports no other room, and the
 * rooms' graph has no cycle. Printed: the arrows with their counts.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** longest prefix first: engine/runtime is a room of its own */
const ROOMS = ["api", "documents", "engine/runtime", "main", "renderer"] as const;
type Room = (typeof ROOMS)[number];

const roomOf = (file: string): Room | undefined => ROOMS.find((room) => file === room || file.startsWith(`${room}/`));

function sourceFiles(dir: string): string[] {
    const out: string[] = [];
    if (!fs.existsSync(path.join(root, dir))) return out;
    for (const entry of fs.readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })) {
        if (!entry.isFile() || !/\.(ts|tsx|cts|mts)$/.test(entry.name) || entry.name.endsWith(".d.ts")) continue;
        const file = path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/");
        if (!file.includes("node_modules/")) out.push(file);
    }
    return out;
}

/** Module specifiers of static imports, re-exports, side-effect imports and dynamic imports (comments removed first). */
export function importSpecifiers(source: string): string[] {
    const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
    const found: string[] = [];
    const patterns = [
        /\b(?:import|export)\s+(?:type\s+)?[^"'`;]*?\bfrom\s*["']([^"']+)["']/g,
        /\bimport\s*["']([^"']+)["']/g,
        /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
        /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
        /new\s+URL\(\s*["'](\.[^"']+)["']\s*,\s*import\.meta\.url\s*\)/g,
    ];
    for (const pattern of patterns) for (const match of code.matchAll(pattern)) found.push(match[1]!);
    return found;
}

export interface Arrow { from: Room; to: Room; file: string; specifier: string }

function arrows(): Arrow[] {
    const out: Arrow[] = [];
    for (const room of ROOMS) {
        for (const file of sourceFiles(room)) {
            const from = roomOf(file)!;
            for (const specifier of importSpecifiers(fs.readFileSync(path.join(root, file), "utf8"))) {
                if (!specifier.startsWith(".")) continue;
                const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
                const to = roomOf(target);
                if (to && to !== from) out.push({ from, to, file, specifier });
            }
        }
    }
    return out;
}

/** A cycle in a directed graph, as the list of its nodes, or undefined. */
export function findCycle(edges: Map<string, Set<string>>): string[] | undefined {
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (node: string): string[] | undefined => {
        if (state.get(node) === "done") return undefined;
        if (state.get(node) === "open") return [...stack.slice(stack.indexOf(node)), node];
        state.set(node, "open");
        stack.push(node);
        for (const next of edges.get(node) ?? []) {
            const cycle = visit(next);
            if (cycle) return cycle;
        }
        stack.pop();
        state.set(node, "done");
        return undefined;
    };
    for (const node of edges.keys()) {
        const cycle = visit(node);
        if (cycle) return cycle;
    }
    return undefined;
}

describe("the import graph between rooms", () => {
    const all = arrows();
    const graph = new Map<string, Set<string>>();
    const counts = new Map<string, number>();
    for (const a of all) {
        if (!graph.has(a.from)) graph.set(a.from, new Set());
        graph.get(a.from)!.add(a.to);
        counts.set(`${a.from} -> ${a.to}`, (counts.get(`${a.from} -> ${a.to}`) ?? 0) + 1);
    }
    process.stdout.write(`[rooms] ${[...counts].sort().map(([arrow, n]) => `${arrow} (${n})`).join(", ")}\n`);

    it("is read from the real files (the arrows every app needs are there)", () => {
        expect(counts.get("main -> engine/runtime")).toBeGreaterThan(0);
        expect(counts.get("main -> api")).toBeGreaterThan(0);
        expect(counts.get("renderer -> api")).toBeGreaterThan(0);
        expect(counts.get("engine/runtime -> api")).toBeGreaterThan(0);
    });

    it("has no arrow from the runtime to main/ or renderer/", () => {
        const bad = all.filter((a) => a.from === "engine/runtime" && (a.to === "main" || a.to === "renderer"));
        expect(bad.map((a) => `${a.file} imports ${a.specifier}`)).toEqual([]);
    });

    it("has no arrow out of api/ (every room may import it without pulling another in)", () => {
        expect(all.filter((a) => a.from === "api").map((a) => `${a.file} imports ${a.specifier}`)).toEqual([]);
    });

    it("has no arrow into main/ or renderer/ from another room", () => {
        const bad = all.filter((a) => (a.to === "main" || a.to === "renderer"));
        expect(bad.map((a) => `${a.file} imports ${a.specifier}`)).toEqual([]);
    });

    it("has no cycle between rooms", () => {
        expect(findCycle(graph)).toBeUndefined();
    });

    it("would see a cycle and a hidden import if there were one", () => {
        expect(findCycle(new Map([["a", new Set(["b"])], ["b", new Set(["c"])], ["c", new Set(["a"])]]))).toEqual(["a", "b", "c", "a"]);
        expect(importSpecifiers(`// import "./not-this"\nimport type { X } from "../main/x.js";\nexport { y } from './y.js';\nconst z = await import("../renderer/z");`))
            .toEqual(["../main/x.js", "./y.js", "../renderer/z"]);
    });
});
