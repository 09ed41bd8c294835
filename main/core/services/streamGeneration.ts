/**
 * The one way the app streams a generation: make sure the model is loaded (with its own settings:
 * a run never reloads a loaded model, which would cost every chat on it its snapshot), then ask the
 * engine for a chat answer, passing tokens and metrics straight on.
 * Stop is the AbortSignal; the engine's own metrics throttle is the only one.
 */
import type { ChatMessage, GenerationResult, Metrics, StateFileOptions } from "../../../engine/runtime/protocol.js";
import type { EngineSupervisor } from "../EngineSupervisor.js";
import type { Models } from "./Models.js";

export interface Generation {
    /** the model's id, or the engine id its caller loaded (a comparison lane's context: `loaded`) */
    modelId: string;
    /** the caller made sure the engine holds `modelId` (Models.loadForLane) */
    loaded?: true;
    /** the engine's sequence key: a chat id, or a comparison side */
    sequenceId: string;
    messages: ChatMessage[];
    maxTokens: number;
    signal: AbortSignal;
    /** chats: the saved state to resume from and where to save the new one (Snapshots) */
    state?: StateFileOptions;
    onToken(text: string): void;
    onMetrics(metrics: Metrics): void;
}

/** The result, or undefined when the signal stopped it before the engine began. */
export async function streamGeneration(engine: EngineSupervisor, models: Models, run: Generation): Promise<GenerationResult | undefined> {
    if (!run.loaded) await models.load(run.modelId);
    if (run.signal.aborted) return undefined;
    const client = await engine.engine();
    return client.request(
        "chat",
        { modelId: run.modelId, chatId: run.sequenceId, messages: run.messages, maxTokens: run.maxTokens, ...(run.state ? { state: run.state } : {}) },
        { signal: run.signal, onToken: run.onToken, onMetrics: run.onMetrics },
    );
}
