"""Biometric 1:N identification: ektp's pipeline against plain FAISS exact search, same data.

    .venv/bin/python bench/dedup/biometric.py                      # quick: 100k gallery
    .venv/bin/python bench/dedup/biometric.py --gallery 1000000 --probes 20000

The gallery and the probes come from `ektp.dedup.engine.synthetic` (model in its docstring and
in bench/dedup/README.md). Reported, with the gallery size and the numbers of searches:
identifications per second (batched, and one probe at a time), the mate-found rate, and open-set
accuracy (ISO/IEC 19795-1): FNIR at FPIR 0.1% and 0.3% for the face alone, the fingers alone and
fused, thresholds set on the non-mated searches, 95% Wilson intervals.
"""

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from ektp.dedup.engine.biometric_search import (
    CONCATENATED,
    FINGERS,
    MANIFEST,
    PER_POSITION,
    BiometricSearch,
    ModalitySpec,
    SearchConfig,
)
from ektp.dedup.engine.fusion import fnir_at, fpir_at, threshold_for_fpir, wilson_interval
from ektp.dedup.engine.synthetic import (
    FACE,
    PopulationModel,
    SyntheticPopulation,
    isotropic_modalities,
)
from ektp.dedup.engine.vector_index import ALL_CORES, IndexPolicy, faiss_threads

FPIRS = (0.001, 0.003)
DET_FPIRS = (0.0003, 0.001, 0.003, 0.01, 0.03)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gallery", type=int, default=100_000, help="enrolled people")
    p.add_argument("--probes", type=int, default=5_000, help="mated and as many non-mated")
    p.add_argument("--calibration-probes", type=int, default=None,
                   help="mated + non-mated searches the LLRs are fitted on (default: probes/2)")
    p.add_argument("--peer-probes", type=int, default=4_096,
                   help="probes timed through plain FAISS exact search (it is the slow one)")
    p.add_argument("--k", type=int, default=10, help="candidates from each source")
    p.add_argument("--finger-layout", choices=[PER_POSITION, CONCATENATED], default=PER_POSITION)
    p.add_argument("--hnsw-from", type=int, default=IndexPolicy.hnsw_from)
    p.add_argument("--hnsw-m", type=int, default=IndexPolicy.hnsw_m)
    p.add_argument("--ef-construction", type=int, default=IndexPolicy.ef_construction)
    p.add_argument("--ef-search", type=int, default=IndexPolicy.ef_search)
    p.add_argument("--ivf-from", type=int, default=None, help="IVF instead of HNSW from this size")
    p.add_argument("--ivf-nprobe", type=int, default=IndexPolicy.ivf_nprobe)
    p.add_argument("--isotropic", action="store_true",
                   help="identities uniform on the sphere: the worst case for the ANN index")
    p.add_argument("--latency-probes", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache", type=Path, default=None,
                   help="keep the built gallery here (saved with BiometricSearch.save) and load "
                        "it on the next run with the same settings")
    return p.parse_args(argv)


@dataclass
class Clock:
    seconds: float = 0.0

    def __enter__(self) -> "Clock":
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


def build(args: argparse.Namespace) -> tuple[SyntheticPopulation, BiometricSearch, dict]:
    model = PopulationModel(modalities=isotropic_modalities()) if args.isotropic else None
    population = SyntheticPopulation(args.gallery, model, seed=args.seed)
    cached = cache_dir(args)
    if cached is not None and (cached / MANIFEST).exists():
        with Clock() as load:
            search = BiometricSearch.load(cached)
        return population, search, {"load_s": load.seconds}
    search, timings = build_search(population, args)
    if cached is not None:
        with Clock() as save:
            search.save(cached)
        timings["save_s"] = save.seconds
    return population, search, timings


def cache_dir(args: argparse.Namespace) -> Path | None:
    """One directory per gallery and index settings (the population is deterministic)."""
    if args.cache is None:
        return None
    keys = ("gallery", "seed", "isotropic", "finger_layout", "hnsw_from", "hnsw_m",
            "ef_construction", "ivf_from")
    return args.cache / "-".join(str(getattr(args, key)) for key in keys)


