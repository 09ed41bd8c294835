import type {ChatMessage} from "../protocol.js";

/** Conversations remembered per server (the oldest are forgotten first). */
const maxRemembered = 256;

interface Conversation {
    key: string;
    modelId: string;
    /** the messages of its last turn and the answer to them */
    messages: ChatMessage[];
    inUse: boolean;
}

/**
 * Which engine sequence key (the engine's `chatId`) a chat request runs under, so that a follow-up
 * lands on the sequence that already holds its earlier messages: the engine then keeps (or restores
 * from a checkpoint) what it has read and reads only the rest. A request takes the key of the
 * remembered conversation sharing the most leading messages with it; none, or that one busy: a new key.
 */
export class Conversations {
    private readonly remembered: Conversation[] = [];
    private next = 1;

    /** The key for a request; `done` records the answer (the conversation as a follow-up will repeat it). */
    public claim(modelId: string, messages: ChatMessage[]): {key: string, done: (answer: string | undefined) => void} {
        let best: Conversation | undefined;
        let bestShared = 0;
        for (const conversation of this.remembered) {
            if (conversation.modelId !== modelId || conversation.inUse)
                continue;
            const shared = sharedLeadingMessages(conversation.messages, messages);
            if (shared > bestShared) {
                best = conversation;
                bestShared = shared;
            }
        }
        const conversation = best ?? {key: `api-${this.next++}`, modelId, messages: [], inUse: false};
        conversation.inUse = true;
        this.forget(conversation);
        this.remembered.push(conversation);
        if (this.remembered.length > maxRemembered)
            this.remembered.shift();
        return {
            key: conversation.key,
            done: (answer) => {
                conversation.inUse = false;
                conversation.messages = answer != null ? [...messages, {role: "assistant", content: answer}] : messages;
            }
        };
    }

    private forget(conversation: Conversation): void {
        const at = this.remembered.indexOf(conversation);
        if (at >= 0)
            this.remembered.splice(at, 1);
    }
}

function sharedLeadingMessages(a: ChatMessage[], b: ChatMessage[]): number {
    let n = 0;
    while (n < a.length && n < b.length && a[n]!.role === b[n]!.role && a[n]!.content === b[n]!.content)
        n++;
    return n;
}
