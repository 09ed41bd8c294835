import path from "node:path";
import {readDocument} from "../../../documents/readDocument.js";
import {resolveModelPath} from "../defaultModel.js";
import {documentQuestionMessages} from "../documentQuestion.js";
import {UsageError} from "./UsageError.js";
import {parsePositiveInt, parsePyramidOption} from "./format.js";
import type {CliCommand, CliContext} from "./CliCommand.js";

/**
 * `recurformer ask [--model MODEL.gguf] --document FILE --question TEXT [--context N] [--max-tokens N] [--threads N] [--pyramid SCHEDULE]`
 *
 * One question about one document, exactly as the app asks it: the document is read by the app's
 * readers (documents/: txt, md, html, pdf, docx; same limits, in a worker thread), composed with the question by
 * `documentQuestionMessages` and sent through the model's own chat template; the answer is greedy.
 * Only the answer goes to stdout. A document that does not fit the context is refused, never cut.
 */
export const askCommand: CliCommand = {
    options: {
        model: {type: "string"},
        document: {type: "string"},
        question: {type: "string"},
        context: {type: "string"},
        "max-tokens": {type: "string"},
        threads: {type: "string"},
        pyramid: {type: "string"}
    },
    async run({values, positionals, startEngine, stdout, stderr}: CliContext): Promise<void> {
        if (positionals.length > 0)
            throw new UsageError(`ask takes no positional arguments (got: ${positionals.join(" ")}); use --document FILE --question TEXT`);
        const documentFile = values.document as string | undefined;
        const question = values.question as string | undefined;
        if (documentFile == null || question == null || question.trim().length === 0)
            throw new UsageError("ask needs --document FILE and --question TEXT");
        const maxTokens = parsePositiveInt("max-tokens", values["max-tokens"] as string | undefined, 256);
        const contextSize = parsePositiveInt("context", values.context as string | undefined);
        const threads = parsePositiveInt("threads", values.threads as string | undefined);
        const pyramid = parsePyramidOption(values.pyramid as string | undefined);
        const modelPath = resolveModelPath(values.model as string | undefined);

        const name = path.basename(documentFile);
        const {text} = await readDocument({path: path.resolve(documentFile), name});
        const messages = documentQuestionMessages([{name, text}], question);

        const engine = await startEngine();
        await engine.load("ask", {
            modelPath,
            ...(contextSize != null ? {contextSize} : {}),
            ...(threads != null ? {threads} : {}),
            ...(pyramid != null ? {pyramid} : {})
        });
        const prompt = await engine.chatTokens("ask", messages);
        // node-llama-cpp would cut a prompt that leaves no room for an answer token: refuse it instead
        if (prompt.tokens + 1 >= prompt.contextSize)
            throw new Error(`“${name}” with the question is ${prompt.tokens} tokens through the model's chat template, ` +
                `but the context holds ${prompt.contextSize} tokens (and the answer needs room after it). ` +
                "Nothing was cut: pass a larger --context, or a shorter document.");
        // an answer running past the context would make node-llama-cpp drop the start of the prompt (the document)
        const room = prompt.contextSize - prompt.tokens - 1;

        const controller = new AbortController();
        const onSigint = () => controller.abort();
        process.once("SIGINT", onSigint);
        try {
            const result = await engine.chat(
                {modelId: "ask", chatId: "ask", messages, maxTokens: Math.min(maxTokens, room), temperature: 0},
                {signal: controller.signal, onToken: (text) => stdout.write(text)}
            );
            if (result.stopReason === "maxTokens" && room < maxTokens)
                stderr.write(`recurformer: the answer stopped at the end of the context (${prompt.contextSize} tokens, ` +
                    `${prompt.tokens} of them the prompt); pass a larger --context for a longer one.\n`);
        } finally {
            process.off("SIGINT", onSigint);
        }
    }
};
