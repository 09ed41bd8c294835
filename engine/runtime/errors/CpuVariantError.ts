import {EngineError} from "./EngineError.js";

/** RECURFORMER_CPU_VARIANT names a CPU variant the engine build does not hold, or one this CPU cannot run. */
export class CpuVariantError extends EngineError {
    /** the variant asked for */
    public readonly asked: string;
    /** the variants the build holds */
    public readonly built: string[];

    public constructor(asked: string, built: string[], reason?: string) {
        super(
            `RECURFORMER_CPU_VARIANT=${asked}: ${reason ?? "the engine build holds no such CPU variant"}. ` +
            (built.length > 0
                ? `This build holds ${built.join(", ")}; leave the variable unset to load the best one this CPU supports.`
                : "This build has no separate CPU variants (a native build): leave the variable unset.")
        );
        this.asked = asked;
        this.built = built;
    }
}
