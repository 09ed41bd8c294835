import path from "node:path";
import {EngineError} from "./EngineError.js";

/** The file's `general.architecture` is not one this engine can size and run. */
export class UnsupportedArchitectureError extends EngineError {
    public readonly path: string;
    public readonly architecture: string;
    public readonly supported: string[];

    public constructor(filePath: string, architecture: string, supported: readonly string[]) {
        super(
            `${path.basename(filePath)} has architecture '${architecture}', which RecurFormer Desktop does not run ` +
            `(it runs: ${supported.join(", ")}). Convert the model to one of these first.`
        );
        this.path = filePath;
        this.architecture = architecture;
        this.supported = [...supported];
    }
}
