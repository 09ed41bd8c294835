/**
 * The hostile-document corpus, generated (nothing committed): every format truncated, bombed,
 * nested, flooded with markup, mislabelled, oversized or badly encoded, each with the outcome it
 * must have: a named error (and what its message says), or the text a benign-but-odd file gives.
 */
import type { DocumentLimits } from "../../documents/limits";
import { deflateRepeated, docx, paragraphs, pdfFromObjects, pdfWith, pdfWithContent, randomBytes, stream, wordXml, zip, zlibRepeated, CONTENT_TYPES, RELS } from "./builders";

export type Expected =
    | { error: string; message?: RegExp }
    | { text: string | RegExp | ((text: string) => boolean); kind?: string };

export interface HostileDocument {
    name: string;
    what: string;
    bytes: () => Buffer;
    limits?: Partial<DocumentLimits>;
    expect: Expected;
}

const MiB = 1024 * 1024;
const utf8 = (s: string) => Buffer.from(s, "utf8");
const latin1 = (s: string) => Buffer.from(s, "latin1");
const cat = (...parts: (Buffer | string)[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? utf8(p) : p)));
const fill = (pattern: string, bytes: number) => Buffer.alloc(bytes, pattern);
const everyNth = (text: string, n: number, insert: Buffer) => {
    const parts: Buffer[] = [];
    for (let i = 0; i < text.length; i += n) parts.push(utf8(text.slice(i, i + n)), insert);
    return Buffer.concat(parts);
};
const prose = "The quick brown fox jumps over the lazy dog. ".repeat(400);
const binary = { error: "DocumentFormatError", message: /looks like a binary file/ };
const empty = { error: "DocumentEmptyError", message: /has no text in it/ };
const notWord = { error: "DocumentFormatError", message: /could not be read as a Word document/ };
const badPdf = { error: "DocumentFormatError", message: /is not a valid PDF or is damaged/ };
const bomb = { error: "ArchiveBombError", message: /a document may unpack to/ };
const only = (expected: string) => ({ text: expected });

function truncated(make: () => Buffer, fraction: number): () => Buffer {
    return () => { const full = make(); return full.subarray(0, Math.floor(full.length * fraction)); };
}

