/**
 * Electron's entry point (package.json "main": dist/main/main.js). The window, menu, IPC and
 * engine supervision live in ./electron/main.ts; serve mode in ./serve/serve.ts; the
 * transport-independent app core in ./core/.
 */
import "./electron/main.js";
