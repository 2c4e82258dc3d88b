"""The cost curve towards 10 million records: sharded compressed gallery and demographic engine.

    nice -n 10 .venv/bin/python bench/dedup/scale.py              # 100k, 300k, 1M; demographic
    nice -n 10 .venv/bin/python bench/dedup/scale.py --sizes 100000 300000 1000000 10000000
    nice -n 10 .venv/bin/python bench/dedup/scale.py --demographic-sizes 100000 300000 1000000

Biometric (face, 128-d, the synthetic model of ektp.dedup.engine.synthetic): at each size the
gallery is generated chunk by chunk (never held as floats) into a `ShardedIndex` (IVF-PQ,
`--pq-bytes` per vector, `--shards` shards sharing one trained quantizer, nlist per shard
`--nlist-factor`·√(records per shard)); the exact top 10 of the queries is computed on the same
stream (FAISS exact search chunk by chunk), so recall is against exact search. Queries are
mated probes (new captures of enrolled people). Reported: build time (train + add, generation
excluded), bytes of the stored codes, the process's resident memory, searches per second
(batched, 2 threads), recall@10, the exact top 10 among 100 candidates (what an exact re-score
of 100 candidates keeps), and the mate among 10 / 100 candidates.

Demographic: ektp's DemographicEngine on the synthetic register (register_synth) at each of
`--demographic-sizes`, in a child process (time and peak memory its own), with pairwise F1.

Both curves are fitted as a power law t = a·n^b on the measured sizes and extrapolated to
`--extrapolate` records, with the machines needed for `--target-ips` identifications/s and for
a full demographic scan within `--scan-hours`.
"""

import argparse
import math
import multiprocessing
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ektp.dedup.engine.sharded_index import ShardedIndex, ShardPolicy, exact_topk, merge_topk
from ektp.dedup.engine.synthetic import (
    CHUNK,
    FACE,
    PopulationModel,
    SyntheticPopulation,
    _default_modalities,
)


@dataclass
class BioRow:
    size: int
    shards: int
    nlist: int
    build_s: float
    code_mb: float
    rss_mb: float
    ips: float
    recall10: float
    recall_in_100: float
    mate_in_10: float
    mate_in_100: float
    exact_mate_in_10: float


@dataclass
class DemoRow:
    size: int
    seconds: float
    peak_mb: float
    f1: float


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _face_only() -> PopulationModel:
    return PopulationModel(modalities={FACE: _default_modalities()[FACE]})


def _sample(pop: SyntheticPopulation, count: int) -> np.ndarray:
    parts, have = [], 0
    for _, templates in pop.gallery(0, min(pop.size, count)):
        parts.append(templates[FACE])
        have += len(parts[-1])
    return np.concatenate(parts)


def run_biometric(size: int, args) -> BioRow:
    pop = SyntheticPopulation(size, _face_only(), seed=args.seed)
    # Mates among the first chunks: a person's templates depend only on (seed, id), so a small
    # population with the same seed yields the same people without regenerating 10M rows.
    mates, probes = SyntheticPopulation(min(size, 4 * CHUNK), _face_only(),
                                        seed=args.seed).mated_probes(args.queries, stream=1)
    q = probes[FACE]
    sample = _sample(pop, args.train)
    center = sample[:20_000].mean(axis=0)
    nlist = max(16, int(args.nlist_factor * math.sqrt(size / args.shards)))
    policy = ShardPolicy(shards=args.shards, pq_bytes=args.pq_bytes, nlist=nlist,
                         nprobe=args.nprobe, train_size=args.train)
    index = ShardedIndex(128, policy, center=center)
    start = time.perf_counter()
    index.train(sample, expected_size=size)
    build = time.perf_counter() - start
    exact = (np.full((len(q), 10), -np.inf, np.float32), np.full((len(q), 10), -1, np.int64))
    for ids, templates in pop.gallery():
        start = time.perf_counter()
        index.add(ids, templates[FACE])
        build += time.perf_counter() - start
        exact = merge_topk([exact, exact_topk(q, [(ids, templates[FACE])], 10, center)], 10)
    return _measure(index, size, nlist, build, q, mates, exact[1], args)


def _measure(index, size, nlist, build, q, mates, exact, args) -> BioRow:
    index.search(q[:64], 100)  # warm up
    start = time.perf_counter()
    _, found = index.search(q, 100, workers=2)
    ips = len(q) / (time.perf_counter() - start)
    report = index.measure_recall(q, exact, candidates=100)

    def mate_in(rows):
        return float(np.mean([m in r for m, r in zip(mates, rows, strict=True)]))

    return BioRow(size, args.shards, nlist, build, index.code_bytes() / 2**20, _rss_mb(), ips,
                  report.recall_at_k, report.recall_in_candidates, mate_in(found[:, :10]),
                  mate_in(found), mate_in(exact))


def _demographic(path: str) -> dict:
    sys.path.insert(0, str(Path(__file__).parent))
    import register as register_bench

    return register_bench._ektp(path)


