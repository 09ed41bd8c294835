import fs from "node:fs/promises";
import {InvalidGgufError, type InvalidGgufKind} from "../errors/InvalidGgufError.js";
import {ggmlTypes} from "./ggmlTypes.js";

/** One metadata value. Large arrays (tokenizer vocabularies) keep only their length. */
export type GgufValue = number | bigint | boolean | string | GgufArray;

export interface GgufArray {
    /** GGUF value type of the items */
    itemType: number;
    length: number;
    /** the items, when the array has at most `GgufFileOptions.maxStoredArrayLength` of them */
    items?: Array<number | bigint | boolean | string>;
}

/** One tensor's header entry. */
export interface GgufTensorInfo {
    name: string;
    /** dimensions in ggml order (ne0 first) */
    dims: number[];
    /** ggml type id */
    type: number;
    /** offset of the data, relative to the start of the data section */
    offset: number;
    /** bytes of data */
    bytes: number;
    /** elements (product of dims) */
    elements: number;
}

export interface GgufFileOptions {
    /** arrays longer than this keep only their length (default 65536) */
    maxStoredArrayLength?: number;
    /** refuse headers (metadata + tensor table) larger than this (default 1 GiB) */
    maxHeaderBytes?: number;
}

interface GgufFileInit {
    path: string, fileBytes: number, version: number, metadata: Map<string, GgufValue>,
    tensors: GgufTensorInfo[], alignment: number, dataOffset: number
}

/** GGUF value types */
const enum ValueType {
    U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12
}
const valueTypeBytes: Record<number, number> = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8};
const ggmlMaxDims = 4;
/** smallest possible key/value entry: key length (8) + type (4) + a 1-byte value */
const minKvEntryBytes = 13;
/** smallest possible tensor entry: name length (8) + n_dims (4) + one dim (8) + type (4) + offset (8) */
const minTensorEntryBytes = 32;

class NeedMoreBytes {
    public constructor(public readonly upTo: number) {}
}

/**
 * A GGUF file's header (metadata and tensor table), read by a small strict parser of our own:
 * every count and length is checked against the file size before anything is allocated, and every
 * tensor's data must lie inside the file, so a damaged file gets a named error instead of a hang,
 * a huge allocation or a crash in llama.cpp.
 */
export class GgufFile {
    public readonly path: string;
    public readonly fileBytes: number;
    public readonly version: number;
    public readonly metadata: ReadonlyMap<string, GgufValue>;
    public readonly tensors: readonly GgufTensorInfo[];
    public readonly alignment: number;
    /** offset of the tensor data section */
    public readonly dataOffset: number;
    private readonly _tensorsByName: Map<string, GgufTensorInfo>;

    private constructor(init: GgufFileInit) {
        this.path = init.path;
        this.fileBytes = init.fileBytes;
        this.version = init.version;
        this.metadata = init.metadata;
        this.tensors = init.tensors;
        this.alignment = init.alignment;
        this.dataOffset = init.dataOffset;
        this._tensorsByName = new Map(init.tensors.map((tensor) => [tensor.name, tensor]));
    }

    public tensor(name: string): GgufTensorInfo | undefined {
        return this._tensorsByName.get(name);
    }

    public get(key: string): GgufValue | undefined {
        return this.metadata.get(key);
    }

    /** Reads and checks the header of a GGUF file. Throws `InvalidGgufError`. */
    public static async read(filePath: string, options: GgufFileOptions = {}): Promise<GgufFile> {
        const maxHeaderBytes = options.maxHeaderBytes ?? 1024 ** 3;
        let handle: fs.FileHandle;
        try {
            handle = await fs.open(filePath, "r");
        } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            throw new InvalidGgufError(filePath, "notFound",
                code === "ENOENT" ? `no such file (${filePath})` : `cannot open it (${code ?? String(err)})`);
        }
        try {
            const {size: fileBytes} = await handle.stat();
            let want = Math.min(fileBytes, 8 * 1024 * 1024);
            for (;;) {
                const buffer = Buffer.alloc(want);
                const {bytesRead} = await handle.read(buffer, 0, want, 0);
                try {
                    return new GgufHeaderParser(filePath, buffer.subarray(0, bytesRead), fileBytes, options).parse();
                } catch (err) {
                    if (!(err instanceof NeedMoreBytes))
                        throw err;
                    if (err.upTo > maxHeaderBytes)
                        throw new InvalidGgufError(filePath, "count",
                            `its header would be ${err.upTo} bytes, more than the ${maxHeaderBytes} this engine accepts`);
                    want = Math.min(fileBytes, Math.max(want * 2, err.upTo + 1024 * 1024));
                }
            }
        } finally {
            await handle.close();
        }
    }

    /** @internal used by the parser */
    public static _create(init: GgufFileInit): GgufFile {
        return new GgufFile(init);
    }
}

