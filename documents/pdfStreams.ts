/**
 * Checks on a PDF's streams before pdf.js sees it. Every FlateDecode stream that is not an image
 * is inflated with the unpacked-bytes budget as zlib's output cap (past it: ArchiveBombError),
 * and every content stream we can read (unfiltered or FlateDecode) is scanned: the nesting of its
 * graphics states (`q`), which pdf.js handles in time quadratic in the depth (past 256:
 * DocumentFormatError; the PDF specification's own limit is 28), and its operators, each of which
 * costs pdf.js time and memory (past `maxPdfOperators` in all: DocumentTooLongError). Each byte is looked at a bounded
 * number of times (a stream ends at the next `endstream`, whatever its /Length says), so the
 * check is linear in the file plus the budget. Streams zlib cannot inflate are left to pdf.js.
 */
import zlib from "node:zlib";
import { formatBytes } from "../api/format.js";
import { ArchiveBombError, DocumentFormatError, DocumentTooLongError } from "./errors.js";
import type { DocumentLimits } from "./limits.js";

/** how far before `stream` the stream's dictionary is looked for */
const DICT_WINDOW = 1024;
export const MAX_SAVE_DEPTH = 256;

export function checkPdfStreams(pdf: Buffer, name: string, { maxUnpackedBytes, maxPdfOperators }: DocumentLimits): void {
    let operators = 0;
    const text = pdf.toString("latin1");
    const starts = /stream\r?\n/g;
    let total = 0;
    for (let m = starts.exec(text); m; m = starts.exec(text)) {
        if (text.startsWith("end", m.index - 3)) continue;
        const dataStart = m.index + m[0].length;
        const endstream = text.indexOf("endstream", dataStart);
        const dataEnd = endstream < 0 ? text.length : endstream;
        starts.lastIndex = dataEnd;
        const window = text.slice(Math.max(0, m.index - DICT_WINDOW), m.index);
        const dict = window.slice(Math.max(0, window.lastIndexOf("obj")));
        if (/\/Subtype\s*\/(Image|Type1C|CIDFontType0C|OpenType)|\/Length[123]\b|\/Type\s*\/(XRef|ObjStm|Metadata|EmbeddedFile)/.test(dict)) continue;
        const flate = /\/(FlateDecode|Fl)\b/.test(dict);
        const filtered = /\/Filter\b/.test(dict);
        let content: Buffer;
        if (flate) {
            try {
                content = zlib.inflateSync(pdf.subarray(dataStart, dataEnd), {
                    maxOutputLength: maxUnpackedBytes - total + 1,
                    finishFlush: zlib.constants.Z_SYNC_FLUSH,
                });
            } catch (error) {
                if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
                    throw new ArchiveBombError(`“${name}” is not read: its compressed streams inflate to more than the ${formatBytes(maxUnpackedBytes)} a document may unpack to (a stream bomb, or a damaged file).`, maxUnpackedBytes);
                continue;
            }
            total += content.length;
            if (/\/Filter\s*\[\s*\/\w+\s+\//.test(dict)) continue; // more filters after Flate: not content yet
        } else if (filtered) continue;
        else content = pdf.subarray(dataStart, dataEnd);
        const scanned = scanContent(content, maxPdfOperators - operators);
        operators += scanned.operators;
        if (operators > maxPdfOperators)
            throw new DocumentTooLongError(`“${name}” has more than ${maxPdfOperators.toLocaleString("en")} drawing operations; documents up to that many are read (split it, or print it to a new PDF).`, "operators", operators, maxPdfOperators);
        const depth = scanned.deepest;
        if (depth > MAX_SAVE_DEPTH)
            throw new DocumentFormatError(`“${name}” nests graphics states ${depth.toLocaleString("en")} deep; documents up to ${MAX_SAVE_DEPTH} deep are read (it may be damaged or built to stall readers).`);
    }
}

/** byte classes: bit 1 white space, bit 2 delimiter (white space is both) */
const CLASS = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32]) CLASS[c] = 3;
for (const c of [0x28, 0x29, 0x3c, 0x3e, 0x5b, 0x5d, 0x7b, 0x7d, 0x2f, 0x25]) CLASS[c] = 2;
const white = (c: number | undefined) => c !== undefined && (CLASS[c]! & 1) !== 0;
const delimiter = (c: number) => (CLASS[c]! & 2) !== 0;
const delimited = (b: Buffer, i: number) => i < 0 || i >= b.length || delimiter(b[i]!);

/** Operators (counted up to `maxOperators` + 1) and deepest `q` nesting of a content stream; strings, names, comments and inline image data skipped. Linear. */
export function scanContent(b: Buffer, maxOperators: number): { operators: number; deepest: number } {
    let depth = 0;
    let deepest = 0;
    let operators = 0;
    for (let i = 0; i < b.length; i++) {
        const c = b[i]!;
        if (c === 0x28 /* ( */) {
            let nest = 1;
            for (i++; i < b.length && nest > 0; i++) {
                const d = b[i];
                if (d === 0x5c) i++;
                else if (d === 0x28) nest++;
                else if (d === 0x29) nest--;
            }
            i--;
        } else if (c === 0x25 /* % */) {
            while (i < b.length && b[i] !== 10 && b[i] !== 13) i++;
        } else if (c === 0x2f /* / */) {
            while (i + 1 < b.length && !delimiter(b[i + 1]!)) i++;
        } else if (c === 0x3c /* < */ && b[i + 1] !== 0x3c) {
            while (i < b.length && b[i] !== 0x3e) i++;
        } else if ((c === 0x71 /* q */ || c === 0x51 /* Q */) && delimited(b, i - 1) && delimited(b, i + 1)) {
            depth = c === 0x71 ? depth + 1 : Math.max(0, depth - 1);
            if (depth > deepest) deepest = depth;
            if (++operators > maxOperators) break;
        } else if (isOperatorStart(c) && delimited(b, i - 1) && !(c === 0x49 && b[i + 1] === 0x44 && white(b[i + 2]))) {
            if (++operators > maxOperators) break;
            while (i + 1 < b.length && !delimiter(b[i + 1]!)) i++;
        } else if (c === 0x49 /* I */ && b[i + 1] === 0x44 /* D */ && delimited(b, i - 1) && white(b[i + 2])) {
            // inline image data: binary up to a delimited "EI"
            for (i += 3; i + 1 < b.length && !(b[i] === 0x45 && b[i + 1] === 0x49 && white(b[i - 1]) && delimited(b, i + 2)); i++);
            i++;
        }
    }
    return { operators, deepest };
}

/** a letter, `'` or `"`: the first character of an operator (operands are numbers, names, strings, arrays) */
function isOperatorStart(c: number): boolean {
    return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x27 || c === 0x22;
}
