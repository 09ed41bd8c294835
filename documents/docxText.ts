/**
 * The text of a Word document: word/document.xml out of the package (zip.ts, with its limits),
 * then one pass over the XML: the text of `<w:t>` runs, tabs and breaks inside runs, a blank
 * line after each paragraph, `mc:Fallback` copies skipped. No tree is built, so deep nesting
 * costs nothing and the time is linear in the XML.
 */
import { DocumentFormatError, DocumentTooLongError } from "./errors.js";
import { decodeEntities } from "./htmlText.js";
import type { DocumentLimits } from "./limits.js";
import { inflateEntry, zipEntries } from "./zip.js";

export function docxText(zip: Buffer, name: string, limits: DocumentLimits): string {
    const entries = zipEntries(zip, name);
    const main = entries.find((e) => e.name === "word/document.xml");
    if (!main) throw new DocumentFormatError(`“${name}” is a ZIP archive but not a Word document (it has no word/document.xml).`);
    const xml = inflateEntry(zip, main, limits.maxUnpackedBytes, name);
    const encoding = xml[0] === 0xff && xml[1] === 0xfe ? "utf-16le" : xml[0] === 0xfe && xml[1] === 0xff ? "utf-16be" : "utf-8";
    return wordXmlText(new TextDecoder(encoding).decode(xml), name, limits.maxChars);
}

export function wordXmlText(xml: string, name: string, maxChars: number): string {
    const out: string[] = [];
    let chars = 0;
    let inText = false;
    let runDepth = 0;
    let fallbackDepth = 0;
    const emit = (s: string) => {
        out.push(s);
        chars += s.length;
        if (chars > maxChars) throw new DocumentTooLongError(`“${name}” has more than ${maxChars.toLocaleString("en")} characters of text, more than a document may hold here; split it.`, "chars", chars, maxChars);
    };
    const n = xml.length;
    let i = 0;
    while (i < n) {
        const lt = xml.indexOf("<", i);
        if (lt < 0) break;
        if (inText && fallbackDepth === 0 && lt > i) emit(decodeEntities(xml.slice(i, lt)));
        const gt = xml.indexOf(">", lt + 1);
        if (gt < 0) break;
        i = gt + 1;
        const closing = xml.charCodeAt(lt + 1) === 0x2f;
        const selfClosing = xml.charCodeAt(gt - 1) === 0x2f;
        let nameEnd = lt + (closing ? 2 : 1);
        while (nameEnd < gt && !isSpace(xml.charCodeAt(nameEnd)) && xml.charCodeAt(nameEnd) !== 0x2f) nameEnd++;
        const qname = xml.slice(lt + (closing ? 2 : 1), nameEnd);
        if (qname === "mc:Fallback") {
            if (closing) fallbackDepth = Math.max(0, fallbackDepth - 1);
            else if (!selfClosing) fallbackDepth++;
            continue;
        }
        const local = qname.slice(qname.indexOf(":") + 1);
        switch (local) {
            case "t": inText = !closing && !selfClosing; break;
            case "r": if (!selfClosing) runDepth = Math.max(0, runDepth + (closing ? -1 : 1)); break;
            case "tab": if (runDepth > 0 && fallbackDepth === 0 && !closing) emit("\t"); break;
            case "br": case "cr": if (runDepth > 0 && fallbackDepth === 0 && !closing) emit("\n"); break;
            case "p": if ((closing || selfClosing) && fallbackDepth === 0) emit("\n\n"); break;
        }
    }
    return out.join("");
}

function isSpace(c: number): boolean {
    return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}
