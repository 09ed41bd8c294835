/** Rendered Markdown (sanitized), with a working "Copy" on every code block. */
import { memo, useMemo } from "react";
import { copyText } from "../lib/copy";
import { renderMarkdown } from "../lib/markdown";

export const Markdown = memo(function Markdown({ source }: { source: string }) {
    const html = useMemo(() => renderMarkdown(source), [source]);
    return (
        <div
            className="markdown"
            onClick={(e) => {
                const button = (e.target as HTMLElement).closest("[data-copy]");
                if (!button) return;
                const code = button.closest(".code-block")?.querySelector("code")?.textContent ?? "";
                void copyText(code).then((copied) => {
                    button.textContent = copied ? "Copied" : "Not copied";
                    setTimeout(() => { button.textContent = "Copy"; }, 1200);
                });
            }}
            dangerouslySetInnerHTML={{ __html: html }}
        />
    );
});
