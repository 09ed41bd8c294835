import {EngineCrashedError} from "./EngineCrashedError.js";

/**
 * No engine process ran: the remote engine's host could not be reached, or it refused the
 * connection (a wrong token, no engine at that path). `reason` says which, in words, with the URL;
 * `refused` is true when the host answered and said no, so trying again as it is will not help.
 */
export class EngineUnreachableError extends EngineCrashedError {
    public readonly reason: string;
    public readonly refused: boolean;

    public constructor(reason: string, refused: boolean, logTail: string[]) {
        super(null, null, logTail);
        this.message = reason;
        this.reason = reason;
        this.refused = refused;
    }
}