function textDocuments(): HostileDocument[] {
    return [
        { name: "bom-crlf.txt", what: "UTF-8 BOM and CRLF line ends", bytes: () => utf8("\uFEFFhello\r\nwörld\r\n"), expect: only("hello\nwörld") },
        { name: "cr-only.txt", what: "old Mac line ends", bytes: () => utf8("one\rtwo\rthree"), expect: only("one\ntwo\nthree") },
        { name: "empty.txt", what: "an empty file", bytes: () => Buffer.alloc(0), expect: empty },
        { name: "blank.md", what: "whitespace only", bytes: () => utf8("   \n\t\n  "), expect: empty },
        { name: "bom-only.txt", what: "a UTF-8 BOM and nothing else", bytes: () => Buffer.from([0xef, 0xbb, 0xbf]), expect: empty },
        { name: "newlines.txt", what: "8 MiB of line breaks", bytes: () => fill("\n", 8 * MiB), expect: empty },
        { name: "spaces-then-word.txt", what: "8 MiB of spaces and one word", bytes: () => cat(fill(" ", 8 * MiB), "word"), expect: only("word") },
        { name: "nul.txt", what: "binary with NUL bytes, named .txt", bytes: () => Buffer.from([1, 2, 0, 3]), expect: binary },
        { name: "random.txt", what: "1 MiB of random bytes named .txt", bytes: () => randomBytes(MiB), expect: binary },
        { name: "random-no-nul.txt", what: "random bytes without NUL named .txt", bytes: () => Buffer.from(randomBytes(MiB, 7).map((b) => b || 1)), expect: binary },
        { name: "image.txt", what: "a PNG header named .txt", bytes: () => cat(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(4096)), expect: { error: "DocumentFormatError", message: /is a PNG image/ } },
        { name: "photo.txt", what: "a JPEG header named .txt", bytes: () => cat(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(4096)), expect: { error: "DocumentFormatError", message: /is a JPEG image/ } },
        { name: "program.txt", what: "an ELF program named .txt", bytes: () => cat(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), randomBytes(4096)), expect: { error: "DocumentFormatError", message: /is a program/ } },
        { name: "setup.txt", what: "a Windows program named .txt", bytes: () => cat("MZ", Buffer.alloc(64), randomBytes(4096)), expect: { error: "DocumentFormatError", message: /Windows program/ } },
        { name: "archive.txt", what: "gzip data named .txt", bytes: () => cat(Buffer.from([0x1f, 0x8b, 8, 0]), randomBytes(4096)), expect: { error: "DocumentFormatError", message: /gzip archive/ } },
        { name: "old-word.txt", what: "an OLE (.doc) file named .txt", bytes: () => cat(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), randomBytes(4096)), expect: { error: "DocumentFormatError", message: /old Word \(\.doc\) file/ } },
        { name: "controls.txt", what: "dense control characters", bytes: () => Buffer.from(Array.from({ length: 65536 }, (_, i) => 1 + (i % 8))), expect: binary },
        { name: "late-nul.txt", what: "1 MiB of text, then a NUL byte", bytes: () => cat(fill("a", MiB), Buffer.from([0]), "b"), expect: binary },
        { name: "bom-nul.txt", what: "a UTF-8 BOM then NUL bytes", bytes: () => cat(Buffer.from([0xef, 0xbb, 0xbf]), Buffer.alloc(100)), expect: binary },
        { name: "sparse-ff.txt", what: "invalid UTF-8: a 0xFF byte every 100 characters", bytes: () => everyNth(prose, 100, Buffer.from([0xff])), expect: { text: (t) => t.startsWith("The quick") && t.split("\uFFFD").length - 1 === Math.ceil(prose.length / 100) } },
        { name: "dense-invalid.txt", what: "invalid UTF-8 in every other byte", bytes: () => Buffer.from(Array.from({ length: 65536 }, (_, i) => (i % 2 ? 0xc3 : 0x41))), expect: binary },
        { name: "overlong.txt", what: "overlong UTF-8 encodings (C0 AF) here and there", bytes: () => everyNth(prose, 200, Buffer.from([0xc0, 0xaf])), expect: { text: (t) => t.includes("\uFFFD") && !t.includes("/") } },
        { name: "surrogates.txt", what: "UTF-8-encoded surrogates (ED A0 80)", bytes: () => cat("before ", Buffer.from([0xed, 0xa0, 0x80]), " after"), expect: only("before \uFFFD\uFFFD\uFFFD after") },
        { name: "cut-multibyte.txt", what: "a multi-byte character cut at the end", bytes: () => cat("price: 5", Buffer.from([0xe2, 0x82])), expect: only("price: 5\uFFFD") },
        { name: "utf16le.txt", what: "UTF-16LE with BOM", bytes: () => cat(Buffer.from([0xff, 0xfe]), Buffer.from("Grüße aus UTF-16", "utf16le")), expect: only("Grüße aus UTF-16") },
        { name: "utf16be.txt", what: "UTF-16BE with BOM", bytes: () => cat(Buffer.from([0xfe, 0xff]), Buffer.from("Big end", "utf16le").swap16()), expect: only("Big end") },
        { name: "utf16-odd.txt", what: "UTF-16LE with an odd byte count", bytes: () => cat(Buffer.from([0xff, 0xfe]), Buffer.from("odd", "utf16le"), Buffer.from([0x41])), expect: only("odd\uFFFD") },
        { name: "utf32.txt", what: "UTF-32LE with BOM", bytes: () => cat(Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from([0x41, 0, 0, 0])), expect: { error: "DocumentFormatError", message: /UTF-32/ } },
        { name: "one-line.txt", what: "an 8 MiB single line", bytes: () => fill("x", 8 * MiB), expect: { text: (t) => t.length === 8 * MiB } },
        { name: "ansi.log", what: "a log with ANSI colour escapes", bytes: () => utf8("\u001b[31mred\u001b[0m line\n".repeat(1000)), expect: { text: /^\u001b\[31mred/ } },
        { name: "too-big.txt", what: "one byte over the file limit", limits: { maxFileBytes: MiB }, bytes: () => fill("a", MiB + 1), expect: { error: "DocumentTooLargeError", message: /“too-big.txt” is 1.00 MiB; documents up to 1.00 MiB can be read/ } },
        { name: "at-limit.txt", what: "exactly at the file limit", limits: { maxFileBytes: MiB }, bytes: () => fill("a", MiB), expect: { text: (t) => t.length === MiB } },
        { name: "long.txt", what: "more characters than the text limit", limits: { maxChars: 1000 }, bytes: () => fill("a", 2000), expect: { error: "DocumentTooLongError", message: /more than 1,000 characters/ } },
        { name: "renamed.pdf", what: "text named .pdf", bytes: () => utf8("just text, not a PDF"), expect: { error: "DocumentFormatError", message: /is not a valid PDF \(no %PDF header\)/ } },
        { name: "renamed.docx", what: "text named .docx", bytes: () => utf8("not a zip"), expect: { error: "DocumentFormatError", message: /could not be read as a Word document \(it is not a ZIP package\)/ } },
        { name: "README", what: "text with no extension", bytes: () => utf8("plain notes"), expect: only("plain notes") },
        { name: "tags.md", what: "Markdown that starts with a tag stays text", bytes: () => utf8("<div>kept</div>\n# Title"), expect: only("<div>kept</div>\n# Title") },
        { name: "page", what: "an HTML page with no extension", bytes: () => utf8("<!DOCTYPE html><html><body><p>sniffed</p></body></html>"), expect: { text: "sniffed", kind: "html" } },
        { name: "lt.txt", what: "3 MiB of '<' named .txt stays text", bytes: () => fill("<", 3 * MiB), expect: { text: (t) => t.length === 3 * MiB, kind: "text" } },
    ];
}

