// Finds a Python that can import torch: $PYTHON, then Debian's /usr/bin/python3, then python3 on PATH.
import {spawnSync} from "node:child_process";

export function findTorchPython() {
    const candidates = [process.env.PYTHON, "/usr/bin/python3", "python3"].filter(Boolean);
    for (const candidate of candidates) {
        const res = spawnSync(candidate, ["-c", "import torch, numpy"], {stdio: "ignore"});
        if (res.status === 0) return candidate;
    }
    return undefined;
}