def build_search(population: SyntheticPopulation,
                 args: argparse.Namespace) -> tuple[BiometricSearch, dict]:
    _, first = next(population.gallery(0, min(args.gallery, 20_000)))
    specs = [ModalitySpec(name, first[name].shape[1],
                          np.nanmean(first[name], axis=0) if name == FACE else None,
                          is_finger=name != FACE) for name in population.modalities]
    policy = IndexPolicy(hnsw_from=args.hnsw_from, hnsw_m=args.hnsw_m,
                         ef_construction=args.ef_construction, ef_search=args.ef_search,
                         ivf_from=args.ivf_from, ivf_nprobe=args.ivf_nprobe)
    search = BiometricSearch(specs, SearchConfig(args.k, args.finger_layout, policy))
    with Clock() as enrol:
        for ids, templates in population.gallery():
            search.enrol(ids, templates)
    with Clock() as index:
        search.reindex()
    return search, {"enrol_s": enrol.seconds, "index_s": index.seconds}


def probes(population: SyntheticPopulation, count: int, stream: int) -> dict:
    mates, mated = population.mated_probes(count, stream)
    relative, nonmated = population.nonmated_probes(count, stream)
    return {"mates": mates, "mated": mated, "relative": relative, "nonmated": nonmated}


def both(templates_a: dict, templates_b: dict) -> dict:
    return {name: np.vstack([templates_a[name], templates_b[name]]) for name in templates_a}


def throughput(search: BiometricSearch, batch: dict, latency_probes: int) -> dict:
    """Batched identifications per second, and one-probe-at-a-time latency (1 thread)."""
    n = len(next(iter(batch.values())))
    with Clock() as clock:
        result = search.identify(batch)
    singles = []
    for i in range(min(latency_probes, n)):
        with Clock() as one:
            search.identify({name: t[i:i + 1] for name, t in batch.items()})
        singles.append(one.seconds)
    return {"per_s": n / clock.seconds, "latency_ms": 1000 * float(np.median(singles)),
            "latency_p95_ms": 1000 * float(np.quantile(singles, 0.95)), "result": result}


def exact_peer(search: BiometricSearch, batch: dict, sources: list[str], k: int) -> dict:
    """Plain FAISS exact search (the BLAS kernel of IndexFlatIP) over the same stored vectors,
    batched on all cores: top-k of each source, ids only, nothing fused."""
    found = []
    with Clock() as clock, faiss_threads(ALL_CORES):
        for name in sources:
            index = search.source(name)
            if name == FINGERS:
                queries = search.concatenate_fingers(batch)[0]
            else:
                queries = index.prepare(np.nan_to_num(batch[name]))
            _, rows = faiss.knn(queries, index.vectors(), k, metric=faiss.METRIC_INNER_PRODUCT)
            found.append(index.ids()[rows])
    n = len(next(iter(batch.values())))
    return {"per_s": n / clock.seconds, "ids": np.hstack(found)}


def accuracy(search: BiometricSearch, data: dict, sources: list[str],
             modalities: list[str]) -> dict:
    mated = search.identify(data["mated"], sources, modalities)
    nonmated = search.identify(data["nonmated"], sources, modalities)
    mate_scores = mated.fused_of(data["mates"])
    rank = mated.rank_of(data["mates"])
    tops = nonmated.top()
    row = {"mated": len(rank), "nonmated": len(tops), "found": float(np.mean(rank >= 0)),
           "rank1": float(np.mean(rank == 0)), "det": {}}
    for fpir in sorted(set(FPIRS) | set(DET_FPIRS)):
        t = threshold_for_fpir(tops, fpir)
        misses = int(round(fnir_at(mate_scores, t) * len(rank)))
        row["det"][fpir] = {"threshold": t, "fnir": misses / len(rank),
                            "fnir_ci": wilson_interval(misses, len(rank)),
                            "fpir": fpir_at(tops, t),
                            "fp_events": int(round(fpir_at(tops, t) * len(tops)))}
    return row


