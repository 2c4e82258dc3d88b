"""A synthetic Indonesian register (families, twins, ~2% repeat registrations): ektp vs Splink.

    .venv/bin/python bench/dedup/register.py --sizes 100000 1000000 [--tools ektp splink]

The register comes from ektp.dedup.engine.register_synth (its docstring states the model).
Each tool runs in its own process on the same file, so time and peak memory are its own:
time is wall time from the loaded DataFrame to predicted pairs, peak memory is the process's
maximum resident set size (the loaded input included). ektp runs at its default threshold and
is scored on its pairs and on its clusters; Splink 5.0 (DuckDB) is configured sensibly for the
fields: the same names normalised by ektp's names.py, a NameComparison with term-frequency
adjustment, DateOfBirthComparison, sex, NIK, birth place, and KK + mother's name + address as
ONE custom "family" comparison; prior from deterministic rules, u by random sampling, EM on
birth-date and on name + mother's-name blocks; pairs at match probability >= 0.5.
"""

import argparse
import logging
import multiprocessing
import resource
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ektp(path: str) -> dict:
    from ektp.dedup.engine.demographic import DemographicEngine, cluster_pairs

    frame = pd.read_parquet(path)
    start = time.perf_counter()
    result = DemographicEngine().run(frame)
    seconds = time.perf_counter() - start
    matched = result.pairs[result.pairs.is_match]
    ids = result.clusters.record_id.to_numpy()
    labels = pd.factorize(result.clusters.cluster_id)[0]
    clustered = np.array([(ids[a], ids[b]) for a, b in cluster_pairs(labels)]).reshape(-1, 2)
    pairs = matched[["record_id_a", "record_id_b"]].to_numpy()
    return {"ektp (pairs >= 0.5)": pairs, "ektp (clusters)": clustered,
            "seconds": seconds, "peak_mb": _peak_mb()}


def _splink_input(frame: pd.DataFrame) -> pd.DataFrame:
    from ektp.dedup.engine.demographic_fields import _normalise_address
    from ektp.dedup.engine.names import normalise_birth_place, normalise_name

    def clean(values, func):
        uniques = {v: func(v) for v in pd.unique(values.fillna(""))}
        return values.fillna("").map(uniques).replace("", None)

    return pd.DataFrame({
        "unique_id": frame.record_id,
        "name": clean(frame.name, lambda v: normalise_name(v).name),
        "birth_date": frame.birth_date,
        "birth_year": frame.birth_date.str.slice(0, 4),
        "sex": frame.sex, "nik": frame.nik, "kk": frame.kk,
        "mother_name": clean(frame.mother_name, lambda v: normalise_name(v).name),
        "address": clean(frame.address, _normalise_address).radd(frame.village_code + " "),
        "birth_place": clean(frame.birth_place, normalise_birth_place),
    })


def _splink_settings():
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    family = cl.CustomComparison(
        output_column_name="family",
        comparison_levels=[
            cll.And(cll.NullLevel("kk"), cll.NullLevel("mother_name"), cll.NullLevel("address")),
            cll.ExactMatchLevel("kk"),
            cll.And(cll.JaroWinklerLevel("mother_name", 0.9),
                    cll.JaroWinklerLevel("address", 0.88)),
            cll.JaroWinklerLevel("mother_name", 0.9),
            cll.JaroWinklerLevel("address", 0.88),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("birth_date", "sex"), block_on("name", "birth_year"), block_on("nik"),
            block_on("mother_name", "birth_year"),
        ],
        comparisons=[
            cl.NameComparison("name").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("birth_date", input_is_string=True,
                                     datetime_format="%Y-%m-%d"),
            cl.ExactMatch("sex"), cl.ExactMatch("nik"), family, cl.ExactMatch("birth_place"),
        ],
    )


def _splink(path: str) -> dict:
    from splink import DuckDBAPI, Linker, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    frame = pd.read_parquet(path)
    start = time.perf_counter()
    linker = Linker(DuckDBAPI().register(_splink_input(frame)), _splink_settings())
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nik"), block_on("name", "birth_date")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    # EM on pairs with the same birth date, then on pairs with the same name and mother's name
    # (blocking on the name alone is billions of pairs at 1 M: common names).
    for rule in (block_on("birth_date"), block_on("name", "mother_name")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True)
    predicted = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    seconds = time.perf_counter() - start
    pairs = predicted[["unique_id_l", "unique_id_r"]].to_numpy()
    return {"splink (p >= 0.5)": pairs, "seconds": seconds, "peak_mb": _peak_mb()}


def _in_child(func, path: str) -> dict:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(func, (path,))


def _metrics(pairs: np.ndarray, truth: set) -> tuple[float, float, float]:
    predicted = {(min(a, b), max(a, b)) for a, b in pairs.tolist()}
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth) if truth else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall) if tp else 0.0)


def run_size(n: int, seed: int, tools: list, workdir: Path) -> list[tuple]:
    """Print (and return) one row per tool output: records, tool, precision, recall, F1,
    seconds, peak MB."""
    from ektp.dedup.engine.register_synth import generate_register

    register = generate_register(n, seed=seed)
    path = workdir / f"register_{n}.parquet"
    register.records.drop(columns=["person_id"]).to_parquet(path)
    truth = {(min(a, b), max(a, b)) for a, b in register.true_pairs}
    rows = []
    for func in tools:
        result = _in_child(func, str(path))
        for tool, pairs in result.items():
            if tool not in ("seconds", "peak_mb"):
                rows.append((len(register.records), tool, *_metrics(pairs, truth),
                             result["seconds"], result["peak_mb"]))
                _print_row(*rows[-1])
    return rows


def _print_row(n, tool, precision, recall, f1, seconds, peak) -> None:
    print(f"| {n:9,} | {tool:19} | {precision:.4f}    | {recall:.4f} | {f1:.4f} | "
          f"{seconds:8.1f} | {peak:7.0f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tools", nargs="+", choices=["ektp", "splink"],
                        default=["ektp", "splink"])
    args = parser.parse_args()
    tools = [{"ektp": _ektp, "splink": _splink}[name] for name in args.tools]
    print(f"| {'records':>9} | {'tool':19} | precision | recall | F1     | time (s) | peak MB |")
    print(f"|{'-' * 11}|{'-' * 21}|-----------|--------|--------|----------|---------|",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            run_size(n, args.seed, tools, Path(tmp))


if __name__ == "__main__":
    main()
