/** An error the core raises on purpose: its message is written for the user and says what to do. */
export class UserError extends Error {
    override name = "UserError";
}