function htmlDocuments(): HostileDocument[] {
    return [
        { name: "lt-1m.html", what: "1 MiB of '<' (quadratic before)", bytes: () => fill("<", MiB), expect: { text: (t) => t.length === MiB } },
        { name: "lt-8m.html", what: "8 MiB of '<'", bytes: () => fill("<", 8 * MiB), expect: { text: (t) => t.length === 8 * MiB } },
        { name: "open-tags.html", what: "4 MiB of unclosed '<a'", bytes: () => cat("before", fill("<a", 4 * MiB)), expect: only("before") },
        { name: "long-tag.html", what: "one tag 4 MiB long, never closed", bytes: () => cat("x <a ", fill("b", 4 * MiB)), expect: only("x") },
        { name: "closed-tags.html", what: "3 MiB of '<a>'", bytes: () => fill("<a>", 3 * MiB), expect: empty },
        { name: "close-tags.html", what: "4 MiB of '</'", bytes: () => fill("</", 4 * MiB), expect: { text: (t) => t.length === 4 * MiB } },
        { name: "open-comment.html", what: "an unclosed comment before 4 MiB of text", bytes: () => cat("kept <!--", fill("a", 4 * MiB)), expect: only("kept") },
        { name: "comments.html", what: "1 MiB of '<!--'", bytes: () => fill("<!--", MiB), expect: empty },
        { name: "bang.html", what: "2 MiB of '<!'", bytes: () => cat("t", fill("<!", 2 * MiB)), expect: only("t") },
        { name: "pi.html", what: "2 MiB of '<?'", bytes: () => cat("t", fill("<?", 2 * MiB)), expect: only("t") },
        { name: "open-script.html", what: "an unclosed <script> before 4 MiB", bytes: () => cat("<p>Hello</p><script>", fill("x", 4 * MiB)), expect: only("Hello") },
        { name: "scripts.html", what: "1 MiB of '<script>' and never a close", bytes: () => cat("<p>Hi</p>", fill("<script>", MiB)), expect: only("Hi") },
        { name: "script-case.html", what: "closing tags in other cases and with spaces", bytes: () => utf8("<p>a</p><SCRIPT>x()</script ><p>b</p><style>p{}</STYLE><p>c</p>"), expect: only("a\n\nb\n\nc") },
        { name: "svg.html", what: "self-closing <svg/> then text, then an unclosed <svg>", bytes: () => utf8("<p>one<svg/>two</p><svg><text>no</text>"), expect: only("onetwo") },
        { name: "style-no-gt.html", what: "a </style without '>'", bytes: () => utf8("<p>x</p><style>p{}</style"), expect: only("x") },
        { name: "deep-div.html", what: "1M nested <div>", bytes: () => cat(fill("<div>", 5 * MiB), "deep", fill("</div>", 6 * MiB)), expect: only("deep") },
        { name: "deep-span.html", what: "1M nested unclosed <span>", bytes: () => cat(fill("<span>", 6 * MiB), "bottom"), expect: only("bottom") },
        { name: "b-i.html", what: "alternating <b><i> 2 MiB", bytes: () => fill("<b><i>", 2 * MiB), expect: empty },
        { name: "amp-flood.html", what: "5 MiB of '&amp;'", bytes: () => fill("&amp;", 5 * MiB), expect: { text: (t) => /^&+$/.test(t) && t.length === MiB } },
        { name: "amp-letters.html", what: "'&' then 4 MiB of letters, no ';'", bytes: () => cat("&", fill("a", 4 * MiB)), expect: { text: (t) => t.length === 4 * MiB + 1 } },
        { name: "amp-digits.html", what: "'&#' then 1 MiB of digits", bytes: () => cat("&#", fill("9", MiB), ";"), expect: { text: (t) => t.length === MiB + 3 } },
        { name: "bad-codepoints.html", what: "invalid numeric entities", bytes: () => utf8("<p>&#xFFFFFFFF; &#0; &#xD800; &#1114112; &bogus; &#x41;</p>"), expect: only("&#xFFFFFFFF; &#0; &#xD800; &#1114112; &bogus; A") },
        { name: "amps.html", what: "2 MiB of '&'", bytes: () => fill("&", 2 * MiB), expect: { text: (t) => t.length === 2 * MiB } },
        { name: "quoted-gt.html", what: "a 1 MiB attribute", bytes: () => cat("<a title=\"", fill("y", MiB), "\">link</a>"), expect: only("link") },
        { name: "p-flood.html", what: "3 MiB of '<p>'", bytes: () => fill("<p>", 3 * MiB), expect: empty },
        { name: "br-flood.html", what: "4 MiB of '<br>'", bytes: () => fill("<br>", 4 * MiB), expect: empty },
        { name: "div-x.html", what: "'<div>x' 1 MiB", bytes: () => fill("<div>x", MiB), expect: { text: (t) => /^x(\nx)+$/.test(t) } },
        { name: "line-8m.html", what: "an 8 MiB paragraph", bytes: () => cat("<p>", fill("w", 8 * MiB), "</p>"), expect: { text: (t) => t.length === 8 * MiB } },
        { name: "utf16.html", what: "UTF-16LE HTML with BOM", bytes: () => cat(Buffer.from([0xff, 0xfe]), Buffer.from("<p>wide</p>", "utf16le")), expect: only("wide") },
        { name: "nul.html", what: "HTML with a NUL byte", bytes: () => cat("<p>a</p>", Buffer.from([0]), "<p>b</p>"), expect: binary },
        { name: "invalid-utf8.html", what: "HTML with stray 0xFF bytes", bytes: () => cat("<p>caf", Buffer.from([0xff]), "</p>"), expect: only("caf\uFFFD") },
        { name: "page.txt", what: "HTML named .txt keeps its tags", bytes: () => utf8("<p>x</p>"), expect: { text: "<p>x</p>", kind: "text" } },
        { name: "lt-space.html", what: "'a < b' text comparisons", bytes: () => utf8("<p>a < b and 3<4</p>"), expect: only("a < b and 3<4") },
        { name: "whitespace.html", what: "spaces and tabs around breaks", bytes: () => utf8("<p>  one \t two  </p>  \n  <p>three</p>"), expect: only("one two\n\nthree") },
    ];
}

