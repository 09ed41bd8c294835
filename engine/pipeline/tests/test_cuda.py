"""The same models on a CUDA GPU (skipped without one): training uses the chunked scan and SDPA there,
decoding the recurrence and the KV cache; they must agree with the CPU float64 results, and a bf16
autocast training step must produce finite gradients for every parameter."""
import unittest

import torch

from engine.pipeline.recurformer.dense import DenseConfig, DenseModel, init_weights
from engine.pipeline.recurformer.surgery import recurformer_from_dense

CUDA = torch.cuda.is_available()


def model_pair():
    cfg = DenseConfig(vocab_size=97, n_layer=2, n_embd=128, n_head=8, n_kv_head=4, head_dim=16, ffn_hidden=192,
                      rope_type="neox", qkv_bias=True)
    d = DenseModel(cfg)
    init_weights(d, 0, norm_jitter=0.1, bias_std=0.1)
    rf = recurformer_from_dense(d, [[0, 2, 3], [1, 2, 3]], d_state=32, chunk_size=16)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in rf.mamba_parameters():
            p.add_(0.2 * torch.randn(p.shape, generator=g))
    return d, rf


@unittest.skipUnless(CUDA, "no CUDA device")
class CudaTest(unittest.TestCase):
    def test_gpu_forward_matches_cpu_float64(self):
        d, rf = model_pair()
        toks = torch.randint(0, 97, (2, 150), generator=torch.Generator().manual_seed(2))
        for m in (d, rf):
            with self.subTest(model=type(m).__name__), torch.no_grad():
                want = m.double()(toks)[0]
                got = m.float().cuda()(toks.cuda())[0].double().cpu()
                err = ((got - want).abs().amax(-1) / want.abs().amax(-1)).max().item()
                self.assertLess(err, 1e-4)

    def test_gpu_incremental_decoding_matches_the_full_forward(self):
        _, rf = model_pair()
        rf = rf.cuda().eval()
        toks = torch.randint(0, 97, (2, 40), generator=torch.Generator().manual_seed(3)).cuda()
        with torch.no_grad():
            full, _ = rf(toks)
            out, state = rf(toks[:, :30])
            outs = [out]
            for t in range(30, 40):
                out, state = rf(toks[:, t:t + 1], state)
                outs.append(out)
        torch.testing.assert_close(torch.cat(outs, 1), full, rtol=1e-4, atol=1e-4)

    def test_bf16_training_step_gives_finite_gradients_everywhere(self):
        _, rf = model_pair()
        rf = rf.cuda().train()
        toks = torch.randint(0, 97, (4, 128), generator=torch.Generator().manual_seed(4)).cuda()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits, _ = rf(toks[:, :-1])
            loss = torch.nn.functional.cross_entropy(logits.float().reshape(-1, 97), toks[:, 1:].reshape(-1))
        loss.backward()
        for name, p in rf.named_parameters():
            self.assertIsNotNone(p.grad, name)
            self.assertTrue(torch.isfinite(p.grad).all().item(), name)


if __name__ == "__main__":
    unittest.main()
