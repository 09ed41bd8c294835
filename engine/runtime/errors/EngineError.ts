import type {ErrorPayload} from "../protocol.js";

/**
 * Base of every error the engine names. Subclasses keep their structured fields as own
 * enumerable properties, so an error crosses the process boundary (`toPayload`) and is revived
 * in the parent as the same class with the same fields (`reviveError`).
 */
export class EngineError extends Error {
    public constructor(message: string) {
        super(message);
        this.name = new.target.name;
    }

    /** The error as it crosses the process boundary. */
    public toPayload(): ErrorPayload {
        const details: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(this))
            if (key !== "name" && key !== "message" && key !== "stack")
                details[key] = value;

        return {name: this.name, message: this.message, details};
    }
}
