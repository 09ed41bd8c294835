import {randomBytes} from "node:crypto";
import {ForkTransport} from "../client/ForkTransport.js";
import {modelFolders} from "../defaultModel.js";
import {EngineHost, enginePath} from "../remote/EngineHost.js";
import {UsageError} from "./UsageError.js";
import {isLoopback} from "./format.js";
import type {CliCommand, CliContext} from "./CliCommand.js";

/** `recurformer engine [--listen HOST:PORT] [--token T] [--allow-remote]` */
export const engineCommand: CliCommand = {
    options: {
        listen: {type: "string"},
        token: {type: "string"},
        "allow-remote": {type: "boolean"}
    },
    async run({values, positionals, stdout, stderr}: CliContext): Promise<void> {
        if (positionals.length > 0)
            throw new UsageError(`engine takes no positional arguments (got: ${positionals.join(" ")})`);
        const {host, port} = parseListen((values.listen as string | undefined) ?? "127.0.0.1:8090");
        if (!isLoopback(host) && values["allow-remote"] !== true)
            throw new UsageError(`--listen ${host} would let other machines run the engine; add --allow-remote to mean it ` +
                "(and put TLS or an SSH tunnel in front: the token and every prompt travel in plain text)");
        const given = (values.token as string | undefined) ?? process.env.RECURFORMER_ENGINE_TOKEN;
        if (given != null && given.length === 0)
            throw new UsageError("--token must not be empty");
        const token = given ?? randomBytes(24).toString("base64url");

        const log = (line: string) => stderr.write(line + "\n");
        const engineHost = new EngineHost({token, startEngine: () => new ForkTransport(), log, modelFolders: modelFolders()});
        const address = await engineHost.listen(port, host);
        const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
        stdout.write(`RecurFormer engine: ws://${shown}:${address.port}${enginePath}\n`);
        stdout.write(given != null ? "token: the one given\n" : `token (shown once): ${token}\n`);
        if (!isLoopback(host))
            log(`warning: listening on ${host}, reachable from other machines; put TLS or an SSH tunnel in front.`);

        await new Promise<void>((resolve) => {
            process.once("SIGINT", resolve);
            process.once("SIGTERM", resolve);
        });
        log("stopping");
        await engineHost.close();
    }
};

/** HOST:PORT, [IPv6]:PORT, or a port alone (loopback). */
function parseListen(value: string): {host: string, port: number} {
    const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
    const port = Number(match?.[3]);
    if (match == null || !Number.isInteger(port) || port > 65535)
        throw new UsageError(`--listen must be HOST:PORT (or a port), not '${value}'`);
    return {host: match[1] || match[2] || "127.0.0.1", port};
}