/** Parses a header from a buffer holding the file's first bytes; throws NeedMoreBytes when the buffer is too short. */
class GgufHeaderParser {
    private pos = 0;
    private readonly maxStoredArrayLength: number;

    public constructor(
        private readonly path: string,
        private readonly buffer: Buffer,
        private readonly fileBytes: number,
        options: GgufFileOptions
    ) {
        this.maxStoredArrayLength = options.maxStoredArrayLength ?? 65536;
    }

    public parse(): GgufFile {
        if (this.fileBytes < 4)
            this.fail("truncated", `it is only ${this.fileBytes} bytes long`, 0);
        const magic = this.bytes(4);
        if (magic.toString("latin1") !== "GGUF")
            this.fail("magic", `it starts with ${JSON.stringify(magic.toString("latin1"))} (hex ${magic.toString("hex")}), not "GGUF"`, 0);

        const version = this.u32();
        if (version === 1)
            this.fail("version", "it is GGUF version 1, which llama.cpp no longer reads; convert it again", 4);
        if (version !== 2 && version !== 3)
            this.fail("version", `it has GGUF version ${version}${version > 0xffff ? " (a big-endian file, or not a GGUF file)" : ""}; llama.cpp reads versions 2 and 3`, 4);

        const countsAt = this.pos;
        const tensorCount = this.u64Number("tensor count");
        const kvCount = this.u64Number("metadata key count");
        const rest = this.fileBytes - this.pos;
        if (kvCount * minKvEntryBytes > rest)
            this.fail("count", `it claims ${kvCount} metadata keys, more than its ${rest} remaining bytes can hold`, countsAt + 8);
        if (tensorCount * minTensorEntryBytes > rest)
            this.fail("count", `it claims ${tensorCount} tensors, more than its ${rest} remaining bytes can hold`, countsAt);

        const metadata = new Map<string, GgufValue>();
        for (let i = 0; i < kvCount; i++) {
            const keyAt = this.pos;
            const key = this.string(`key ${i}`);
            if (metadata.has(key))
                this.fail("duplicate", `metadata key '${key}' appears twice`, keyAt);
            const typeAt = this.pos;
            const type = this.u32();
            metadata.set(key, this.value(type, key, typeAt));
        }

        let alignment = 32;
        const alignmentValue = metadata.get("general.alignment");
        if (alignmentValue != null) {
            if (typeof alignmentValue !== "number" || alignmentValue <= 0 || (alignmentValue & (alignmentValue - 1)) !== 0)
                this.fail("alignment", `general.alignment is ${String(alignmentValue)}, not a power of two`);
            alignment = alignmentValue as number;
        }

        const tensors: GgufTensorInfo[] = [];
        const names = new Set<string>();
        for (let i = 0; i < tensorCount; i++) {
            const entryAt = this.pos;
            const name = this.string(`tensor ${i} name`);
            if (names.has(name))
                this.fail("duplicate", `tensor '${name}' appears twice`, entryAt);
            names.add(name);
            const nDims = this.u32();
            if (nDims < 1 || nDims > ggmlMaxDims)
                this.fail("tensor", `tensor '${name}' has ${nDims} dimensions (1 to ${ggmlMaxDims} allowed)`, entryAt);
            const dims: number[] = [];
            let elements = 1;
            for (let d = 0; d < nDims; d++) {
                const dim = this.u64Number(`tensor '${name}' dimension ${d}`);
                if (dim < 1)
                    this.fail("tensor", `tensor '${name}' has dimension ${d} = ${dim}`, entryAt);
                elements *= dim;
                if (!Number.isSafeInteger(elements))
                    this.fail("tensor", `tensor '${name}' has an absurd shape [${[...dims, dim].join(", ")}, ...]`, entryAt);
                dims.push(dim);
            }
            const typeAt = this.pos;
            const type = this.u32();
            const typeInfo = ggmlTypes.get(type);
            if (typeInfo == null)
                this.fail("tensor", `tensor '${name}' has unknown ggml type ${type}`, typeAt);
            if (dims[0]! % typeInfo!.blockSize !== 0)
                this.fail("tensor", `tensor '${name}' has ${dims[0]} columns, not a multiple of ${typeInfo!.name}'s block of ${typeInfo!.blockSize}`, entryAt);
            const offset = this.u64Number(`tensor '${name}' offset`);
            const bytes = (elements / typeInfo!.blockSize) * typeInfo!.blockBytes;
            tensors.push({name, dims, type, offset, bytes, elements});
        }

        const dataOffset = Math.ceil(this.pos / alignment) * alignment;
        const dataBytes = this.fileBytes - dataOffset;
        let expectedOffset = 0;
        for (const tensor of tensors) {
            if (tensor.offset % alignment !== 0)
                this.fail("alignment", `tensor '${tensor.name}' data offset ${tensor.offset} is not aligned to ${alignment}`);
            if (tensor.offset !== expectedOffset)
                this.fail("tensor", `tensor '${tensor.name}' data starts at ${tensor.offset}, but the previous tensors end at ${expectedOffset} (overlapping or out-of-order tensor data)`);
            if (tensor.offset + tensor.bytes > dataBytes)
                this.fail("truncated",
                    `tensor '${tensor.name}' data (${tensor.bytes} bytes at data offset ${tensor.offset}) runs past the end of the file ` +
                    `(the data section holds ${Math.max(0, dataBytes)} bytes)`, dataOffset + tensor.offset);
            expectedOffset = tensor.offset + Math.ceil(tensor.bytes / alignment) * alignment;
        }

        return GgufFile._create({path: this.path, fileBytes: this.fileBytes, version, metadata, tensors, alignment, dataOffset});
    }

