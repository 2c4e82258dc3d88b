import csv

import pytest
from django.core.management import CommandError, call_command

ROWS = [
    ("ID", "NAMA", "TGL_LAHIR", "JK", "IBU"),
    ("1", "MUHAMMAD RIZKI PRATAMA", "1990-03-12", "L", "SITI AMINAH"),
    ("2", "M. RIZKI PRATAMA", "1990-03-12", "L", "SITTI AMINAH"),
    ("3", "YOHANES NDOEN", "1985-07-01", "L", "MARIA BERE"),
    ("4", "DEWI LESTARI", "1992-11-30", "P", "NUR HAYATI"),
]
MAPPING = ["NAMA=name", "TGL_LAHIR=birth_date", "JK=sex", "IBU=mother_name"]


@pytest.fixture
def people(tmp_path):
    path = tmp_path / "people.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(ROWS)
    return path


def test_a_csv_of_people_gets_clusters_and_a_pairs_file(people, tmp_path, capsys):
    out = tmp_path / "out.csv"
    call_command("dedup", "file", str(people), "--id-column", "ID", "--out", str(out),
                 *[arg for item in MAPPING for arg in ("--map", item)], verbosity=0)
    clusters = dict(csv.reader(out.open()))
    assert clusters["1"] == clusters["2"]
    assert len({clusters["1"], clusters["3"], clusters["4"]}) == 3
    pairs = list(csv.DictReader(open(f"{out}.pairs.csv")))
    assert {(p["record_id_a"], p["record_id_b"]) for p in pairs if p["is_match"] in
            ("True", "1", "true")} == {("1", "2")}
    assert "1 pasangan duplikat" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "code"), [
    (["--map", "NAMA=nama"], "unknown_field"),
    (["--map", "NAMA"], "bad_mapping"),
    (["--id-column", "NOPE"], None),
])
def test_bad_options_are_refused_with_a_code_and_write_nothing(people, tmp_path, args, code):
    out = tmp_path / "out.csv"
    base = ["dedup", "file", str(people), "--out", str(out)]
    if "--id-column" not in args:
        base += ["--id-column", "ID"]
    with pytest.raises(CommandError) as caught:
        call_command(*base, *args, verbosity=0)
    if code:
        assert str(caught.value).startswith(code)
    assert not out.exists()


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="input_missing"):
        call_command("dedup", "file", str(tmp_path / "none.csv"), "--id-column", "ID",
                     "--out", str(tmp_path / "o.csv"), verbosity=0)
