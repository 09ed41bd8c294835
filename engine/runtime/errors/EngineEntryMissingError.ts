import {EngineError} from "./EngineError.js";

/** The engine process's script is not where the client looks for it (the app or the runtime was not built). */
export class EngineEntryMissingError extends EngineError {
    public readonly entry: string;

    public constructor(entry: string) {
        super(`The engine process script is missing (${entry}). Run \`npm run build\`; if it is still missing, the engine has not been built yet.`);
        this.entry = entry;
    }
}
