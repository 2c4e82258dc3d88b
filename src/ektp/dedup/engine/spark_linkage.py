"""Demographic bulk scan past one machine: Splink's Spark backend, configured like ektp's engine.

ektp's own engine (demographic.py) runs in one process. For a register that outgrows one
machine, the same linkage runs on Spark through Splink 5 (the library made for this): Spark
spreads blocking, comparison and EM over a cluster, and the same code runs in `local[N]` mode
here. The records go through ektp's field preparation first (`demographic_fields.prepare`:
names normalised by names.py with titles removed and Muhammad/Siti/Nur/Abdul variants unified,
a phonetic key for old spellings, the birth date and sex hidden in the NIK, KK digits, the
mother's name as a phonetic key, the address within its village), so Splink sees the same
cleaned fields ektp compares. The Splink model mirrors ektp's comparisons as closely as Splink's
level-based model allows:

* name: exact / same phonetic key / Jaro-Winkler >= 0.92 on the phonetic key / two parts in
  common / one part in common / else (term-frequency adjusted on the phonetic key);
* birth date: exact / one record's date equals the date in the other's NIK / day-month swap /
  one edit / two of year, month, day equal / else;
* sex, NIK (exact only: a one-edit level, which ektp has, makes everyone born on the same day
  in a neighbouring kecamatan look alike, because the NIK encodes kecamatan and date, and
  Splink's independence assumption cannot correct for that), birth place (exact key /
  Jaro-Winkler >= 0.9);
* family, one comparison: same KK / same mother and address / same mother and village / same
  mother / same address / same village / else (ektp has 16 levels: mother x address + KK).

Blocking follows ektp's main passes: birth date + sex, phonetic name + birth year, NIK, the
NIK's date against the recorded date, phonetic name + kecamatan, mother + birth year. Training
as in bench/dedup/register.py: prior from deterministic rules, u by random sampling, EM on two
block types. What Splink does not have, ektp keeps: per-value frequency on every level, the
cluster constraints (no two NIK-distinct twins merged), the second date check against the NIK.

`backend="duckdb"` runs the identical model on DuckDB (one machine), for comparison. `train`
returns the fitted parameters as plain numbers, so a model fitted on one backend (or on a
sample, as Splink advises for large registers) scores the whole register on another with
`predict`.
"""

import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ektp.dedup.engine.demographic_fields import prepare
from ektp.dedup.engine.names import normalise_name

JAVA_HINT = ("Spark needs a Java runtime (17 or later): apt-get install openjdk-17-jre-headless "
             "(Debian 12), or set JAVA_HOME")


@dataclass(frozen=True)
class SplinkRunConfig:
    threshold: float = 0.5          # match probability at which a pair is a duplicate
    u_max_pairs: float = 2e6        # random pairs for the u estimate
    prior_recall: float = 0.7       # assumed recall of the deterministic rules (prior)
    em_iterations: int = 8          # each EM iteration is a few Spark jobs; on small registers
    # more iterations drive the m of rare levels towards 0, which Splink refuses (< 1e-300)
    seed: int = 1


def java_version() -> str | None:
    """The `java -version` banner's first line, or None when no Java runtime is installed."""
    java = (os.path.join(os.environ["JAVA_HOME"], "bin", "java")
            if os.environ.get("JAVA_HOME") else shutil.which("java"))
    if not java or not os.path.exists(java):
        return None
    done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    lines = (done.stderr or done.stdout).splitlines()
    return lines[0] if done.returncode == 0 and lines else None


