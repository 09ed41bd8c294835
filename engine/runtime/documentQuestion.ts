import type {ChatMessage} from "./protocol.js";

/** A document sent with a question: the name it is shown under and the text read out of it. */
export interface AttachedDocument {
    /** shown to the model in the `<document name="...">` tag (a file's base name) */
    name: string;
    /** the document's text as the app's readers extract it (`main/core/documents/extractText.ts`) */
    text: string;
}

/** The question asked when documents are sent without one. */
export const defaultDocumentQuestion = "Summarize the document above.";

/**
 * The user message of a question about documents: every document in a `<document name="...">`
 * block, a blank line between blocks, then the question. This is the one place the app (chats and
 * comparisons, `main/core/AppCore.ts`) and `recurformer ask` compose it; the model's own chat
 * template wraps the message in the engine (`ChatRun.chat`).
 */
export function documentQuestionText(documents: readonly AttachedDocument[], question: string): string {
    if (documents.length === 0)
        return question;
    const blocks = documents.map((d) => `<document name="${d.name.replace(/"/g, "'")}">\n${d.text}\n</document>`);
    return `${blocks.join("\n\n")}\n\n${question.trim() || defaultDocumentQuestion}`;
}

/** The chat messages of a one-turn question about documents (what `recurformer ask` sends). */
export function documentQuestionMessages(documents: readonly AttachedDocument[], question: string): ChatMessage[] {
    return [{role: "user", content: documentQuestionText(documents, question)}];
}
