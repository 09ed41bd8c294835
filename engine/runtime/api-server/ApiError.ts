/** OpenAI's error types, as its clients read them (`error.type`). */
export type ApiErrorType = "invalid_request_error" | "authentication_error" | "not_found_error" | "server_error" | "service_unavailable";

/** OpenAI's error body: `{error: {message, type, param, code}}`. */
export interface ApiErrorBody {
    error: {message: string; type: ApiErrorType; param: string | null; code: string | null};
}

/**
 * A request the server answers with an HTTP error in OpenAI's shape. `extra` fields go beside
 * `message` in `error` (token counts of a prompt that does not fit).
 */
export class ApiError extends Error {
    public readonly status: number;
    public readonly type: ApiErrorType;
    public readonly param: string | null;
    public readonly code: string | null;
    public readonly extra: Record<string, unknown>;

    public constructor(status: number, message: string, {type, param = null, code = null, extra = {}}: {
        type?: ApiErrorType, param?: string | null, code?: string | null, extra?: Record<string, unknown>
    } = {}) {
        super(message);
        this.name = "ApiError";
        this.status = status;
        this.type = type ?? (status === 401 ? "authentication_error" : status === 404 ? "not_found_error" : status >= 500 ? "server_error" : "invalid_request_error");
        this.param = param;
        this.code = code;
        this.extra = extra;
    }

    public body(): ApiErrorBody {
        return {error: {message: this.message, type: this.type, param: this.param, code: this.code, ...this.extra}};
    }
}

/** A 400 about one field of the request body. */
export function invalidField(param: string, message: string, code = "invalid_value"): ApiError {
    return new ApiError(400, message, {param, code});
}
