/**
 * Dense baselines: speed and state figures measured with a dense model (in a comparison or a
 * chat), newest first, kept in `<userData>/baselines.json` so the meters can show them later.
 */
import path from "node:path";
import type { AppEvent, BaselineFigure, Metrics } from "../../../api/appApi.js";
import { readJsonOrSetAside, setAsideMessage, writeFileAtomic } from "../atomicFile.js";

const KEPT = 200;

export class Baselines {
    private figures: BaselineFigure[] = [];
    /** the latest write of baselines.json, one after another; `flush` waits for it */
    private writing: Promise<void> = Promise.resolve();
    private readonly file: string;
    /** baselines.json set aside at start (damaged content), for `info().notices` */
    readonly notices: string[] = [];

    constructor(userDataDir: string, private readonly emit: (event: AppEvent) => void) {
        this.file = path.join(userDataDir, "baselines.json");
    }

    async open(): Promise<void> {
        this.figures = await readJsonOrSetAside<BaselineFigure[]>(this.file, [], Array.isArray,
            (n) => this.notices.push(setAsideMessage(n, "The dense baselines file")));
    }

    list(): BaselineFigure[] {
        return this.figures;
    }

    record(denseModelId: string, recurformerModelId: string | undefined, metrics: Metrics, from: BaselineFigure["from"]): void {
        const figure: BaselineFigure = {
            denseModelId,
            recurformerModelId,
            tokensInContext: metrics.tokensInContext,
            prefillTokensPerSecond: metrics.prefillTokensPerSecond,
            decodeTokensPerSecond: metrics.decodeTokensPerSecond,
            timeToFirstTokenMs: metrics.timeToFirstTokenMs,
            promptTokens: metrics.promptTokens,
            promptTokensReused: metrics.promptTokensReused,
            generatedTokens: metrics.generatedTokens,
            stateBytesMeasured: metrics.stateBytesMeasured,
            stateBytesMeasuredAtTokens: metrics.stateBytesMeasuredAtTokens,
            measuredAt: Date.now(),
            from,
        };
        this.figures = [figure, ...this.figures].slice(0, KEPT);
        const text = JSON.stringify(this.figures);
        this.writing = this.writing.then(() => writeFileAtomic(this.file, text)).catch(() => undefined);
        this.emit({ type: "baselines.changed", baselines: this.figures });
    }

    flush(): Promise<void> {
        return this.writing;
    }
}
