/** Documents built byte by byte for the tests: PDFs with correct xref offsets, ZIP packages whose headers can lie, deflate bombs. */
import zlib from "node:zlib";

/** A PDF from its objects (1-based, in order), object 1 the catalog; the xref offsets are computed. */
export function pdfFromObjects(objects: (string | Buffer)[], { header = "%PDF-1.4\n", trailer = "" } = {}): Buffer {
    const parts: Buffer[] = [Buffer.from(header, "latin1")];
    let length = parts[0]!.length;
    const offsets: number[] = [];
    objects.forEach((body, i) => {
        offsets.push(length);
        const part = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, "latin1"), typeof body === "string" ? Buffer.from(body, "latin1") : body, Buffer.from("\nendobj\n", "latin1")]);
        parts.push(part);
        length += part.length;
    });
    const xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}` +
        `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailer}>>\nstartxref\n${length}\n%%EOF\n`;
    parts.push(Buffer.from(xref, "latin1"));
    return Buffer.concat(parts);
}

export function stream(dict: string, data: Buffer | string): Buffer {
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    return Buffer.concat([Buffer.from(`<< ${dict} /Length ${bytes.length} >>\nstream\n`, "latin1"), bytes, Buffer.from("\nendstream", "latin1")]);
}

/** A PDF with one page per text (Helvetica, one line each). */
export function pdfWith(...pageTexts: string[]): Buffer {
    const pages = pageTexts.length;
    const objects: (string | Buffer)[] = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        `<< /Type /Pages /Kids [${pageTexts.map((_, i) => `${4 + 2 * i} 0 R`).join(" ")}] /Count ${pages} >>`,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ];
    for (const text of pageTexts) {
        const page = objects.length + 1;
        objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 2000 144] /Contents ${page + 1} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`);
        objects.push(stream("", `BT /F1 12 Tf 20 100 Td (${text}) Tj ET`));
    }
    return pdfFromObjects(objects);
}

/** A one-page PDF whose page content is the given stream object body. */
export function pdfWithContent(content: string | Buffer, resources = "<< /Font << /F1 3 0 R >> >>"): Buffer {
    return pdfFromObjects([
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 5 0 R /Resources ${resources} >>`,
        content,
    ]);
}

/** Raw deflate of prefix + chunk x times + suffix, made without inflating it: each part is compressed alone and the blocks concatenated. */
export function deflateRepeated(prefix: string, chunk: Buffer, times: number, suffix: string): Buffer {
    const flush = { finishFlush: zlib.constants.Z_FULL_FLUSH };
    const middle = zlib.deflateRawSync(chunk, { ...flush, level: 9 });
    return Buffer.concat([zlib.deflateRawSync(Buffer.from(prefix), flush), ...Array.from({ length: times }, () => middle), zlib.deflateRawSync(Buffer.from(suffix))]);
}

/** zlib-wrapped (as PDF FlateDecode wants) deflate of `chunk` repeated, with no checksum at the end. */
export function zlibRepeated(chunk: Buffer, times: number): Buffer {
    return Buffer.concat([Buffer.from([0x78, 0x9c]), deflateRepeated("", chunk, times, "")]);
}

export interface ZipFile {
    name: string;
    data: Buffer;
    /** store (0), deflate (8, default) or any other method number written as is */
    method?: number;
    /** already-compressed bytes to write instead of compressing `data` */
    raw?: Buffer;
    /** header fields that lie */
    declaredBytes?: number;
    crc32?: number;
    flags?: number;
}

/** A ZIP archive; `declaredBytes`, `crc32`, `flags` and `raw` let a test write headers that lie. */
export function zip(files: ZipFile[], { comment = Buffer.alloc(0), entryCount, centralOffsetDelta = 0 }: { comment?: Buffer; entryCount?: number; centralOffsetDelta?: number } = {}): Buffer {
    const locals: Buffer[] = [];
    const centrals: Buffer[] = [];
    let offset = 0;
    for (const f of files) {
        const method = f.method ?? 8;
        const body = f.raw ?? (method === 8 ? zlib.deflateRawSync(f.data) : f.data);
        const name = Buffer.from(f.name, "utf8");
        const crc = f.crc32 ?? zlib.crc32(f.data);
        const size = f.declaredBytes ?? f.data.length;
        const local = Buffer.alloc(30);
        local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(f.flags ?? 0, 6); local.writeUInt16LE(method, 8);
        local.writeUInt32LE(crc, 14); local.writeUInt32LE(body.length, 18); local.writeUInt32LE(size, 22); local.writeUInt16LE(name.length, 26);
        const central = Buffer.alloc(46);
        central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(f.flags ?? 0, 8);
        central.writeUInt16LE(method, 10); central.writeUInt32LE(crc, 16); central.writeUInt32LE(body.length, 20); central.writeUInt32LE(size, 24);
        central.writeUInt16LE(name.length, 28); central.writeUInt32LE(offset, 42);
        locals.push(local, name, body);
        centrals.push(central, name);
        offset += local.length + name.length + body.length;
    }
    const cd = Buffer.concat(centrals);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entryCount ?? files.length, 8); end.writeUInt16LE(entryCount ?? files.length, 10);
    end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset + centralOffsetDelta, 16); end.writeUInt16LE(comment.length, 20);
    return Buffer.concat([...locals, cd, end, comment]);
}

export const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`;
export const RELS = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`;

export function wordXml(body: string): string {
    return `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`;
}

export function paragraphs(...texts: string[]): string {
    return texts.map((p) => `<w:p><w:r><w:t>${p}</w:t></w:r></w:p>`).join("");
}

/** A DOCX package (our own ZIP writer) around the given word/document.xml entry. */
export function docx(document: Partial<ZipFile> & { data: Buffer }, extra: ZipFile[] = []): Buffer {
    return zip([
        { name: "[Content_Types].xml", data: Buffer.from(CONTENT_TYPES) },
        { name: "_rels/.rels", data: Buffer.from(RELS) },
        ...extra,
        { name: "word/document.xml", ...document },
    ]);
}

/** Deterministic bytes (xorshift) so a "random" file is the same on every run. */
export function randomBytes(length: number, seed = 12345): Buffer {
    const out = Buffer.alloc(length);
    let x = seed >>> 0 || 1;
    for (let i = 0; i < length; i++) {
        x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
        out[i] = x & 0xff;
    }
    return out;
}
