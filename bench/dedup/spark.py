"""Scale-out of the demographic scan: Splink on DuckDB vs Splink on Spark vs ektp, same register.

    nice -n 10 .venv/bin/python bench/dedup/spark.py --sizes 100000
    nice -n 10 .venv/bin/python bench/dedup/spark.py --sizes 20000 --cores 2 --tools spark-score

The register comes from ektp.dedup.engine.register_synth (seed 7, as bench/dedup/register.py).
Splink runs the model of ektp.dedup.engine.spark_linkage (ektp's normalised fields and
comparisons, as close as Splink's model allows) on two backends:
  splink-duckdb   train and predict on DuckDB (one machine, in process);
  splink-spark    train and predict on Spark in local mode (`local[--cores]`);
  spark-score     train on DuckDB, predict on Spark (the scale-out path for a register too big
                  for one machine: fit on a sample, score everywhere);
  ektp            ektp's own engine (demographic.py), at its default threshold, its clusters.
Each tool runs in its own process on the same parquet file; time is wall time from the loaded
DataFrame to predicted pairs, the Spark session's start-up excluded and shown apart; peak MB is
the Python process's maximum resident set (Spark's JVM is a separate process, its heap set by
--spark-memory).
"""

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

warnings.filterwarnings("ignore")
sys.path.insert(0, str(Path(__file__).parent))

import register as register_bench  # noqa: E402  (bench/dedup/register.py)

TOOLS = ("ektp", "splink-duckdb", "splink-spark", "spark-score")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pairs(frame: pd.DataFrame):
    return frame[["record_id_a", "record_id_b"]].to_numpy()


def _run(tool: str, path: str, cores: int, memory: str, u_max_pairs: float) -> dict:
    from ektp.dedup.engine import spark_linkage as sl

    if tool == "ektp":
        result = register_bench._ektp(path)
        return {"pairs": result["ektp (clusters)"], "seconds": result["seconds"],
                "startup": 0.0, "peak_mb": result["peak_mb"]}
    records = pd.read_parquet(path)
    config = sl.SplinkRunConfig(u_max_pairs=u_max_pairs)
    startup, spark = 0.0, None
    if tool in ("splink-spark", "spark-score"):
        start = time.perf_counter()
        spark = sl.local_spark(cores=cores, memory=memory)
        startup = time.perf_counter() - start
    start = time.perf_counter()
    if tool == "splink-duckdb":
        pairs = sl.link(records, "duckdb", config=config)
    elif tool == "splink-spark":
        pairs = sl.link(records, "spark", spark, config=config)
    else:
        model = sl.train(records, "duckdb", config=config)
        pairs = sl.predict(records, model, "spark", spark, threshold=config.threshold)
    seconds = time.perf_counter() - start
    if spark is not None:
        spark.stop()
    return {"pairs": _pairs(pairs), "seconds": seconds, "startup": startup,
            "peak_mb": _peak_mb()}


def run_size(n: int, args, workdir: Path) -> list[tuple]:
    from ektp.dedup.engine.register_synth import generate_register

    register = generate_register(n, seed=args.seed)
    path = workdir / f"register_{n}.parquet"
    register.records.drop(columns=["person_id"]).to_parquet(path)
    truth = {(min(a, b), max(a, b)) for a, b in register.true_pairs}
    rows = []
    for tool in args.tools:
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            result = pool.apply(_run, (tool, str(path), args.cores, args.spark_memory,
                                       args.u_max_pairs))
        rows.append((len(register.records), tool,
                     *register_bench._metrics(result["pairs"], truth),
                     result["seconds"], result["startup"], result["peak_mb"]))
        print_row(rows[-1])
    return rows


def print_header() -> None:
    print("| records | tool | precision | recall | F1 | time (s) | Spark start-up (s) "
          "| peak MB (Python) |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|", flush=True)


def print_row(row: tuple) -> None:
    n, tool, precision, recall, f1, seconds, startup, peak = row
    print(f"| {n:,} | {tool} | {precision:.4f} | {recall:.4f} | {f1:.4f} | {seconds:.1f} | "
          f"{startup:.1f} | {peak:.0f} |", flush=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--cores", type=int, default=2, help="Spark local[N]")
    parser.add_argument("--spark-memory", default="4g")
    parser.add_argument("--u-max-pairs", type=float, default=2e6)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def main(argv=None) -> list[tuple]:
    args = parse_args(argv)
    from ektp.dedup.engine.spark_linkage import java_version

    print(f"Java: {java_version() or 'missing'}; load average "
          f"{Path('/proc/loadavg').read_text().split()[0]}\n")
    print_header()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            rows += run_size(n, args, Path(tmp))
    return rows


if __name__ == "__main__":
    main()
