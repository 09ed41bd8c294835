// Perplexity through the patched llama.cpp (node-llama-cpp's controlledEvaluate), as evaluate.mjs reports it
// and test/engine/perplexity.test.ts checks it against the PyTorch reference's logits.
//
// Per position: nll = log(sum_j exp(l_j - max)) - (l_target - max). node-llama-cpp gives the sum as
// `totalLogitWeight` (taken with the true maximum); the maximum itself must come from `includeTop: 1`:
// its `includeMax` filter option (3.x) adds the highest logit only when that token is already in the filter,
// so with the target as the only filter token the "max" read back was the target's own logit, and the
// nll came out as log(sum_j exp(l_j - l_max)), whatever the target (perplexity about 5 instead of about 90 for
// the shipped dense model).

/**
 * Mean negative log-likelihood of each window's tokens 1..size given the ones before, over `windows` windows
 * of size + 1 tokens spread evenly through `tokens`, each from an empty sequence. Natural log; returns
 * {value: exp(mean nll), tokens: the count of predicted tokens, window: size}.
 */
export async function perplexity(sequence, tokens, windows, size) {
    if (size > sequence.contextSize)     // a context shift would drop the window's start (and cannot shift a recurrent state)
        throw new Error(`perplexity: a window of ${size} tokens does not fit the context (${sequence.contextSize})`);
    let nll = 0, count = 0;
    const stride = Math.max(1, Math.floor((tokens.length - size - 1) / windows));
    for (let w = 0; w < windows; w++) {
        const win = tokens.slice(w * stride, w * stride + size + 1);
        if (win.length < size + 1) break;
        await sequence.clearHistory();
        const input = win.slice(0, size).map((t, i) => [t, {generateNext: {
            logits: {filter: {tokens: [win[i + 1]], includeTop: 1}}, totalLogitWeight: true}}]);
        const out = await sequence.controlledEvaluate(input);
        for (let i = 0; i < size; i++) {
            const next = out[i]?.next;
            if (!next?.logits?.has(win[i + 1]) || next.totalLogitWeight == null)
                throw new Error(`perplexity: no logits for window ${w}, position ${i}`);
            const max = Math.max(...next.logits.values());
            nll += Math.log(next.totalLogitWeight) - (next.logits.get(win[i + 1]) - max);
            count++;
        }
    }
    return {value: Math.exp(nll / count), tokens: count, window: size};
}
