import type {ChatMessage} from "./protocol.js";

/** A document sent with a question: the name it is shown under and the text read out of it. */
export interface AttachedDocument {
    /** shown to the model in the `<document name="...">` tag when several documents go together */
    name: string;
    /** the document's text as the app's readers extract it (`documents/readDocument.ts`) */
    text: string;
}

/** The question asked when documents are sent without one. */
export const defaultDocumentQuestion = "Summarize the document above.";

/**
 * The user message of a question about documents, in the words the default models were trained on
 * (`engine/pipeline/tasks/doc_qa.py`, `prompt_messages`): an instruction, the document in a
 * `<document>` block, then `Question: ...`. Several documents each get a `<document name="...">`
 * block. This is the one place the app (chats and comparisons, `main/core/AppCore.ts`) and
 * `recurformer ask` compose it; the model's own chat template wraps the message in the engine.
 */
export function documentQuestionText(documents: readonly AttachedDocument[], question: string): string {
    if (documents.length === 0)
        return question;
    const asked = `Question: ${question.trim() || defaultDocumentQuestion}`;
    if (documents.length === 1)
        return `Read the document below, then answer the question that follows it.\n\n<document>\n${documents[0]!.text}\n</document>\n\n${asked}`;
    const blocks = documents.map((d) => `<document name="${d.name.replace(/"/g, "'")}">\n${d.text}\n</document>`);
    return `Read the documents below, then answer the question that follows them.\n\n${blocks.join("\n\n")}\n\n${asked}`;
}

/** The chat messages of a one-turn question about documents (what `recurformer ask` sends). */
export function documentQuestionMessages(documents: readonly AttachedDocument[], question: string): ChatMessage[] {
    return [{role: "user", content: documentQuestionText(documents, question)}];
}
