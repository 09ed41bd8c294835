"""The GPU check's summaries (engine/llama/gpu_report.py, gpu_profile.py) on logs written here in their tools'
formats: ratios, graph splits, graphs-off savings, the decode part of a profile and its kernel groups."""
import contextlib
import io
import json
import tempfile
import unittest
from pathlib import Path

from engine.llama import gpu_profile, gpu_report

NCU_HEADER = '"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size","Grid Size",' \
             '"Device","CC","Section Name","Metric Name","Metric Unit","Metric Value"'


def ncu_row(i, kernel, ns):
    return f'"{i}","1","llama-bench","h","{kernel}","1","7","(128, 1, 1)","(8, 1, 1)","0","9.0","Command line profiler ' \
           f'metrics","gpu__time_duration.sum","ns","{ns:,}"'


def bench(rows):
    return json.dumps([{"n_prompt": p, "n_gen": g, "n_depth": dep, "avg_ts": ts, "stddev_ts": 1.0, "model_size": 2e9}
                       for p, g, dep, ts in rows])


def run(fn, arg):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn(arg)
    return out.getvalue()


class Summaries(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = Path(self.tmp.name)
        (self.d / "gpu.txt").write_text("NVIDIA H100 80GB HBM3\n")
        for name, tg0, tg16 in (("dense-1b", 800.0, 600.0), ("recurformer-1b", 600.0, 660.0)):
            (self.d / f"shape-{name}.json").write_text(json.dumps({"kv_bytes_per_token": 32768, "state_bytes": 1000}))
            (self.d / f"bench-{name}.json").write_text(bench([(512, 0, 0, 5e4), (0, 128, 0, tg0), (0, 128, 16384, tg16)]))
            (self.d / f"bench-{name}.log").write_text("graph_reserve: graph: nodes = 900, splits = 2, input objects\n")
            (self.d / f"nographs-{name}.json").write_text(bench([(0, 128, 0, tg0 / 2)]))

    def tearDown(self):
        self.tmp.cleanup()

    def test_report(self):
        text = run(gpu_report.main, str(self.d))
        self.assertIn("(llama-bench -ngl 99 -fa 1) graph splits: 2", text)
        self.assertRegex(text, r"tg128 @ d0 .*0\.75x NOT met\s+>= 1\.0x")
        self.assertRegex(text, r"tg128 @ d16384 .*1\.10x NOT met\s+>= 1\.3x")
        # graphs off at half the speed: 1/400 - 1/800 s = 1250 us per token saved, 50%
        self.assertIn("dense-1b           800.0 t/s with graphs, 400.0 without: 1250 us per token saved (50%)", text)
        self.assertIn("H100 80GB HBM3: 3.35 TB/s", text)

    def test_profile_splits_prompt_from_decode_and_groups_kernels(self):
        tokens = gpu_profile.TOKENS
        prompt = [("void gemm_kernel<half>(...)", 90_000), ("rms_norm_f32(...)", 5_000), ("void gemm_kernel<half>(...)", 80_000)]
        token = [("void mul_mat_vec_f<half, float, 1, 128>(...)", 3_000), ("void ssm_scan_f32<64>(...)", 2_000),
                 ("void flash_attn_ext_f16<64>(...)", 1_000), ("void rms_norm_f32<1024>(...)", 500),
                 ("void k_bin_bcast<op_add>(...)", 250), ("void mystery_kernel(...)", 250)]
        rows = [NCU_HEADER] + [ncu_row(i, k, ns) for i, (k, ns) in enumerate(prompt + token * tokens)]
        (self.d / "ncu-recurformer-1b-d16384.csv").write_text("==PROF== noise\n" + "\n".join(rows) + "\n")
        kernels = gpu_profile.decode_part(gpu_profile.read_kernels(self.d / "ncu-recurformer-1b-d16384.csv"))
        self.assertEqual(len(kernels), 6 * tokens)
        text = run(gpu_profile.main, str(self.d))
        self.assertRegex(text, r"weight matmuls \(gemv\)\s+3\.0 \[1\]")
        self.assertRegex(text, r"Mamba-2 scan\s+2\.0 \[1\]")
        self.assertRegex(text, r"all kernels\s+7\.0 \[6\]")
        self.assertRegex(text, r"measured \(llama-bench\)\s+1515\.2")    # 1e6 / 660 t/s
        self.assertIn("mystery_kernel 0.2", text)


if __name__ == "__main__":
    unittest.main()
