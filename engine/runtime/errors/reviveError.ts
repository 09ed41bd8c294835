import type {ErrorPayload} from "../protocol.js";
import {EngineError} from "./EngineError.js";
import {LocalBuildMissingError} from "./LocalBuildMissingError.js";
import {InvalidGgufError} from "./InvalidGgufError.js";
import {GgufShapeError} from "./GgufShapeError.js";
import {UnsupportedArchitectureError} from "./UnsupportedArchitectureError.js";
import {ModelLoadError} from "./ModelLoadError.js";
import {ModelNotLoadedError} from "./ModelNotLoadedError.js";
import {ModelBusyError} from "./ModelBusyError.js";
import {PromptTooLongError} from "./PromptTooLongError.js";
import {EngineCrashedError} from "./EngineCrashedError.js";
import {EngineTimeoutError} from "./EngineTimeoutError.js";
import {EngineStoppedError} from "./EngineStoppedError.js";
import {DefaultModelMissingError} from "./DefaultModelMissingError.js";
import {UnsupportedCacheTypeError} from "./UnsupportedCacheTypeError.js";
import {EngineEntryMissingError} from "./EngineEntryMissingError.js";
import {CpuVariantError} from "./CpuVariantError.js";
import {PyramidUnsupportedError} from "./PyramidUnsupportedError.js";

const namedErrors: Record<string, {prototype: EngineError}> = {
    EngineError, LocalBuildMissingError, InvalidGgufError, GgufShapeError, UnsupportedArchitectureError,
    ModelLoadError, ModelNotLoadedError, ModelBusyError, PromptTooLongError, EngineCrashedError,
    EngineTimeoutError, EngineStoppedError, DefaultModelMissingError, UnsupportedCacheTypeError, CpuVariantError, EngineEntryMissingError,
    PyramidUnsupportedError
};

/** Turns any thrown value into what crosses the process boundary. */
export function toErrorPayload(error: unknown): ErrorPayload {
    if (error instanceof EngineError)
        return error.toPayload();
    if (error instanceof Error)
        return {name: error.name || "Error", message: error.message};
    return {name: "Error", message: String(error)};
}

/** Revives an error payload as the named class (so `instanceof` works in the parent), or a plain Error with that name. */
export function reviveError(payload: ErrorPayload): Error {
    const errorClass = namedErrors[payload.name];
    const error: Error = errorClass != null
        ? Object.create(errorClass.prototype) as EngineError
        : new Error(payload.message);
    Object.defineProperty(error, "message", {value: payload.message, writable: true, configurable: true, enumerable: false});
    Object.defineProperty(error, "name", {value: payload.name, writable: true, configurable: true, enumerable: false});
    Object.defineProperty(error, "stack", {value: `${payload.name}: ${payload.message}\n    (in the engine process)`, writable: true, configurable: true, enumerable: false});
    if (payload.details != null)
        Object.assign(error, payload.details);
    return error;
}
