// Vite builds the renderer to dist/renderer with relative asset paths, so the same files
// load from file:// in Electron and from the serve-mode HTTP server.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";

export default defineConfig({
    root: fileURLToPath(new URL(".", import.meta.url)),
    base: "./",
    plugins: [react()],
    build: {
        outDir: fileURLToPath(new URL("../dist/renderer", import.meta.url)),
        emptyOutDir: true,
        sourcemap: true,
        chunkSizeWarningLimit: 2000,
        // no inline scripts or eval: the CSP forbids both
        modulePreload: { polyfill: false },
        assetsInlineLimit: 0,
    },
});
