/**
 * Errors as they cross from the app to the UI: `{name, message, advice?}` on the wire, and in the
 * UI an instance of a class with that same name (one class per name, so `instanceof` and `name`
 * both hold), its message and its advice intact. Nothing wraps them on the way.
 */

/** An error on the wire between the app and the UI. */
export interface ApiError {
    name: string;
    message: string;
    /** what the user can do about it, when the error says */
    advice?: string;
}

/** The error as it crosses to the UI: its own name and message, and its advice when it has one. */
export function toApiError(error: unknown): ApiError {
    if (!(error instanceof Error)) return { name: "Error", message: String(error) };
    const advice = (error as { advice?: unknown }).advice;
    return { name: error.name || "Error", message: error.message, ...(typeof advice === "string" ? { advice } : {}) };
}

export interface RevivedError extends Error {
    advice?: string;
}

const classes = new Map<string, new (message: string) => RevivedError>();

/** The class the UI revives errors named `name` as (the same one every time). */
export function namedErrorClass(name: string): new (message: string) => RevivedError {
    let revived = classes.get(name);
    if (!revived) {
        revived = { [name]: class extends Error { override name = name; advice?: string } }[name]!;
        classes.set(name, revived);
    }
    return revived;
}

/** An error from the wire as an instance of its named class, with its message and advice. */
export function reviveApiError(payload: ApiError): RevivedError {
    const ErrorClass = namedErrorClass(payload.name || "Error");
    const error = new ErrorClass(payload.message);
    if (payload.advice != null) error.advice = payload.advice;
    return error;
}
