import type {Reply, Request} from "../protocol.js";

/** The engine's side of the message channel: `process.send` under child_process.fork, `process.parentPort` in an Electron utilityProcess. */
export interface EnginePort {
    send(message: Reply): void;
    onMessage(listener: (message: Request) => void): void;
    /** called when the parent goes away */
    onDisconnect(listener: () => void): void;
}

interface ElectronParentPort {
    postMessage(message: unknown): void;
    on(event: "message", listener: (event: {data: unknown}) => void): void;
}

/** The port this process was started with, or undefined when it has no parent channel. */
export function currentEnginePort(): EnginePort | undefined {
    const parentPort = (process as unknown as {parentPort?: ElectronParentPort}).parentPort;
    if (parentPort != null)
        return {
            send: (message) => parentPort.postMessage(message),
            onMessage: (listener) => parentPort.on("message", (event) => listener(event.data as Request)),
            // a utility process is killed with its parent
            onDisconnect: () => {}
        };

    if (process.send != null)
        return {
            send: (message) => {
                if (process.connected)
                    process.send!(message);
            },
            onMessage: (listener) => process.on("message", (message) => listener(message as Request)),
            onDisconnect: (listener) => process.on("disconnect", listener)
        };

    return undefined;
}
