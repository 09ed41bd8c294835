// Engine parity on the CPU variant ggml picks for this machine (see parity.ts).
import {describeParity} from "./parity.js";

describeParity("best");