def local_spark(cores: int = 2, memory: str = "2g", workdir: str | None = None):
    """A Spark session in local mode with Splink's similarity UDF jar, small shuffles (the
    default 200 partitions cost seconds per stage on small data) and scratch space in
    `workdir`. On a cluster, build the session from the cluster's config instead and add the
    same jar (`splink.backends.spark.similarity_jar_location()`)."""
    if java_version() is None:
        raise RuntimeError(JAVA_HINT)
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    workdir = workdir or tempfile.mkdtemp(prefix="ektp-spark-")
    spark = (SparkSession.builder.master(f"local[{cores}]").appName("ektp-dedup")
             .config("spark.jars", similarity_jar_location())
             .config("spark.driver.memory", memory)
             .config("spark.sql.shuffle.partitions", str(cores))
             .config("spark.default.parallelism", str(cores))
             .config("spark.sql.adaptive.enabled", "true")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.warehouse.dir", os.path.join(workdir, "warehouse"))
             .config("spark.local.dir", os.path.join(workdir, "local"))
             .config("spark.driver.extraJavaOptions", f"-Djava.io.tmpdir={workdir}")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    logging.getLogger("py4j").setLevel(logging.WARNING)  # its INFO on close outlives pytest's log
    spark.sparkContext.setCheckpointDir(os.path.join(workdir, "checkpoints"))
    return spark


# --- Input: ektp's prepared fields as Splink columns ----------------------------------------

def _iso(dates: np.ndarray) -> np.ndarray:
    text = pd.Series(dates).map(lambda d: f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}")
    return np.where(dates > 0, text.to_numpy(), None)


def _text(values: np.ndarray) -> np.ndarray:
    return np.array([v if v else None for v in values], dtype=object)


def splink_input(records) -> pd.DataFrame:
    """One row per record with ektp's normalised fields (strings, None when missing)."""
    p = prepare(records)
    frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records))
    names = pd.Series(frame["name"].to_numpy()).fillna("").astype(str)
    uniques = {v: normalise_name(v).name for v in names.unique()}
    phonetic = _text(p["name_sorted"])
    village = p["village"]
    return pd.DataFrame({
        "unique_id": p.record_id,
        "name": _text(names.map(uniques).to_numpy()),
        "name_phonetic": phonetic,
        "name_parts": [v.split() if v else None for v in phonetic],
        "birth_date": _iso(p["dob"]),
        "birth_year": np.where(p["dob"] > 0, (p["dob"] // 10000).astype(str), None),
        "nik_date": _iso(p["nik_dob"]),
        "sex": np.where(p["sex"] > 0, p["sex"].astype(str), None),
        "nik": _text(p["nik"]),
        "kk": np.where(p["kk_code"] >= 0, p["kk_code"].astype(str), None),
        "mother": _text(p["mother"]),
        "village": np.where(village >= 0, village.astype(str), None),
        "kecamatan": np.where(p["kecamatan"] >= 0, p["kecamatan"].astype(str), None),
        "address": np.where(p["address_code"] >= 0, p["address_code"].astype(str), None),
        "birth_place": _text(p["bplace"]),
    })


# --- The model -----------------------------------------------------------------------------

_SWAP = ("substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2) and "
         "substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2) and "
         "substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4)")
_TWO_OF_THREE = ("(case when substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4) then 1 "
                 "else 0 end + case when substr(birth_date_l, 6, 2) = substr(birth_date_r, 6, 2) "
                 "then 1 else 0 end + case when substr(birth_date_l, 9, 2) = "
                 "substr(birth_date_r, 9, 2) then 1 else 0 end) >= 2")
_NIK_DATE = "(birth_date_l = nik_date_r or nik_date_l = birth_date_r)"


def _comparisons():
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    name = cl.CustomComparison(output_column_name="name", comparison_levels=[
        cll.NullLevel("name_phonetic"),
        cll.ExactMatchLevel("name"),
        cll.ExactMatchLevel("name_phonetic").configure(tf_adjustment_column="name_phonetic"),
        cll.JaroWinklerLevel("name_phonetic", 0.92),
        cll.ArrayIntersectLevel("name_parts", 2),
        cll.ArrayIntersectLevel("name_parts", 1),
        cll.ElseLevel(),
    ])
    birth = cl.CustomComparison(output_column_name="birth_date", comparison_levels=[
        cll.NullLevel("birth_date"),
        cll.ExactMatchLevel("birth_date"),
        cll.CustomLevel(_NIK_DATE, "date in the other's NIK", "spark"),
        cll.CustomLevel(_SWAP, "day and month swapped", "spark"),
        cll.DamerauLevenshteinLevel("birth_date", 1),
        cll.CustomLevel(_TWO_OF_THREE, "two of year, month, day", "spark"),
        cll.ElseLevel(),
    ])
    family = cl.CustomComparison(output_column_name="family", comparison_levels=[
        cll.And(cll.NullLevel("kk"), cll.NullLevel("mother"), cll.NullLevel("village")),
        cll.ExactMatchLevel("kk"),
        cll.And(cll.ExactMatchLevel("mother"), cll.ExactMatchLevel("address")),
        cll.And(cll.ExactMatchLevel("mother"), cll.ExactMatchLevel("village")),
        cll.ExactMatchLevel("mother"),
        cll.ExactMatchLevel("address"),
        cll.ExactMatchLevel("village"),
        cll.ElseLevel(),
    ])
    return [name, birth, cl.ExactMatch("sex"),
            cl.ExactMatch("nik"), family,
            cl.JaroWinklerAtThresholds("birth_place", [0.9])]


def blocking_rules():
    from splink import block_on

    return [block_on("birth_date", "sex"), block_on("name_phonetic", "birth_year"),
            block_on("nik"), "l.nik_date = r.birth_date", block_on("name_phonetic", "kecamatan"),
            block_on("mother", "birth_year")]


def settings(config: "SplinkRunConfig | None" = None, model: dict | None = None):
    """Splink settings for the model above; with `model` (from `train`), its trained m and u
    probabilities and prior, so that another backend can score without training again."""
    from splink import SettingsCreator

    config = config or SplinkRunConfig()
    comparisons = _comparisons()
    if model is not None:
        comparisons = [c.configure(m_probabilities=model["m"][name],
                                   u_probabilities=model["u"][name])
                       for c, name in zip(comparisons, COMPARISONS, strict=True)]
    return SettingsCreator(
        link_type="dedupe_only", blocking_rules_to_generate_predictions=blocking_rules(),
        comparisons=comparisons, max_iterations=config.em_iterations,
        probability_two_random_records_match=(model or {}).get("prior", 0.0001))


COMPARISONS = ("name", "birth_date", "sex", "nik", "family", "birth_place")


def _db_api(backend: str, spark, break_lineage: str):
    if backend == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI()
    if backend == "spark":
        if spark is None:
            raise ValueError("backend 'spark' needs a spark session (see local_spark())")
        from splink.backends.spark import SparkAPI

        return SparkAPI(spark_session=spark, break_lineage_method=break_lineage)
    raise ValueError(f"unknown backend {backend!r}: 'duckdb' or 'spark'")


def train(records, backend: str = "spark", spark=None, config: SplinkRunConfig | None = None,
          break_lineage: str = "persist") -> dict:
    """Fit the model on `records`: prior from deterministic rules, u by random sampling, m by
    EM on birth-date blocks and on name + mother blocks. Returns {"prior", "m", "u"} (plain
    floats per comparison level, null levels excluded), usable on any backend."""
    from splink import Linker, block_on

    config = config or SplinkRunConfig()
    api = _db_api(backend, spark, break_lineage)
    linker = Linker(api.register(splink_input(records)), settings(config))
    _quiet()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nik"), block_on("name_phonetic", "birth_date")], recall=config.prior_recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=config.u_max_pairs,
                                                     seed=config.seed)
    for rule in (block_on("birth_date"), block_on("name_phonetic", "mother")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True)
    return _model(linker.misc.save_model_to_json())


def _quiet() -> None:
    """Splink logs every training step at INFO (its Linker sets that up); keep errors only."""
    for name in ("splink", *[n for n in logging.root.manager.loggerDict if n.startswith("splink")]):
        logging.getLogger(name).setLevel(logging.ERROR)


def _model(saved: dict) -> dict:
    model: dict = {"prior": saved["probability_two_random_records_match"], "m": {}, "u": {}}
    for comparison in saved["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        name = comparison["output_column_name"]
        model["m"][name] = [lv.get("m_probability") for lv in levels]
        model["u"][name] = [lv.get("u_probability") for lv in levels]
    return model


def predict(records, model: dict, backend: str = "spark", spark=None,
            threshold: float = 0.5, break_lineage: str = "persist") -> pd.DataFrame:
    """Score every blocked pair with a trained model. Returns the pairs at or above
    `threshold`: record_id_a < record_id_b, match_probability."""
    from splink import Linker

    api = _db_api(backend, spark, break_lineage)
    linker = Linker(api.register(splink_input(records)), settings(model=model))
    _quiet()
    predicted = linker.inference.predict(threshold_match_probability=threshold)
    pairs = predicted.as_pandas_dataframe()[["unique_id_l", "unique_id_r", "match_probability"]]
    a, b = pairs.unique_id_l.to_numpy(), pairs.unique_id_r.to_numpy()
    return pd.DataFrame({"record_id_a": np.minimum(a, b), "record_id_b": np.maximum(a, b),
                         "match_probability": pairs.match_probability.to_numpy()})


def link(records, backend: str = "spark", spark=None, config: SplinkRunConfig | None = None,
         break_lineage: str = "persist") -> pd.DataFrame:
    """Train and predict on one backend (see `train` and `predict`)."""
    config = config or SplinkRunConfig()
    model = train(records, backend, spark, config, break_lineage)
    return predict(records, model, backend, spark, config.threshold, break_lineage)
