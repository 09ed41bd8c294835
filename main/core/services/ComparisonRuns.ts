/**
 * Comparison runs: one prompt through 2 to 4 lanes (any architectures: dense, RecurFormer, BASED; each
 * with or without PyramidInfer), one after the other or side by side, streamed as `compare.*` events by
 * lane (the order picked; the first is the baseline). A plain dense lane's figures become a baseline for
 * the chat meters.
 *
 * A comparison runs on the models as they are loaded for chats: it never reloads them (a reload
 * would throw away every chat's snapshot, and the next Regenerate would read the whole document
 * again). A lane in the other cache mode than its model's setting runs on the model's compare copy
 * (`Models.loadForLane`), so one file can be two lanes. A context's threads are fixed when it is
 * loaded, so side by side each model keeps its own threads and the models share the CPU (the engine
 * splits nothing: `maxThreads: 0`).
 */
import type { AppEvent, CompareRunInfo, ModelInfo, ParamsOf } from "../../../api/appApi.js";
import { activePyramid, pyramidSettingOf } from "../../../api/pyramidSetting.js";
import { documentQuestionText } from "../../../engine/runtime/documentQuestion.js";
import { newId } from "../ChatStore.js";
import type { EngineSupervisor } from "../EngineSupervisor.js";
import { UserError } from "../UserError.js";
import type { Baselines } from "./Baselines.js";
import type { Documents } from "./Documents.js";
import type { Models } from "./Models.js";
import { streamGeneration } from "./streamGeneration.js";

interface ComparisonRun {
    info: CompareRunInfo;
    controller: AbortController;
    finished: boolean;
}

export class ComparisonRuns {
    private readonly runs = new Map<string, ComparisonRun>();

    constructor(
        private readonly engine: EngineSupervisor,
        private readonly models: Models,
        private readonly documents: Documents,
        private readonly baselines: Baselines,
        private readonly emit: (event: AppEvent) => void,
        private readonly cpuThreads: number,
    ) {}

    start(p: ParamsOf<"compare.start">): CompareRunInfo {
        const models = p.modelIds.map((id) => this.models.get(id));
        if (p.pyramid && p.pyramid.length !== models.length) throw new UserError(`Say for each of the ${models.length} lanes whether it runs with PyramidInfer (${p.pyramid.length} given).`);
        const pyramid = models.map((m, i) => p.pyramid?.[i] ?? Boolean(activePyramid(m.settings)));
        const lanes = models.map((m, i) => `${m.id}:${pyramid[i]}`);
        if (new Set(lanes).size !== lanes.length) throw new UserError("Pick a different model or cache for each lane: the same model with the same cache twice compares nothing.");
        const broken = models.find((m) => !m.shape);
        if (broken) throw new UserError(`${broken.fileName} must be inspected without errors first.`);
        for (const run of this.runs.values()) if (!run.finished) throw new UserError("A comparison is already running; stop it first.");
        // the threads a model computes with (auto: all of them), in either mode
        const threadsEach = Math.min(...models.map((m) => m.settings.threads > 0 ? m.settings.threads : this.cpuThreads));
        const info: CompareRunInfo = {
            runId: newId("cmp"),
            prompt: p.prompt,
            mode: p.mode,
            lanes: models.map((m, i) => {
                const { r0, decay, recent } = pyramidSettingOf(m.settings);
                return { modelId: m.id, kind: m.kind, ...(pyramid[i] ? { pyramid: { r0, decay, recent } } : {}), ...(pyramid[i] !== Boolean(activePyramid(m.settings)) ? { copy: true } : {}) };
            }),
            threadsEach,
            documentIds: p.documentIds ?? [],
            startedAt: Date.now(),
        };
        const content = documentQuestionText(this.documents.attached(info.documentIds), p.prompt);
        const run: ComparisonRun = { info, controller: new AbortController(), finished: false };
        this.runs.set(info.runId, run);
        this.emit({ type: "compare.started", run: info });
        void this.runLanes(run, models, content, p.maxTokens ?? 128);
        return info;
    }

    stop(runId: string): { stopped: boolean } {
        const run = this.runs.get(runId);
        if (!run) return { stopped: false };
        run.controller.abort();
        return { stopped: true };
    }

    stopAll(): void {
        for (const run of this.runs.values()) run.controller.abort();
    }

    private async runLanes(run: ComparisonRun, models: ModelInfo[], content: string, maxTokens: number): Promise<void> {
        if (run.info.mode === "parallel") await Promise.all(models.map((model, lane) => this.lane(run, lane, model, content, maxTokens)));
        else for (const [lane, model] of models.entries()) await this.lane(run, lane, model, content, maxTokens);
        run.finished = true;
    }

    private async lane(run: ComparisonRun, lane: number, model: ModelInfo, content: string, maxTokens: number): Promise<void> {
        const { runId } = run.info;
        const signal = run.controller.signal;
        const pyramid = Boolean(run.info.lanes[lane]!.pyramid);
        try {
            const { engineId, loaded } = await this.models.loadForLane(model.id, pyramid);
            this.emit({ type: "compare.lane", runId, lane, loaded });
            const result = await streamGeneration(this.engine, this.models, {
                modelId: engineId,
                loaded: true,
                sequenceId: `compare-${lane}`,
                messages: [{ role: "user", content }],
                maxTokens,
                signal,
                onToken: (text) => this.emit({ type: "compare.token", runId, lane, text }),
                onMetrics: (metrics) => this.emit({ type: "compare.metrics", runId, lane, metrics }),
            });
            // the chat meters' dense baseline is the full cache's: a PyramidInfer lane thins it
            if (model.kind === "dense" && !pyramid && result?.metrics) this.baselines.record(model.id, run.info.lanes.find((l) => l.kind === "recurformer" && !l.pyramid)?.modelId, result.metrics, "comparison");
            this.emit({ type: "compare.done", runId, lane, status: !result || result.stopReason === "stopped" ? "stopped" : "done" });
        } catch (error) {
            this.emit({ type: "compare.done", runId, lane, status: signal.aborted ? "stopped" : "error", error: (error as Error).message });
        }
    }
}
