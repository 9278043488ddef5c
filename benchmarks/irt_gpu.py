"""The torch backend on a GPU: a 2PL marginal-ML fit of 10,000 models x 100,000 items.

Run from the project root on a machine with a CUDA GPU and ``pip install -e '.[torch]'``:

    python benchmarks/irt_gpu.py                 # 10,000 x 100,000 on cuda, then numpy on a slice
    python benchmarks/irt_gpu.py --persons 2000 --items 20000   # smaller, e.g. to try it first

Simulated data as in ``benchmarks/irt.py``: theta ~ N(0, 1), a ~ U(0.8, 2.5), b ~ N(0, 1)
clipped to [-2.5, 2.5]. The responses are drawn on the GPU in float32 (10^9 cells are 4 GB; the
same matrix in float64 numpy would need 8 GB and far longer). Prints the fit time (after a small
warm-up fit that loads the CUDA kernels), the recovery of the generating values, the ability
interval coverage, and, for a 1,000 x 10,000 slice, the torch-on-GPU against numpy-on-CPU time and
the largest difference of their estimates (the backends agree to 1e-6 in float64 on CPU; in
float32 expect ~1e-3). Item standard errors are left out of the big fit unless ``--with-se``:
Louis' information is computed in numpy on the host, not on the device.

Not yet run: no GPU was lent to the session that wrote it (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--with-se",
        action="store_true",
        help="also compute item standard errors (Louis' information runs in numpy on the host)",
    )
    args = parser.parse_args()

    import torch

    from assay import irt

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: run this on a machine with a GPU (or pass --device cpu)")
    dev = torch.device(args.device)
    print(f"torch {torch.__version__}, device {dev}", end="")
    if dev.type == "cuda":
        print(f" ({torch.cuda.get_device_name(dev)})")
    else:
        print()
    g = torch.Generator(device=dev).manual_seed(args.seed)
    n, k = args.persons, args.items
    theta = torch.randn(n, device=dev, generator=g)
    a = 0.8 + 1.7 * torch.rand(k, device=dev, generator=g)
    b = torch.randn(k, device=dev, generator=g).clamp(-2.5, 2.5)
    y = torch.empty((n, k), device=dev, dtype=torch.float32)
    for lo in range(0, n, 1000):  # in blocks: the logits of 10^9 cells would need 4 GB more
        hi = min(lo + 1000, n)
        p = torch.sigmoid(a[None, :] * (theta[lo:hi, None] - b[None, :]))
        y[lo:hi] = (torch.rand(p.shape, device=dev, generator=g) < p).float()
    yn = y.cpu().numpy()  # the fit takes array-likes; torch moves it back to the device
    t_np = lambda x: x.detach().cpu().numpy()  # noqa: E731
    theta_, a_, b_ = t_np(theta), t_np(a), t_np(b)

    irt.fit(yn[:500, :2000], backend="torch", device=args.device)  # warm-up: CUDA kernels
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    f = irt.fit(
        yn, backend="torch", device=args.device, dtype="float32", standard_errors=args.with_se
    )
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter() - t0
    ts = (theta_ - theta_.mean()) / theta_.std()
    cover = np.mean((f.ability.ci_low <= ts) & (ts <= f.ability.ci_high))
    r = [
        np.corrcoef(x, z)[0, 1]
        for x, z in ((f.discrimination, a_), (f.difficulty, b_), (f.ability.estimate, theta_))
    ]
    print(
        f"== 2PL MML on {n:,} x {k:,} (torch, {args.device}, float32): {t:.1f} s, "
        f"{f.n_iter} EM steps, item SEs: {f.se_method}"
    )
    print(
        f"   corr a {r[0]:.4f}  corr b {r[1]:.4f}  corr theta {r[2]:.4f}; 95% ability intervals "
        f"cover the standardised true ability {100 * cover:.1f}%"
    )
    if dev.type == "cuda":
        print(f"   peak GPU memory {torch.cuda.max_memory_allocated(dev) / 2**30:.1f} GiB")

    sl = yn[:1000, :10_000]
    t0 = time.perf_counter()
    fg = irt.fit(sl, backend="torch", device=args.device, dtype="float32")
    if dev.type == "cuda":
        torch.cuda.synchronize()
    tg = time.perf_counter() - t0
    t0 = time.perf_counter()
    fc = irt.fit(sl, dtype="float32")
    tc = time.perf_counter() - t0
    diff = max(
        float(np.max(np.abs(fg.discrimination - fc.discrimination))),
        float(np.max(np.abs(fg.difficulty - fc.difficulty))),
        float(np.max(np.abs(fg.ability.estimate - fc.ability.estimate))),
    )
    print(
        f"== {sl.shape[0]:,} x {sl.shape[1]:,} slice: torch on {args.device} {tg:.2f} s, numpy on CPU {tc:.2f} s "
        f"(ratio {tc / tg:.1f}x); largest difference of a, b, theta {diff:.1e}"
    )


if __name__ == "__main__":
    main()
