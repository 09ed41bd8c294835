/**
 * HTML to text in one pass: tags dropped, block tags kept as line breaks, comments, scripts,
 * styles, templates and SVG skipped, entities decoded, runs of spaces and tabs made one space,
 * spaces around line breaks and more than one blank line dropped. Every search starts where the
 * last one ended, a tag with no closing `>` ends the document, and the text is written into one
 * preallocated buffer, so the time is linear in the input whatever the markup (unclosed tags,
 * megabytes of `<`, deep nesting, entity floods).
 */
const BLOCK_TAGS = new Set(["p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "section", "article", "header", "footer", "pre", "blockquote", "hr"]);
const SKIPPED_END = new Map(["script", "style", "noscript", "template", "svg"].map((tag) => [tag, new RegExp(`</${tag}[\\s/>]`, "gi")]));
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'", nbsp: " " };
/** longest entity looked at after `&` (name or number, without the `;`) */
const MAX_ENTITY = 32;
const NL = 0x0a;
const SPACE = 0x20;

/** The text written so far, with the whitespace rules applied as each character arrives. */
class TextBuffer {
    private readonly buf: Uint16Array;
    private length = 0;

    constructor(capacity: number) {
        this.buf = new Uint16Array(capacity + 2);
    }

    char(c: number): void {
        const last = this.length > 0 ? this.buf[this.length - 1] : NL;
        if (c === SPACE || c === 0x09) {
            if (last !== SPACE && this.length > 0 && last !== NL) this.buf[this.length++] = SPACE;
            else if (this.length === 0) this.buf[this.length++] = SPACE;
            return;
        }
        if (c === NL) {
            if (last === SPACE && this.length > 0) this.length--;
            if (this.length >= 2 && this.buf[this.length - 1] === NL && this.buf[this.length - 2] === NL) return;
            this.buf[this.length++] = NL;
            return;
        }
        this.buf[this.length++] = c;
    }

    /** html[from, to) as text: entities decoded, "\r\n" and "\r" as line breaks */
    text(html: string, from: number, to: number): void {
        for (let i = from; i < to; i++) {
            const c = html.charCodeAt(i);
            if (c > 0x26 || (c > 0x20 && c !== 0x26)) { this.buf[this.length++] = c; continue; } // the common case: no whitespace rule applies
            if (c === 0x26 /* & */) {
                const end = entityEnd(html, i, to);
                const decoded = end > 0 ? entity(html.slice(i + 1, end)) : undefined;
                if (decoded !== undefined) {
                    for (let k = 0; k < decoded.length; k++) this.char(decoded.charCodeAt(k));
                    i = end;
                    continue;
                }
            } else if (c === 0x0d) {
                if (html.charCodeAt(i + 1) !== NL) this.char(NL);
                continue;
            }
            this.char(c);
        }
    }

    toString(): string {
        return Buffer.from(this.buf.buffer, 0, 2 * this.length).toString("utf16le");
    }
}

export function htmlToText(html: string): string {
    const n = html.length;
    const out = new TextBuffer(n);
    let textStart = 0; // start of the text not yet written to `out`
    let i = 0;
    for (;;) {
        const lt = html.indexOf("<", i);
        if (lt < 0) break;
        const next = html.charCodeAt(lt + 1);
        let end: number; // index after the markup that starts at lt, or -1: it runs to the end of the file
        let newline = false;
        if (next === 0x21 /* ! */ && html.startsWith("--", lt + 2)) {
            const close = html.indexOf("-->", lt + 4);
            end = close < 0 ? -1 : close + 3;
        } else if (next === 0x21 || next === 0x3f /* ? */) {
            const close = html.indexOf(">", lt + 2);
            end = close < 0 ? -1 : close + 1;
        } else {
            const closing = next === 0x2f /* / */;
            const nameStart = lt + (closing ? 2 : 1);
            let nameEnd = nameStart;
            while (nameEnd < n && isNameChar(html.charCodeAt(nameEnd), nameEnd === nameStart)) nameEnd++;
            if (nameEnd === nameStart) { i = lt + 1; continue; } // "a < b": the "<" is text
            const close = html.indexOf(">", nameEnd);
            end = close < 0 ? -1 : close + 1;
            if (close >= 0 && nameEnd - nameStart <= 10) {
                const tag = html.slice(nameStart, nameEnd).toLowerCase();
                newline = BLOCK_TAGS.has(tag);
                const skippedEnd = closing || html.charCodeAt(close - 1) === 0x2f ? undefined : SKIPPED_END.get(tag);
                if (skippedEnd) {
                    skippedEnd.lastIndex = end;
                    const found = skippedEnd.exec(html);
                    const after = found ? html.indexOf(">", found.index) : -1;
                    end = after < 0 ? -1 : after + 1;
                }
            }
        }
        out.text(html, textStart, lt);
        if (end < 0) { textStart = n; break; } // markup still open at the end of the file: nothing after it is text
        if (newline) out.char(NL);
        textStart = i = end;
    }
    out.text(html, textStart, n);
    return out.toString();
}

function isNameChar(c: number, first: boolean): boolean {
    const letter = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
    return first ? letter : letter || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x3a;
}

/** index of the `;` closing the entity that starts at `amp`, or -1; at most MAX_ENTITY characters looked at */
function entityEnd(text: string, amp: number, to: number): number {
    const limit = Math.min(to, amp + 2 + MAX_ENTITY);
    for (let j = amp + 1; j < limit; j++) {
        const c = text.charCodeAt(j);
        if (c === 0x3b /* ; */) return j > amp + 1 ? j : -1;
        if (c === 0x26 || c === 0x3c || c <= 0x20) return -1;
    }
    return -1;
}

/** `&amp;`, `&#233;`, `&#xE9;` in a text without markup; unknown names and invalid code points stay as written. Linear. */
export function decodeEntities(text: string): string {
    let amp = text.indexOf("&");
    if (amp < 0) return text;
    const parts: string[] = [];
    let copied = 0;
    while (amp >= 0) {
        const end = entityEnd(text, amp, text.length);
        const decoded = end > 0 ? entity(text.slice(amp + 1, end)) : undefined;
        if (decoded !== undefined) {
            parts.push(text.slice(copied, amp), decoded);
            copied = end + 1;
        }
        amp = text.indexOf("&", amp + 1);
    }
    parts.push(text.slice(copied));
    return parts.join("");
}

function entity(code: string): string | undefined {
    if (code.charCodeAt(0) !== 0x23 /* # */) return ENTITIES[code.toLowerCase()];
    const hex = code[1] === "x" || code[1] === "X";
    const digits = code.slice(hex ? 2 : 1);
    if (!(hex ? /^[0-9a-fA-F]{1,6}$/ : /^[0-9]{1,7}$/).test(digits)) return undefined;
    const n = parseInt(digits, hex ? 16 : 10);
    return n > 0 && n < 0x110000 && !(n >= 0xd800 && n <= 0xdfff) ? String.fromCodePoint(n) : undefined;
}