const GiB = 1024 * MiB;
const docText = (...texts: string[]) => () => docx({ data: utf8(wordXml(paragraphs(...texts))) });
const goodDocx = docText("First paragraph.", "Second paragraph.");
const bombXml = (declared: (actual: number) => number, times = 1024) => () => {
    const prefix = wordXml("<w:p><w:r><w:t>").replace("</w:t></w:r></w:p></w:body></w:document>", "");
    const chunk = Buffer.alloc(MiB, "a");
    const raw = deflateRepeated(prefix, chunk, times, "</w:t></w:r></w:p></w:body></w:document>");
    const actual = Buffer.byteLength(prefix) + times * MiB + 40;
    return docx({ data: Buffer.alloc(0), raw, declaredBytes: declared(actual), crc32: 0 });
};

function docxDocuments(): HostileDocument[] {
    const withDocument = (data: Buffer) => () => docx({ data });
    return [
        { name: "good.docx", what: "a two-paragraph Word document", bytes: goodDocx, expect: only("First paragraph.\n\nSecond paragraph.") },
        { name: "stored.docx", what: "entries stored, not deflated", bytes: () => zip([{ name: "[Content_Types].xml", data: utf8(CONTENT_TYPES), method: 0 }, { name: "word/document.xml", data: utf8(wordXml(paragraphs("stored"))), method: 0 }]), expect: only("stored") },
        { name: "bomb-honest.docx", what: "document.xml declares and inflates to 1 GiB", bytes: bombXml((actual) => actual), expect: { error: "ArchiveBombError", message: /declares 1\.00 GiB/ } },
        { name: "bomb-lying.docx", what: "declares 1 KiB, inflates to 1 GiB", bytes: bombXml(() => 1024), expect: { error: "ArchiveBombError", message: /inflates past the 1\.00 KiB its header declares/ } },
        { name: "bomb-4g.docx", what: "declares 4 GiB - 1", bytes: bombXml(() => 0xfffffffe, 8), expect: { error: "ArchiveBombError", message: /declares/ } },
        { name: "bomb-at-limit.docx", what: "declares one byte over the unpacked limit", limits: { maxUnpackedBytes: 4 * MiB }, bytes: bombXml(() => 4 * MiB + 1, 8), expect: { error: "ArchiveBombError", message: /declares 4\.00 MiB.*4\.00 MiB a document may unpack to/ } },
        { name: "bomb-under-declared.docx", what: "declares 5 MiB (within the limit) and inflates to 64 MiB", bytes: bombXml(() => 5 * MiB, 64), expect: { error: "ArchiveBombError", message: /inflates past the 5\.00 MiB its header declares/ } },
        { name: "short.docx", what: "inflates to less than declared", bytes: () => docx({ data: utf8(wordXml(paragraphs("x"))), declaredBytes: 100_000 }), expect: { error: "DocumentFormatError", message: /holds \d+ bytes where its header declares 100000/ } },
        { name: "crc.docx", what: "a wrong CRC-32", bytes: () => docx({ data: utf8(wordXml(paragraphs("x"))), crc32: 1234 }), expect: { error: "DocumentFormatError", message: /fails its checksum/ } },
        ...[0.1, 0.3, 0.5, 0.7, 0.9, 0.99].map((f) => ({ name: `cut-${f * 100}.docx`, what: `a Word document cut at ${f * 100}%`, bytes: truncated(goodDocx, f), expect: notWord })),
        { name: "no-eocd.docx", what: "the end-of-directory record cut off", bytes: () => goodDocx().subarray(0, -22), expect: { error: "DocumentFormatError", message: /ZIP directory is missing/ } },
        { name: "cd-outside.docx", what: "the directory offset points past the file", bytes: () => zip([{ name: "word/document.xml", data: utf8(wordXml(paragraphs("x"))) }], { centralOffsetDelta: 1_000_000 }), expect: { error: "DocumentFormatError", message: /points outside the file/ } },
        { name: "cd-count.docx", what: "the directory claims 65,000 entries", bytes: () => zip([{ name: "word/document.xml", data: utf8(wordXml(paragraphs("x"))) }], { entryCount: 65000 }), expect: { error: "DocumentFormatError", message: /ZIP directory is broken/ } },
        { name: "lzma.docx", what: "an unsupported compression method (14)", bytes: () => docx({ data: utf8(wordXml(paragraphs("x"))), method: 14, raw: randomBytes(100) }), expect: { error: "DocumentFormatError", message: /compression method 14/ } },
        { name: "encrypted.docx", what: "the ZIP encryption flag", bytes: () => docx({ data: utf8(wordXml(paragraphs("x"))), flags: 1 }), expect: { error: "DocumentFormatError", message: /password-protected/ } },
        { name: "sheet.docx", what: "a ZIP without word/document.xml", bytes: () => zip([{ name: "xl/workbook.xml", data: utf8("<workbook/>") }]), expect: { error: "DocumentFormatError", message: /ZIP archive but not a Word document/ } },
        { name: "empty-zip.docx", what: "an empty ZIP", bytes: () => zip([]), expect: { error: "DocumentFormatError", message: /not a Word document/ } },
        { name: "zip64.docx", what: "ZIP64 markers", bytes: () => zip([{ name: "word/document.xml", data: utf8("x") }], { entryCount: 0xffff }), expect: { error: "DocumentFormatError", message: /ZIP64/ } },
        { name: "ole.docx", what: "an OLE (encrypted Office) file named .docx", bytes: () => cat(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(4096)), expect: { error: "DocumentFormatError", message: /password-protected Office document/ } },
        { name: "deep.docx", what: "1M nested elements around the text", bytes: withDocument(cat(fill("<w:x>", 5 * MiB), "<w:p><w:r><w:t>deep</w:t></w:r></w:p>", fill("</w:x>", 6 * MiB))), expect: only("deep") },
        { name: "lt.docx", what: "document.xml of 8 MiB of '<'", bytes: withDocument(fill("<", 8 * MiB)), expect: empty },
        { name: "open-t.docx", what: "an unclosed <w:t> with 8 MiB after it", bytes: withDocument(cat("<w:p><w:r><w:t>", fill("z", 8 * MiB))), expect: empty },
        { name: "invalid-utf8.docx", what: "invalid UTF-8 in the text", bytes: withDocument(cat(wordXml("<w:p><w:r><w:t>caf"), Buffer.from([0xff]), "</w:t></w:r></w:p>")), expect: { text: /^caf\uFFFD/ } },
        { name: "utf16.docx", what: "document.xml in UTF-16LE", bytes: withDocument(cat(Buffer.from([0xff, 0xfe]), Buffer.from(wordXml(paragraphs("sixteen")), "utf16le"))), expect: only("sixteen") },
        { name: "entities.docx", what: "2 MiB of entities", bytes: withDocument(utf8(wordXml(`<w:p><w:r><w:t>${"&lt;".repeat(512 * 1024)}</w:t></w:r></w:p>`))), expect: { text: (t) => t.length === 512 * 1024 && /^<+$/.test(t) } },
        { name: "empty-paragraphs.docx", what: "1M empty paragraphs", bytes: withDocument(utf8(wordXml("<w:p/>".repeat(MiB)))), expect: empty },
        { name: "long.docx", what: "more text than the character limit", limits: { maxChars: 10_000 }, bytes: withDocument(utf8(wordXml(paragraphs("a".repeat(20_000))))), expect: { error: "DocumentTooLongError", message: /more than 10,000 characters/ } },
        { name: "bad-local.docx", what: "a central entry pointing at no local header", bytes: () => { const z = goodDocx(); const at = z.lastIndexOf(Buffer.from("PK\x03\x04", "latin1")); z[at + 2] = 0; return z; }, expect: { error: "DocumentFormatError", message: /no valid local header/ } },
        { name: "past-eof.docx", what: "compressed size past the end of the file", bytes: () => { const full = docx({ data: utf8(wordXml(paragraphs("x"))) }); return zipWithCompressedSize(full, 10_000_000); }, expect: { error: "DocumentFormatError", message: /runs past the end of the file/ } },
        { name: "garbage-deflate.docx", what: "deflate data that is noise", bytes: () => docx({ data: utf8("x".repeat(1000)), raw: randomBytes(500, 99) }), expect: { error: "DocumentFormatError", message: /not valid compressed data|holds|checksum/ } },
        { name: "fallback.docx", what: "mc:AlternateContent with a fallback copy", bytes: withDocument(utf8(wordXml("<w:p><w:r><mc:AlternateContent><mc:Choice><w:t>once</w:t></mc:Choice><mc:Fallback><w:t>twice</w:t></mc:Fallback></mc:AlternateContent></w:r></w:p>"))), expect: only("once") },
        { name: "tabs.docx", what: "tab stops in properties and tabs in runs", bytes: withDocument(utf8(wordXml("<w:p><w:pPr><w:tabs><w:tab w:val=\"left\" w:pos=\"720\"/></w:tabs></w:pPr><w:r><w:t>a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c</w:t></w:r></w:p>"))), expect: only("a\tb\nc") },
        { name: "deleted.docx", what: "tracked deletions and field codes are not text", bytes: withDocument(utf8(wordXml("<w:p><w:del><w:r><w:delText>gone</w:delText></w:r></w:del><w:r><w:instrText>PAGE</w:instrText></w:r><w:r><w:t xml:space=\"preserve\">kept </w:t></w:r></w:p>"))), expect: only("kept") },
        { name: "word.txt", what: "a Word document named .txt is read as Word", bytes: goodDocx, expect: { text: "First paragraph.\n\nSecond paragraph.", kind: "docx" } },
        { name: "many-entries.docx", what: "10,000 other entries", bytes: () => docx({ data: utf8(wordXml(paragraphs("found"))) }, Array.from({ length: 10_000 }, (_, i) => ({ name: `media/x${i}.bin`, data: utf8(String(i)), method: 0 }))), expect: only("found") },
        { name: "comment.docx", what: "a 65,535-byte archive comment", bytes: () => zip([{ name: "word/document.xml", data: utf8(wordXml(paragraphs("commented"))) }], { comment: Buffer.alloc(65535, "c") }), expect: only("commented") },
        { name: "rels-bomb.docx", what: "a bomb in another entry is never inflated", bytes: () => zip([{ name: "word/media/huge.bin", data: Buffer.alloc(0), raw: deflateRepeated("", Buffer.alloc(MiB), 1024, ""), declaredBytes: 0xfffffffe }, { name: "_rels/.rels", data: utf8(RELS) }, { name: "word/document.xml", data: utf8(wordXml(paragraphs("safe"))) }]), expect: only("safe") },
    ];
}

