/**
 * Bytes to text: a UTF-8, UTF-16LE or UTF-16BE byte-order mark decides the encoding, otherwise
 * UTF-8. Invalid UTF-8 is decoded with U+FFFD in place of each bad sequence (counted in
 * `replacedChars`), unless more than 30% of the first 64 KiB is bad sequences or more than 10%
 * control characters: then it is binary data, a DocumentFormatError, as is any NUL byte outside UTF-16 and UTF-32 text.
 */
import { DocumentFormatError } from "./errors.js";

export interface DecodedText {
    text: string;
    encoding: "utf-8" | "utf-16le" | "utf-16be";
    replacedChars: number;
}

const SAMPLE_BYTES = 64 * 1024;
/** shares of control characters, and of bad sequences, in the first 64 KiB above which it is binary */
const CONTROL_SHARE = 0.1;
const INVALID_SHARE = 0.3;

export function decodeText(bytes: Uint8Array, name: string): DecodedText {
    const binary = () => new DocumentFormatError(`“${name}” looks like a binary file, not text; it cannot be read as a document.`);
    if (startsWithBytes(bytes, [0xff, 0xfe, 0, 0]) || startsWithBytes(bytes, [0, 0, 0xfe, 0xff]))
        throw new DocumentFormatError(`“${name}” is UTF-32 text, which this app does not read; save it as UTF-8.`);
    let encoding: DecodedText["encoding"] = "utf-8";
    let start = 0;
    if (startsWithBytes(bytes, [0xef, 0xbb, 0xbf])) start = 3;
    else if (startsWithBytes(bytes, [0xff, 0xfe])) { encoding = "utf-16le"; start = 2; }
    else if (startsWithBytes(bytes, [0xfe, 0xff])) { encoding = "utf-16be"; start = 2; }
    const body = bytes.subarray(start);
    if (encoding === "utf-8" && body.indexOf(0) >= 0) throw binary();
    const sample = new TextDecoder(encoding).decode(body.subarray(0, SAMPLE_BYTES));
    let controls = 0;
    let invalid = 0;
    for (let i = 0; i < sample.length; i++) {
        const c = sample.charCodeAt(i);
        if (c === 0xfffd) invalid++;
        else if ((c < 0x20 && c !== 9 && c !== 10 && c !== 11 && c !== 12 && c !== 13 && c !== 27) || c === 0x7f) controls++;
    }
    if (controls > CONTROL_SHARE * sample.length || invalid > INVALID_SHARE * sample.length) throw binary();
    const text = new TextDecoder(encoding).decode(body);
    let replacedChars = 0;
    for (let i = text.indexOf("\uFFFD"); i >= 0; i = text.indexOf("\uFFFD", i + 1)) replacedChars++;
    return { text, encoding, replacedChars };
}

function startsWithBytes(bytes: Uint8Array, magic: number[]): boolean {
    return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}
