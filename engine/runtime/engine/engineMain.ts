/**
 * Entry point of the engine process (child_process.fork or Electron's utilityProcess.fork).
 * Started by `EngineClient`; never imported by the parent.
 */
import {EngineProcess} from "./EngineProcess.js";
import {currentEnginePort} from "./EnginePort.js";

const port = currentEnginePort();
if (port == null) {
    process.stderr.write("engineMain: this is the RecurFormer engine process; start it through EngineClient (it needs a parent message channel).\n");
    process.exit(2);
}
new EngineProcess(port).start();