    private fail(kind: InvalidGgufKind, reason: string, offset?: number): never {
        throw new InvalidGgufError(this.path, kind, reason, offset);
    }

    private need(n: number, what: string): void {
        const end = this.pos + n;
        if (end > this.fileBytes)
            this.fail("truncated", `the file ends inside ${what} (needs ${end} bytes, has ${this.fileBytes})`, this.pos);
        if (end > this.buffer.length)
            throw new NeedMoreBytes(end);
    }

    private bytes(n: number, what = "the header"): Buffer {
        this.need(n, what);
        const out = this.buffer.subarray(this.pos, this.pos + n);
        this.pos += n;
        return out;
    }

    private u32(what = "the header"): number {
        this.need(4, what);
        const value = this.buffer.readUInt32LE(this.pos);
        this.pos += 4;
        return value;
    }

    private u64Number(what: string): number {
        this.need(8, what);
        const at = this.pos;
        const value = this.buffer.readBigUInt64LE(this.pos);
        this.pos += 8;
        if (value > BigInt(Number.MAX_SAFE_INTEGER))
            this.fail("count", `${what} is ${value}, an absurd value`, at);
        return Number(value);
    }

    private string(what: string): string {
        const at = this.pos;
        const length = this.u64Number(`${what} length`);
        if (this.pos + length > this.fileBytes)
            this.fail("string", `${what} claims ${length} bytes, past the end of the file`, at);
        return this.bytes(length, what).toString("utf8");
    }

    private value(type: number, key: string, typeAt: number): GgufValue {
        if (type === ValueType.ARRAY) {
            const itemType = this.u32(`key '${key}'`);
            const lengthAt = this.pos;
            const length = this.u64Number(`array '${key}' length`);
            if (itemType === ValueType.ARRAY)
                this.fail("valueType", `key '${key}' is an array of arrays, which GGUF readers do not support`, typeAt);
            const itemBytes = itemType === ValueType.STRING ? 8 : valueTypeBytes[itemType];
            if (itemBytes == null)
                this.fail("valueType", `array '${key}' has unknown item type ${itemType}`, typeAt);
            if (length * itemBytes! > this.fileBytes - this.pos)
                this.fail("count", `array '${key}' claims ${length} items, more than the rest of the file can hold`, lengthAt);
            const store = length <= this.maxStoredArrayLength;
            const items: Array<number | bigint | boolean | string> = [];
            if (itemType !== ValueType.STRING) {
                if (store)
                    for (let i = 0; i < length; i++)
                        items.push(this.scalar(itemType, key));
                else
                    this.bytes(length * itemBytes!, `array '${key}'`);
            } else {
                for (let i = 0; i < length; i++) {
                    const item = this.string(`array '${key}' item ${i}`);
                    if (store)
                        items.push(item);
                }
            }
            return store ? {itemType, length, items} : {itemType, length};
        }
        if (type === ValueType.STRING)
            return this.string(`key '${key}' value`);
        if (valueTypeBytes[type] == null)
            this.fail("valueType", `key '${key}' has unknown value type ${type}`, typeAt);
        return this.scalar(type, key);
    }

    private scalar(type: number, key: string): number | bigint | boolean {
        const n = valueTypeBytes[type]!;
        this.need(n, `key '${key}'`);
        const b = this.buffer;
        const p = this.pos;
        this.pos += n;
        switch (type) {
            case ValueType.U8: return b.readUInt8(p);
            case ValueType.I8: return b.readInt8(p);
            case ValueType.U16: return b.readUInt16LE(p);
            case ValueType.I16: return b.readInt16LE(p);
            case ValueType.U32: return b.readUInt32LE(p);
            case ValueType.I32: return b.readInt32LE(p);
            case ValueType.F32: return b.readFloatLE(p);
            case ValueType.BOOL: return b.readUInt8(p) !== 0;
            case ValueType.F64: return b.readDoubleLE(p);
            case ValueType.U64: {
                const v = b.readBigUInt64LE(p);
                return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
            }
            case ValueType.I64: {
                const v = b.readBigInt64LE(p);
                return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
            }
        }
        return this.fail("valueType", `key '${key}' has unknown value type ${type}`);
    }
}
