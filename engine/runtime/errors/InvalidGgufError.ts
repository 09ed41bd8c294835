import path from "node:path";
import {EngineError} from "./EngineError.js";

/** What is wrong with the file's structure. */
export type InvalidGgufKind =
    | "notFound" | "magic" | "version" | "truncated" | "count" | "valueType" | "string"
    | "duplicate" | "tensor" | "alignment";

/** The file is not a readable GGUF file: wrong magic, truncated, absurd counts, tensors outside the file, ... */
export class InvalidGgufError extends EngineError {
    public readonly path: string;
    public readonly kind: InvalidGgufKind;
    /** byte offset where reading failed, when known */
    public readonly offset?: number;
    /** the reason alone, without the file name and advice */
    public readonly reason: string;

    public constructor(filePath: string, kind: InvalidGgufKind, reason: string, offset?: number) {
        super(
            `${path.basename(filePath)} is not a valid GGUF file: ${reason}` +
            (offset != null ? ` (at byte ${offset})` : "") +
            (kind === "notFound" ? "." : ". The file is damaged or was not written completely: export or copy it again.")
        );
        this.path = filePath;
        this.kind = kind;
        this.offset = offset;
        this.reason = reason;
    }
}
