import type {ParseArgsOptionsConfig} from "node:util";
import type {EngineClient} from "../client/EngineClient.js";

/** What a command gets to run with. */
export interface CliContext {
    /** parsed options of the command */
    values: Record<string, string | boolean | undefined>;
    positionals: string[];
    /** starts the engine process this command talks to (shut down by the CLI afterwards) */
    /** starts an engine process (env: extra environment for it, e.g. another build flavour); the CLI shuts every one down */
    startEngine: (env?: NodeJS.ProcessEnv) => Promise<EngineClient>;
    stdout: NodeJS.WritableStream;
    stderr: NodeJS.WritableStream;
}

/** One `recurformer` command: its options (node:util parseArgs) and what it does. */
export interface CliCommand {
    options: ParseArgsOptionsConfig;
    run(context: CliContext): Promise<void>;
}
