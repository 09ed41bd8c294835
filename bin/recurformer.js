#!/usr/bin/env node
// `recurformer`: a thin shim over the compiled CLI (engine/runtime/cli/cli.ts -> dist/).
import fs from "node:fs";
import {fileURLToPath} from "node:url";

const cli = new URL("../dist/engine/runtime/cli/cli.js", import.meta.url);
if (!fs.existsSync(fileURLToPath(cli))) {
    process.stderr.write("recurformer: the CLI is not compiled yet: run `npm run build` (or `npx tsc -p tsconfig.json`) first.\n");
    process.exit(1);
}
const {main} = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
