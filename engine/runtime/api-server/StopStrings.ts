/**
 * Ends an answer before the first of its stop strings, as it streams: text that could be the start
 * of a stop string is held back until the next piece says whether it is one.
 */
export class StopStrings {
    private readonly stops: string[];
    private held = "";
    /** whether a stop string was found (the answer ends there) */
    public stopped = false;

    public constructor(stops: string[]) {
        this.stops = stops;
    }

    /** The text that can go out now, given the next piece of the answer. */
    public push(piece: string): string {
        if (this.stopped)
            return "";
        const text = this.held + piece;
        let end = -1;
        for (const stop of this.stops) {
            const at = text.indexOf(stop);
            if (at >= 0 && (end < 0 || at < end))
                end = at;
        }
        if (end >= 0) {
            this.stopped = true;
            this.held = "";
            return text.slice(0, end);
        }
        const keep = this.heldBackLength(text);
        this.held = text.slice(text.length - keep);
        return text.slice(0, text.length - keep);
    }

    /** What was held back, once the answer has ended without a stop string. */
    public flush(): string {
        const rest = this.stopped ? "" : this.held;
        this.held = "";
        return rest;
    }

    /** The longest end of `text` that is the start of some stop string. */
    private heldBackLength(text: string): number {
        let longest = 0;
        for (const stop of this.stops)
            for (let n = Math.min(stop.length - 1, text.length); n > longest; n--)
                if (text.endsWith(stop.slice(0, n))) {
                    longest = n;
                    break;
                }
        return longest;
    }
}