/** The same package with word/document.xml's compressed size (central and local) set to `size`. */
function zipWithCompressedSize(z: Buffer, size: number): Buffer {
    const out = Buffer.from(z);
    const central = out.lastIndexOf(Buffer.from("PK\x01\x02", "latin1"));
    out.writeUInt32LE(size, central + 20);
    return out;
}

const contentBomb = (dict: string, times: number) => pdfWithContent(stream(`/Filter /FlateDecode ${dict}`, zlibRepeated(Buffer.alloc(MiB, " "), times)));

function pdfDocuments(): HostileDocument[] {
    const good = () => pdfWith("The cat is Biscuit");
    return [
        { name: "good.pdf", what: "a one-page PDF", bytes: good, expect: { text: /The cat is Biscuit/ } },
        { name: "pages.pdf", what: "three pages", bytes: () => pdfWith("one", "two", "three"), expect: only("one\n\ntwo\n\nthree") },
        ...[0.25, 0.5, 0.75, 0.9].map((f) => ({ name: `cut-${f * 100}.pdf`, what: `a PDF cut at ${f * 100}%`, bytes: truncated(() => pdfWith("one", "two", "three"), f), expect: badPdf })),
        { name: "header-only.pdf", what: "just the %PDF header", bytes: () => latin1("%PDF-1.7\n"), expect: badPdf },
        { name: "garbage.pdf", what: "a header then garbage", bytes: () => latin1("%PDF-1.7\n1 0 obj << >> garbage"), expect: badPdf },
        { name: "garbage-catalog.pdf", what: "a catalog and nothing it points to", bytes: () => latin1("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ngarbage garbage\n%%EOF"), expect: badPdf },
        { name: "random.pdf", what: "a header then 1 MiB of noise", bytes: () => cat("%PDF-1.4\n", randomBytes(MiB, 3)), expect: badPdf },
        { name: "deep-array.pdf", what: "100,000 nested arrays in the catalog", bytes: () => pdfFromObjects([`<< /Type /Catalog /Pages 2 0 R /X ${"[".repeat(100_000)}${"]".repeat(100_000)} >>`, "<< /Type /Pages /Kids [] /Count 0 >>"]), expect: { error: "DocumentFormatError" } },
        { name: "deep-dict.pdf", what: "100,000 nested dictionaries", bytes: () => pdfFromObjects([`<< /Type /Catalog /Pages 2 0 R /X ${"<< /A ".repeat(100_000)}${">> ".repeat(100_000)}>>`, "<< /Type /Pages /Kids [] /Count 0 >>"]), expect: { error: "DocumentFormatError" } },
        { name: "count.pdf", what: "/Count of a billion pages over one empty page (pdf.js counts the pages it finds)", bytes: () => pdfFromObjects(["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1000000000 >>", "<< /Type /Page /Parent 2 0 R >>"]), expect: { error: "DocumentEmptyError" } },
        { name: "loop.pdf", what: "a page tree that contains itself", bytes: () => pdfFromObjects(["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [2 0 R] /Count 1 >>"]), expect: badPdf },
        { name: "bad-xref.pdf", what: "startxref past the end of the file", bytes: () => Buffer.from(good().toString("latin1").replace(/startxref\n\d+/, "startxref\n99999999"), "latin1"), expect: { text: /The cat is Biscuit/ } },
        { name: "stream-bomb.pdf", what: "a content stream inflating to 1 GiB", bytes: () => contentBomb("", 1024), expect: bomb },
        { name: "stream-bomb-length.pdf", what: "a stream bomb behind a lying /Length", bytes: () => Buffer.from(contentBomb("", 1024).toString("latin1").replace(/\/Length \d+/, "/Length 10"), "latin1"), expect: bomb },
        { name: "stream-bomb-indirect.pdf", what: "a stream bomb with an indirect /Length", bytes: () => Buffer.from(contentBomb("", 1024).toString("latin1").replace(/\/Length \d+/, "/Length 9 0 R"), "latin1"), expect: bomb },
        { name: "stream-bomb-limit.pdf", what: "streams just over a 4 MiB unpacked limit", limits: { maxUnpackedBytes: 4 * MiB }, bytes: () => contentBomb("", 5), expect: bomb },
        { name: "image-bomb.pdf", what: "a huge image stream (never decoded for text) beside text", bytes: imageBombPdf, expect: { text: /beside/ } },
        { name: "blank.pdf", what: "a page with no text", bytes: () => pdfWithContent(stream("", "0 0 m 10 10 l S")), expect: { error: "DocumentEmptyError", message: /a scanned PDF needs OCR first/ } },
        { name: "six-pages.pdf", what: "more pages than the limit", limits: { maxPages: 5 }, bytes: () => pdfWith("1", "2", "3", "4", "5", "6"), expect: { error: "DocumentTooLongError", message: /6 pages; documents up to 5 pages/ } },
        { name: "long.pdf", what: "more text than the character limit", limits: { maxChars: 100 }, bytes: () => pdfWith("a".repeat(80), "b".repeat(80)), expect: { error: "DocumentTooLongError", message: /more than 100 characters/ } },
        { name: "pdf.txt", what: "a PDF named .txt is read as a PDF", bytes: good, expect: { text: /The cat is Biscuit/, kind: "pdf" } },
        { name: "junk-first.pdf", what: "500 bytes before %PDF", bytes: () => cat(fill("j", 500), good()), expect: { text: /The cat is Biscuit/ } },
        { name: "encrypted.pdf", what: "an /Encrypt dictionary", bytes: () => pdfFromObjects(["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>", "<< /Filter /Standard /V 2 /R 3 /O (0123456789abcdef0123456789abcdef) /U (0123456789abcdef0123456789abcdef) /P -4 /Length 128 >>"], { trailer: "/Encrypt 3 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>] " }), expect: { error: "DocumentFormatError", message: /password-protected/ } },
        { name: "many-ops.pdf", what: "20,000 tiny text operations", bytes: () => pdfWithContent(stream("", `BT /F1 1 Tf 1 Tz 10 100 Td ${"(a) Tj ".repeat(20_000)} ET`)), expect: { text: (t) => t.length === 20_000 } },
        { name: "ops-flood.pdf", what: "2.1 million text operations (pdf.js would need seconds and gigabytes)", bytes: () => pdfWithContent(stream("", `BT /F1 1 Tf ${"(a) Tj ".repeat(2_100_000)} ET`)), expect: { error: "DocumentTooLongError", message: /more than 2,000,000 drawing operations/ } },
        { name: "ops-bomb.pdf", what: "2.6 million operations compressed into a few kilobytes", bytes: () => pdfWithContent(stream("/Filter /FlateDecode", zlibRepeated(Buffer.from("q Q ".repeat(262_144)), 5))), expect: { error: "DocumentTooLongError", message: /drawing operations/ } },
        { name: "ops-limit.pdf", what: "one operation over a lowered operator limit", limits: { maxPdfOperators: 1000 }, bytes: () => pdfWithContent(stream("", `BT /F1 1 Tf 1 Tz 10 100 Td ${"(a) Tj ".repeat(997)} ET`)), expect: { error: "DocumentTooLongError", message: /more than 1,000 drawing operations/ } },
        { name: "unclosed-string.pdf", what: "a content string never closed, 1 MiB long", bytes: () => pdfWithContent(stream("", `BT /F1 12 Tf 20 100 Td (${"s".repeat(MiB)}`)), expect: empty },
        { name: "q-nesting.pdf", what: "100,000 nested graphics states", bytes: () => pdfWithContent(stream("", `${"q ".repeat(100_000)}BT /F1 12 Tf 20 100 Td (nested) Tj ET${" Q".repeat(100_000)}`)), expect: { error: "DocumentFormatError", message: /nests graphics states 100,000 deep/ } },
        { name: "bad-font.pdf", what: "a font whose program is noise", bytes: () => pdfFromObjects(["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [4 0 R] /Count 1 >>", "<< /Type /Font /Subtype /TrueType /BaseFont /Bad /FontDescriptor 6 0 R >>", "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 5 0 R /Resources << /Font << /F1 3 0 R >> >> >>", stream("", "BT /F1 12 Tf 20 100 Td (font) Tj ET"), "<< /Type /FontDescriptor /FontName /Bad /Flags 32 /FontFile2 7 0 R >>", stream("", randomBytes(4096, 5))]), expect: { text: /font/ } },
    ];
}

function imageBombPdf(): Buffer {
    return pdfFromObjects([
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 5 0 R /Resources << /Font << /F1 3 0 R >> /XObject << /Im1 6 0 R >> >> >>",
        stream("", "BT /F1 12 Tf 20 100 Td (beside) Tj ET"),
        stream("/Type /XObject /Subtype /Image /Width 32768 /Height 32768 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", zlibRepeated(Buffer.alloc(MiB), 1024)),
    ]);
}

export function hostileDocuments(): HostileDocument[] {
    return [...textDocuments(), ...htmlDocuments(), ...docxDocuments(), ...pdfDocuments()];
}
