import {EngineError} from "./EngineError.js";

/** The prompt does not fit in the context (nothing was evaluated). */
export class PromptTooLongError extends EngineError {
    public readonly promptTokens: number;
    public readonly contextSize: number;

    public constructor(promptTokens: number, contextSize: number) {
        super(
            `The prompt is ${promptTokens} tokens, but the context holds ${contextSize}. ` +
            "Shorten it (or the chat history), or load the model with a larger context size."
        );
        this.promptTokens = promptTokens;
        this.contextSize = contextSize;
    }
}
