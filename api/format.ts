/** Numbers in words for people: one definition for the app, the renderer and the CLI. */

/** Human-readable bytes: 1.2 GiB, 340 MiB, 12 KiB. */
export function formatBytes(bytes: number | undefined): string {
    if (bytes == null || !Number.isFinite(bytes)) return "—";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let value = bytes;
    let unit = 0;
    while (Math.abs(value) >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    const digits = unit === 0 ? 0 : value >= 100 ? 0 : value >= 10 ? 1 : 2;
    return `${value.toFixed(digits)} ${units[unit]}`;
}

export function formatTokens(n: number | undefined): string {
    if (n == null || !Number.isFinite(n)) return "—";
    if (n >= 1024 && n % 1024 === 0) return `${n / 1024}k`;
    return n.toLocaleString("en-US");
}
