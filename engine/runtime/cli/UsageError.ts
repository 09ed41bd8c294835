/** The command line itself is wrong (exit code 2, with the usage). */
export class UsageError extends Error {
    public constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}