def run_demographic(size: int, seed: int, workdir: Path) -> DemoRow:
    sys.path.insert(0, str(Path(__file__).parent))
    import register as register_bench

    from ektp.dedup.engine.register_synth import generate_register

    generated = generate_register(size, seed=seed)
    path = workdir / f"register_{size}.parquet"
    generated.records.drop(columns=["person_id"]).to_parquet(path)
    truth = {(min(a, b), max(a, b)) for a, b in generated.true_pairs}
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result = pool.apply(_demographic, (str(path),))
    f1 = register_bench._metrics(result["ektp (clusters)"], truth)[2]
    return DemoRow(len(generated.records), result["seconds"], result["peak_mb"], f1)


# --- Curves --------------------------------------------------------------------------------

def power_fit(sizes, values) -> tuple[float, float]:
    """(a, b) of values = a·size^b by least squares in log-log space (b = 1 with one point)."""
    x, y = np.log(np.asarray(sizes, float)), np.log(np.asarray(values, float))
    if len(x) < 2:
        return float(np.exp(y[0] - x[0])), 1.0
    b, log_a = np.polyfit(x, y, 1)
    return float(np.exp(log_a)), float(b)


def extrapolate(sizes, values, target: int) -> tuple[float, float]:
    a, b = power_fit(sizes, values)
    return a * target**b, b


def print_biometric_header() -> None:
    print("| records | shards x nlist | build s | codes MB | RSS MB | searches/s | recall@10 "
          "| exact top-10 in 100 | mate in 10 | mate in 100 | exact: mate in 10 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)


def print_biometric_row(r: BioRow) -> None:
    print(f"| {r.size:,} | {r.shards} x {r.nlist:,} | {r.build_s:.1f} | {r.code_mb:.0f} | "
          f"{r.rss_mb:.0f} | {r.ips:,.0f} | {r.recall10:.3f} | {r.recall_in_100:.3f} | "
          f"{r.mate_in_10:.2%} | {r.mate_in_100:.2%} | {r.exact_mate_in_10:.2%} |", flush=True)


def print_demographic_header() -> None:
    print("| records | ektp seconds | peak MB | F1 (clusters) |")
    print("|---:|---:|---:|---:|", flush=True)


def print_demographic_row(r: DemoRow) -> None:
    print(f"| {r.size:,} | {r.seconds:.1f} | {r.peak_mb:.0f} | {r.f1:.4f} |", flush=True)


def print_extrapolation(bio: list[BioRow], demo: list[DemoRow], args) -> list[tuple]:
    target, lines = args.extrapolate, []
    if len(bio) >= 2:
        sizes = [r.size for r in bio]
        build, b_build = extrapolate(sizes, [r.build_s for r in bio], target)
        codes = (args.pq_bytes + 8) * target / 2**20
        ips, b_ips = extrapolate(sizes, [r.ips for r in bio], target)
        lines += [("biometric build, one machine (s)", build, f"n^{b_build:.2f}"),
                  ("biometric codes (MB)", codes, "linear"),
                  ("biometric searches/s, one 2-core machine", ips, f"n^{b_ips:.2f}"),
                  (f"machines for {args.target_ips:,} searches/s (replicas)",
                   math.ceil(args.target_ips / ips), "each holds every shard")]
    if len(demo) >= 2:
        sizes = [r.size for r in demo]
        seconds, b_t = extrapolate(sizes, [r.seconds for r in demo], target)
        memory, b_m = extrapolate(sizes, [r.peak_mb for r in demo], target)
        lines += [("demographic scan, one machine (s)", seconds, f"n^{b_t:.2f}"),
                  ("demographic peak memory (MB)", memory, f"n^{b_m:.2f}"),
                  (f"machines for a scan within {args.scan_hours} h (ideal scaling)",
                   max(1, math.ceil(seconds / (3600 * args.scan_hours))), "Spark / Splink")]
    if lines:
        print(f"\nExtrapolated to {target:,} records (power law fitted on the sizes above):\n")
        print("| quantity | value | fitted growth |")
        print("|---|---:|---|")
        for name, value, note in lines:
            print(f"| {name} | {value:,.1f} | {note} |", flush=True)
    return lines


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--demographic-sizes", type=int, nargs="*", default=[100_000, 300_000])
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--pq-bytes", type=int, default=32)
    parser.add_argument("--nlist-factor", type=float, default=2.0)
    parser.add_argument("--nprobe", type=int, default=32)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--train", type=int, default=100_000)
    parser.add_argument("--extrapolate", type=int, default=10_000_000)
    parser.add_argument("--target-ips", type=int, default=2_000)
    parser.add_argument("--scan-hours", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=5)
    return parser.parse_args(argv)


def main(argv=None) -> tuple[list[BioRow], list[DemoRow], list[tuple]]:
    args = parse_args(argv)
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"load average {load}; pq {args.pq_bytes} bytes, nprobe {args.nprobe}, "
          f"{args.queries} mated queries\n", flush=True)
    bio, demo = [], []
    if args.sizes:
        print_biometric_header()
    for size in args.sizes:
        bio.append(run_biometric(size, args))
        print_biometric_row(bio[-1])
    if args.demographic_sizes:
        print()
        print_demographic_header()
        with tempfile.TemporaryDirectory() as tmp:
            for size in args.demographic_sizes:
                demo.append(run_demographic(size, seed=7, workdir=Path(tmp)))
                print_demographic_row(demo[-1])
    return bio, demo, print_extrapolation(bio, demo, args)


if __name__ == "__main__":
    main()
