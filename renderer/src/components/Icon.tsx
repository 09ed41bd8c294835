/** A few line icons (24px grid, stroke = currentColor). */
const PATHS: Record<string, string> = {
    chat: "M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12Z",
    compare: "M12 3v18M5 7h4M5 12h4M5 17h4M15 7h4M15 12h4M15 17h4",
    chart: "M4 20V4M4 20h16M8 16l4-5 3 3 5-7",
    cube: "M12 2 3 7v10l9 5 9-5V7l-9-5Zm0 0v20M3 7l9 5 9-5",
    plus: "M12 5v14M5 12h14",
    send: "M4 12 20 4l-6 16-3-7-7-1Z",
    stop: "M7 7h10v10H7z",
    file: "M14 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8l-5-5Zm0 0v5h5",
    paperclip: "M21 11.5 12.5 20a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3L15 7.5",
    x: "M6 6l12 12M18 6 6 18",
    refresh: "M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7",
    edit: "M4 20h4L19 9l-4-4L4 16v4Z",
    copy: "M9 9h11v11H9zM5 15H4V4h11v1",
    download: "M12 3v12m0 0-4-4m4 4 4-4M4 17v3h16v-3",
    trash: "M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13",
    bolt: "M13 2 4 14h7l-1 8 9-12h-7l1-8Z",
    memory: "M4 7h16v10H4zM8 7V4M12 7V4M16 7V4M8 20v-3M12 20v-3M16 20v-3",
    clock: "M12 7v5l3 2M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z",
    check: "M5 12l5 5 9-10",
    alert: "M12 8v5M12 17h.01M10.3 3.9 2.5 18a2 2 0 0 0 1.7 3h15.6a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0Z",
    settings: "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6ZM19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1Z",
    play: "M7 4v16l13-8L7 4Z",
    image: "M4 5h16v14H4zM4 15l4-4 5 5 3-3 4 4M15 9h.01",
};

export function Icon({ name, size = 16, className }: { name: keyof typeof PATHS | string; size?: number; className?: string }) {
    return (
        <svg className={className} width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
            <path d={PATHS[name] ?? ""} />
        </svg>
    );
}
