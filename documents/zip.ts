/**
 * The parts of a ZIP package (a DOCX) that the reader needs: the central directory, and one
 * entry inflated with its declared size and the unpacked-bytes limit enforced while inflating
 * (zlib stops at `maxOutputLength`), then checked against its declared size and CRC-32.
 */
import zlib from "node:zlib";
import { ArchiveBombError, DocumentFormatError } from "./errors.js";
import { formatBytes } from "../api/format.js";

export interface ZipEntry {
    name: string;
    method: number;
    flags: number;
    crc32: number;
    compressedBytes: number;
    declaredBytes: number;
    localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export function zipEntries(zip: Buffer, name: string): ZipEntry[] {
    const damaged = (why: string) => new DocumentFormatError(`“${name}” could not be read as a Word document (${why}); it may be damaged or truncated.`);
    const eocd = findEndOfCentralDirectory(zip);
    if (eocd < 0) throw damaged("its ZIP directory is missing");
    const count = zip.readUInt16LE(eocd + 10);
    const size = zip.readUInt32LE(eocd + 12);
    const offset = zip.readUInt32LE(eocd + 16);
    if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) throw damaged("ZIP64 packages are not read");
    if (offset + size > eocd) throw damaged("its ZIP directory points outside the file");
    const entries: ZipEntry[] = [];
    let at = offset;
    for (let i = 0; i < count; i++) {
        if (at + 46 > offset + size || zip.readUInt32LE(at) !== CENTRAL) throw damaged("its ZIP directory is broken");
        const nameLength = zip.readUInt16LE(at + 28);
        const next = at + 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
        if (next > offset + size) throw damaged("its ZIP directory is broken");
        entries.push({
            name: zip.toString("utf8", at + 46, at + 46 + nameLength),
            flags: zip.readUInt16LE(at + 8),
            method: zip.readUInt16LE(at + 10),
            crc32: zip.readUInt32LE(at + 16),
            compressedBytes: zip.readUInt32LE(at + 20),
            declaredBytes: zip.readUInt32LE(at + 24),
            localHeaderOffset: zip.readUInt32LE(at + 42),
        });
        at = next;
    }
    return entries;
}

function findEndOfCentralDirectory(zip: Buffer): number {
    const lowest = Math.max(0, zip.length - 22 - 0xffff);
    for (let at = zip.length - 22; at >= lowest; at--)
        if (zip.readUInt32LE(at) === EOCD && at + 22 + zip.readUInt16LE(at + 20) <= zip.length) return at;
    return -1;
}

export function inflateEntry(zip: Buffer, entry: ZipEntry, maxBytes: number, name: string): Buffer {
    const damaged = (why: string) => new DocumentFormatError(`“${name}” could not be read as a Word document (${entry.name} ${why}); it may be damaged or truncated.`);
    const bomb = (why: string) => new ArchiveBombError(`“${name}” is not read: ${entry.name} ${why}, more than the ${formatBytes(maxBytes)} a document may unpack to (a zip bomb, or a damaged file).`, maxBytes);
    if (entry.flags & 1) throw new DocumentFormatError(`“${name}” is password-protected; save it without a password to read it.`);
    if (entry.declaredBytes > maxBytes) throw bomb(`declares ${formatBytes(entry.declaredBytes)}`);
    const at = entry.localHeaderOffset;
    if (at + 30 > zip.length || zip.readUInt32LE(at) !== LOCAL) throw damaged("has no valid local header");
    const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
    const end = start + entry.compressedBytes;
    if (end > zip.length) throw damaged("runs past the end of the file");
    const data = zip.subarray(start, end);
    let out: Buffer;
    if (entry.method === 0) out = data;
    else if (entry.method === 8) {
        try {
            // one byte over the declared size is enough to know the header lies
            out = zlib.inflateRawSync(data, { maxOutputLength: entry.declaredBytes + 1 });
        } catch (error) {
            if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
                throw bomb(`inflates past the ${formatBytes(entry.declaredBytes)} its header declares`);
            throw damaged(`is not valid compressed data (${(error as Error).message})`);
        }
    } else throw damaged(`uses compression method ${entry.method}, which is not read`);
    if (out.length !== entry.declaredBytes) throw damaged(`holds ${out.length} bytes where its header declares ${entry.declaredBytes}`);
    if (zlib.crc32(out) !== entry.crc32) throw damaged("fails its checksum");
    return out;
}
