/**
 * Markdown to safe HTML: marked for the syntax, highlight.js for code blocks, DOMPurify to
 * remove anything a model could write that would run (scripts, handlers, javascript: links).
 */
import { Marked } from "marked";
import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/common";

const marked = new Marked({
    gfm: true,
    breaks: false,
    renderer: {
        code({ text, lang }) {
            const language = lang && hljs.getLanguage(lang) ? lang : undefined;
            const html = language ? hljs.highlight(text, { language }).value : hljs.highlightAuto(text).value;
            const label = language ?? "text";
            return `<div class="code-block"><div class="code-head"><span>${label}</span><button type="button" class="copy-code" data-copy>Copy</button></div><pre><code class="hljs language-${label}">${html}</code></pre></div>`;
        },
    },
});

export function renderMarkdown(source: string): string {
    const html = marked.parse(source, { async: false }) as string;
    return DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ["style", "form", "input"], FORBID_ATTR: ["style"] });
}