def accuracy_rows(search: BiometricSearch, data: dict) -> dict:
    fingers = search.fingers
    finger_sources = [s for s in search.sources if s == FINGERS or s in fingers]
    return {
        "face alone": accuracy(search, data, [FACE], [FACE]),
        "fingers alone": accuracy(search, data, finger_sources, fingers),
        "fused": accuracy(search, data, search.sources, list(search.indexes)),
    }


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    load_before = os.getloadavg()[0]
    population, search, timings = build(args)
    search.tune(k=args.k, ef_search=args.ef_search, ivf_nprobe=args.ivf_nprobe)
    calibration = probes(population, args.calibration_probes or max(500, args.probes // 2), 1)
    search.calibrate(calibration["mated"], calibration["mates"], calibration["nonmated"])
    data = probes(population, args.probes, 0)
    batch = both(data["mated"], data["nonmated"])
    ektp = throughput(search, batch, args.latency_probes)
    peer_batch = {name: t[: args.peer_probes] for name, t in data["mated"].items()}
    peer_face = exact_peer(search, peer_batch, [FACE], args.k)
    peer_all = exact_peer(search, peer_batch, search.sources, args.k)
    mates = data["mates"][: args.peer_probes]
    results = {
        "args": vars(args), "timings": timings,
        "kinds": {name: search.source(name).kind for name in search.sources},
        "policy": search.source(FACE).policy,
        "recall": recall_reports(search, data),
        "speed": {"ektp": ektp, "faiss_exact_face": peer_face, "faiss_exact_all": peer_all},
        "exact_found": float(np.mean((peer_all["ids"] == mates[:, None]).any(1))),
        "ektp_found_same_probes": float(np.mean(
            (ektp["result"].ids[: len(mates)] == mates[:, None]).any(1))),
        "accuracy": accuracy_rows(search, data),
        "load_average": (load_before, os.getloadavg()[0]),  # other users share these cores
    }
    print_report(results)
    return results


def recall_reports(search: BiometricSearch, data: dict) -> dict:
    """Each approximate source against exact search, on 1,000 mated probes (top-10)."""
    sample = {name: t[:1000] for name, t in data["mated"].items()}
    reports = {}
    for name in search.sources:
        index = search.source(name)
        if index.kind == "flat":
            continue
        queries = search.concatenate_fingers(sample)[0] if name == FINGERS else sample[name]
        reports[name] = index.measure_recall(queries[np.isfinite(queries).all(1)], k=10)
    return reports


def print_report(r: dict) -> None:
    a, speed = r["args"], r["speed"]
    model = "isotropic identities" if a["isotropic"] else "manifold identities (intrinsic dim 16)"
    print(f"\n## Biometric 1:N: gallery {a['gallery']:,} (face 128-d + 2 fingers 128-d), "
          f"{model}, {ALL_CORES} cores, load average {r['load_average'][0]:.1f} at the start and "
          f"{r['load_average'][1]:.1f} at the end")
    print(", ".join(f"{key[:-2]} {value:.0f} s" for key, value in r["timings"].items())
          + "; sources: " + ", ".join(f"{n}={k}" for n, k in r["kinds"].items())
          + f"; k={a['k']} per source; HNSW M={r['policy'].hnsw_m} "
          f"efC={r['policy'].ef_construction} ef={r['policy'].ef_search}; "
          f"IVF nprobe={r['policy'].ivf_nprobe}")
    for name, rep in r["recall"].items():
        print(f"recall vs exact ({name}, {rep.queries} mated probes): recall@{rep.k} "
              f"{rep.recall_at_k:.4f}, top-1 agreement {rep.top1_agreement:.4f}")
    print("\n| pipeline | identifications/s (batched) | 1 probe, median / p95 ms |")
    print("|---|---:|---:|")
    e = speed["ektp"]
    print(f"| ektp (candidates + exact scores + fusion) | {e['per_s']:,.0f} | "
          f"{e['latency_ms']:.1f} / {e['latency_p95_ms']:.1f} |")
    print(f"| FAISS exact, face only (top-{a['k']}, no fusion) | "
          f"{speed['faiss_exact_face']['per_s']:,.0f} | |")
    print(f"| FAISS exact, face + fingers (top-{a['k']} each, no fusion) | "
          f"{speed['faiss_exact_all']['per_s']:,.0f} | |")
    print(f"\nmate within candidates on the {min(a['peer_probes'], a['probes']):,} peer probes: "
          f"exact search {r['exact_found']:.4%}, ektp {r['ektp_found_same_probes']:.4%}")
    print_accuracy(r["accuracy"])


def print_accuracy(rows: dict) -> None:
    print("\n| modality | mated / non-mated | mate found | rank 1 | "
          + " | ".join(f"FNIR @ FPIR {f:.1%} [95% CI] (FP events)" for f in FPIRS) + " |")
    print("|---|---|---:|---:|" + "---:|" * len(FPIRS))
    for label, row in rows.items():
        cells = [f"{row['det'][f]['fnir']:.2%} [{row['det'][f]['fnir_ci'][0]:.2%}, "
                 f"{row['det'][f]['fnir_ci'][1]:.2%}] ({row['det'][f]['fp_events']})"
                 for f in FPIRS]
        print(f"| {label} | {row['mated']:,} / {row['nonmated']:,} | {row['found']:.3%} | "
              f"{row['rank1']:.3%} | " + " | ".join(cells) + " |")
    print("\nDET (FNIR at FPIR): " + "; ".join(
        f"{label}: " + ", ".join(f"{f:.2%}->{row['det'][f]['fnir']:.2%}" for f in DET_FPIRS)
        for label, row in rows.items()))


if __name__ == "__main__":
    main()
