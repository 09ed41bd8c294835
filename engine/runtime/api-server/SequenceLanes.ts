import {ApiError} from "./ApiError.js";

/** Requests waiting for a model at most; more are told to come back (503). */
const maxWaiting = 64;

interface Waiter {
    grant: (release: () => void) => void;
    reject: (error: Error) => void;
}

/**
 * One model's sequences, lent to one request each: as many answers run at once as the model has
 * sequences (llama.cpp decodes them together), the others wait in arrival order. A request whose
 * client goes away while it waits leaves the line.
 */
export class SequenceLanes {
    /** the model's sequences: answers that run at once */
    public readonly capacity: number;
    private busy = 0;
    private readonly waiting: Waiter[] = [];

    public constructor(capacity: number) {
        this.capacity = Math.max(1, capacity);
    }

    public get running(): number {
        return this.busy;
    }

    public get queued(): number {
        return this.waiting.length;
    }

    /** Resolves with a `release` when a sequence is free for this request; rejects when `signal` aborts first. */
    public acquire(signal: AbortSignal): Promise<() => void> {
        if (signal.aborted)
            return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
        if (this.busy < this.capacity && this.waiting.length === 0)
            return Promise.resolve(this.lend());
        if (this.waiting.length >= maxWaiting)
            return Promise.reject(new ApiError(503, `${this.waiting.length} requests are already waiting for this model; try again shortly.`,
                {type: "service_unavailable", code: "queue_full"}));
        return new Promise((resolve, reject) => {
            const onAbort = () => {
                const at = this.waiting.indexOf(waiter);
                if (at >= 0)
                    this.waiting.splice(at, 1);
                reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
            };
            const waiter: Waiter = {
                grant: (release) => {
                    signal.removeEventListener("abort", onAbort);
                    resolve(release);
                },
                reject
            };
            signal.addEventListener("abort", onAbort, {once: true});
            this.waiting.push(waiter);
        });
    }

    private lend(): () => void {
        this.busy++;
        let released = false;
        return () => {
            if (released)
                return;
            released = true;
            this.busy--;
            const next = this.waiting.shift();
            if (next != null)
                next.grant(this.lend());
        };
    }
}
