/**
 * The first screen's words about the default pair, read from its model card (the README.md beside
 * the default models), so they follow the card when a better pair lands: the card's "In the app"
 * section, and its "Try first:" line naming a sample document (a Markdown link, relative to the
 * card) and a question to ask about it (*in italics* after "ask:").
 */
import fs from "node:fs";
import path from "node:path";
import type { Welcome } from "../../api/appApi.js";

const SECTION = /^## In the app\s*$/m;
const TRY_FIRST = /^Try first:.*\]\(([^)]+)\).*ask:\s*\*([^*]+)\*/m;

/** The welcome from `<dir>/README.md`, or undefined when there is no card or it has no "In the app" section. */
export function readWelcome(dir: string): (Welcome & { samplePath?: string }) | undefined {
    const cardPath = path.join(dir, "README.md");
    let card: string;
    try { card = fs.readFileSync(cardPath, "utf8"); } catch { return undefined; }
    return parseWelcome(card, cardPath);
}

export function parseWelcome(card: string, cardPath: string): (Welcome & { samplePath?: string }) | undefined {
    const start = SECTION.exec(card);
    if (!start) return undefined;
    const rest = card.slice(start.index + start[0].length);
    const end = rest.search(/^## /m);
    const section = (end < 0 ? rest : rest.slice(0, end)).replace(/<!--[\s\S]*?-->/g, "").trim();
    const tryFirst = TRY_FIRST.exec(section);
    const samplePath = tryFirst ? path.resolve(path.dirname(cardPath), tryFirst[1]!) : undefined;
    const sample = samplePath && fs.existsSync(samplePath) ? { name: path.basename(samplePath), question: tryFirst![2]!.trim() } : undefined;
    return {
        text: section.replace(TRY_FIRST, "").trim(),
        sample,
        samplePath: sample ? samplePath : undefined,
        modelCard: card,
        modelCardPath: cardPath,
    };
}
