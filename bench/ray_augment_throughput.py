"""Augmentation on Ray Data against datasets.map on one host: EDA, 4 copies per row, over at
least 200,000 rows (the SST-2 training file repeated), parquet in and parquet out for every
contender. datasets.map with 1 and 2 processes (``augment_dataset`` + ``to_parquet``); textaug's
Ray engine with 1 and 2 workers, each run on its own local Ray instance (its start is counted in
the engine's wall time and also shown apart). Figures: rows in per second and the ratios the
goals name; peak resident memory of the datasets run and of each Ray worker process. Two sizes by
default: a Ray job's fixed costs (starting Ray and its worker processes, reading, writing) are a
few seconds, which weigh on 200,000 rows and much less on 1,000,000. Two input layouts for Ray:
one parquet file (read by one task) and the same rows in 8 files (read in parallel); datasets.map
reads its input before its clock starts, so its figure holds for both.

    python bench/ray_augment_throughput.py [--rows 200000 1000000] [--shards 1 8] [--batch-size 1000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "eda" / "sst2" / "train.tsv"


def corpus(path: Path, rows: int):
    from datasets import Dataset

    lines = [line.split("\t", 1) for line in path.read_text(encoding="utf-8").splitlines() if "\t" in line]
    repeats = -(-rows // len(lines))
    labels, texts = zip(*(lines * repeats))
    return Dataset.from_dict({"text": list(texts[:rows]), "label": [int(x) for x in labels[:rows]]})


class WorkerMemory:
    """The largest resident set of any Ray worker process seen while sampling (every 0.2 s)."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            for proc in psutil.process_iter(["cmdline", "memory_info"]):
                line = " ".join(proc.info["cmdline"] or [])
                if line.startswith("ray::") and proc.info["memory_info"] is not None:
                    self.peak_mb = max(self.peak_mb, proc.info["memory_info"].rss / 2**20)
            time.sleep(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--rows", type=int, nargs="+", default=[200_000, 1_000_000])
    p.add_argument("--shards", type=int, nargs="+", default=[1, 8], help="input files the Ray runs read")
    p.add_argument("--batch-size", type=int, default=1000)
    args = p.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"{args.data} not found: ../shared/data/eda must be beside the checkout")
    for rows in args.rows:
        run(args.data, rows, args.shards, args.batch_size)


def run(data: Path, rows: int, shards: list[int], batch_size: int) -> None:
    from datasets import load_dataset

    from textaug import EDA, augment_dataset
    from textaug.ray_engine import augment_ray

    aug = EDA(n_aug=4, seed=0)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        source = work / "in.parquet"
        corpus(data, rows).to_parquet(source)
        ds = load_dataset("parquet", data_files=str(source), split="train", cache_dir=str(work / "cache"))
        print(f"EDA x4 over {len(ds):,} rows (SST-2 repeated), batch size {batch_size}")
        rates = {}
        for procs in (1, 2):
            began = time.perf_counter()
            out = augment_dataset(ds, aug, num_proc=procs, batch_size=batch_size, load_from_cache_file=False)
            out.to_parquet(work / f"datasets-{procs}.parquet")
            seconds = time.perf_counter() - began
            rates[f"datasets {procs}"] = len(ds) / seconds
            print(f"  datasets.map, {procs} process(es): {len(ds) / seconds:9,.0f} rows/s ({seconds:.1f} s, "
                  f"{len(out):,} rows out)")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  datasets.map peak RSS (this process): {rss:,.0f} MB")
        for n in shards:
            files = work / f"in-{n}"
            files.mkdir()
            for i in range(n):
                ds.shard(n, i, contiguous=True).to_parquet(files / f"part-{i:03d}.parquet")
            for workers in (1, 2):
                with WorkerMemory() as memory:
                    manifest = augment_ray(files, aug, work / f"ray-{n}-{workers}", workers=workers,
                                           batch_size=batch_size)
                seconds = manifest["seconds"]
                rates[f"ray {workers}"] = len(ds) / seconds
                rates[f"ray job {workers}"] = len(ds) / (seconds - manifest["seconds_connecting"])
                print(f"  ray, {n} input file(s), {workers} worker(s): {len(ds) / seconds:9,.0f} rows/s "
                      f"({seconds:.1f} s, of which {manifest['seconds_connecting']:.1f} s starting Ray; "
                      f"{manifest['rows_out']:,} rows out; peak worker RSS {memory.peak_mb:,.0f} MB)")
            print(f"  {n} input file(s): ray 2 workers / ray 1 worker: {rates['ray 2'] / rates['ray 1']:.2f}x "
                  f"(goal >= 1.6x); without starting Ray (a cluster that runs already): "
                  f"{rates['ray job 2'] / rates['ray job 1']:.2f}x")
            print(f"  {n} input file(s): ray 2 workers / datasets.map 2 processes: "
                  f"{rates['ray 2'] / rates['datasets 2']:.2f}x (goal >= 0.8x)")


if __name__ == "__main__":
    main()
