import {CacheMeter} from "./CacheMeter.js";
import {GgufShape} from "./gguf/GgufShape.js";
import type {CacheType, InspectReport} from "./protocol.js";
import {formatPyramidSchedule, parsePyramidSchedule} from "../../api/pyramidCache.js";

/**
 * What `inspect` computes from the GGUF header alone (no llama.cpp): shape, KV bytes per token,
 * recurrent state, the cache at `tokens` and the dense source's figure; with a PyramidInfer schedule, the tokens
 * each layer keeps at `tokens` (the cache counts those) and the cells per layer a context of `tokens` allocates
 * (batch min(512, tokens), as `inspect` measures it). The engine adds what it measures; the llama-server engine
 * kind answers `inspect` with this only.
 */
export async function computedInspectReport(modelPath: string, tokens: number, cacheType: CacheType, densePath?: string, pyramid?: string): Promise<{report: InspectReport, meter: CacheMeter}> {
    const shape = await GgufShape.read(modelPath);
    const denseShape = densePath != null ? await GgufShape.read(densePath) : undefined;
    const schedule = pyramid != null ? parsePyramidSchedule(pyramid) : undefined;
    const meter = new CacheMeter(shape.shape, {cacheType, ...(denseShape != null ? {dense: denseShape.shape} : {}), ...(schedule != null ? {pyramid: schedule} : {})});
    const report: InspectReport = {
        modelPath,
        shape: shape.shape,
        tokens,
        cacheType,
        kvBytesPerToken: shape.kvBytesPerToken(cacheType),
        recurrentStateBytes: meter.recurrentStateBytes,
        cacheBytesComputed: meter.bytesAt(tokens),
        ...(schedule != null ? {pyramid: {
            schedule: formatPyramidSchedule(schedule),
            retainedPerLayer: meter.retainedAt(tokens)!,
            cellsPerLayer: meter.pyramidCellsFor(tokens, Math.min(512, tokens))!
        }} : {})
    };
    const denseBytes = meter.denseBytesAt(tokens);
    if (denseBytes != null && meter.denseFrom != null)
        report.dense = {
            from: meter.denseFrom,
            ...(densePath != null ? {path: densePath} : {}),
            kvBytesPerToken: meter.denseKvBytesPerToken!,
            cacheBytesComputed: denseBytes,
            ratio: meter.bytesAt(tokens) / denseBytes
        };
    return {report, meter};
}
