/** The reading worker's entry: reads the one document in `workerData`, posts progress, then the text or a named error. */
import { parentPort, workerData } from "node:worker_threads";
import { documentErrorPayload } from "./errors.js";
import { extractText, type DocumentInput } from "./extractText.js";
import type { DocumentLimits } from "./limits.js";

const { input, limits } = workerData as { input: DocumentInput; limits: DocumentLimits };
const port = parentPort!;
extractText(input, limits, (fraction) => port.postMessage({ type: "progress", fraction })).then(
    (result) => port.postMessage({ type: "done", result }),
    (error: unknown) => port.postMessage({ type: "error", error: documentErrorPayload(error) }),
);
