/** Saves text or a blob as a file the user downloads (Electron shows its save dialog). */
export function downloadBlob(blob: Blob, fileName: string): void {
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = fileName;
    a.rel = "noopener";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadText(text: string, fileName: string, type = "text/plain"): void {
    downloadBlob(new Blob([text], { type: `${type};charset=utf-8` }), fileName);
}
