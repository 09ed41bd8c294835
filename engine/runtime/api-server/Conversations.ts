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

/** Text two requests must share at their start, at least, for the second to take the first's sequence when they share no whole message. */
const minSharedChars = 200;

/**
 * Which engine sequence key (the engine's `chatId`) a chat request runs under, so that it lands on
 * the sequence that already holds the most of its start: the engine then keeps (or restores from a
 * checkpoint) what it has read and reads only the rest. A follow-up, a regenerate or an edit shares
 * whole messages with its conversation; a new question about the same document shares the start of
 * the first message. A request takes the key of the remembered conversation sharing the longest start
 * with it (whole messages first, then characters, at least `minSharedChars`); none, or that one
 * busy: a new key. Characters count only for a model that can keep any prefix of its state (a KV
 * cache); a recurrent model keeps only what a checkpoint holds, and its checkpoints are at message
 * ends (after a prompt, after an answer), so for it a shared start inside a message gains nothing
 * and would take the sequence of a conversation that can still go on.
 */
export class Conversations {
    private readonly remembered: Conversation[] = [];
    private next = 1;

    /** The key for a request; `done` records the answer (the conversation as a follow-up will repeat it). */
    public claim(modelId: string, messages: ChatMessage[], {withinMessages}: {withinMessages: boolean}): {key: string, done: (answer: string | undefined) => void} {
        let best: Conversation | undefined;
        let bestShared: Shared = {messages: 0, chars: withinMessages ? minSharedChars - 1 : Infinity};
        for (const conversation of this.remembered) {
            if (conversation.modelId !== modelId || conversation.inUse)
                continue;
            const shared = sharedStart(conversation.messages, messages);
            if (shared.messages > bestShared.messages || (shared.messages === bestShared.messages && shared.chars > bestShared.chars)) {
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

interface Shared {
    /** whole messages in common at the start */
    messages: number;
    /** characters in common at the start, the first differing message's included */
    chars: number;
}

function sharedStart(a: ChatMessage[], b: ChatMessage[]): Shared {
    let messages = 0;
    let chars = 0;
    while (messages < a.length && messages < b.length && a[messages]!.role === b[messages]!.role) {
        const x = a[messages]!.content;
        const y = b[messages]!.content;
        if (x !== y) {
            let n = 0;
            while (n < x.length && n < y.length && x[n] === y[n])
                n++;
            return {messages, chars: chars + n};
        }
        chars += x.length;
        messages++;
    }
    return {messages, chars};
}
