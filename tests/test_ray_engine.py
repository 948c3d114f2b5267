"""The Ray Data engine on a real local Ray instance (in process, 2 CPUs): the same rows as
datasets.map, files in and parquet shards out, model-backed augmenters as actors, a worker killed
mid-job, and the errors that must be one line with nothing half-written."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from datasets import Dataset, concatenate_datasets, load_dataset

from textaug import EDA, Filtered, SimilarityFilter, augment_dataset, augment_ray
from textaug.augment.base import AUG_OP, AUG_SOURCE
from textaug.ray_engine import MANIFEST

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def sst2(sst2_train_path):
    """1,500 SST-2 rows, stratified (the file is sorted by label), with plain integer labels."""
    from textaug.data import read_labelled_tsv, stratified_sample

    ds = stratified_sample(read_labelled_tsv(sst2_train_path), 1500, seed=0)
    return Dataset.from_dict({"text": ds["text"], "label": ds["label"]})


def _shards(ds: Dataset, folder: Path, n: int, ext: str) -> list[Path]:
    folder.mkdir()
    size = -(-len(ds) // n)
    paths = []
    for i in range(n):
        part = ds.select(range(i * size, min(len(ds), (i + 1) * size)))
        path = folder / f"part-{i}.{ext}"
        part.to_parquet(path) if ext == "parquet" else part.to_json(path, lines=True)
        paths.append(path)
    return paths


def _rows(ds: Dataset) -> list[tuple]:
    """Rows sorted by aug_source (stable: a source's rows keep their order)."""
    columns = sorted(ds.column_names)
    rows = [tuple(r[c] for c in columns) for r in ds]
    return sorted(rows, key=lambda r: r[columns.index(AUG_SOURCE)])


def _read(folder: Path) -> Dataset:
    return load_dataset("parquet", data_files=str(folder / "data" / "*.parquet"), split="train")


@pytest.mark.parametrize("ext", ["parquet", "jsonl"])
def test_files_in_the_same_rows_as_datasets_map(sst2, tmp_path, ext):
    files = _shards(sst2, tmp_path / "in", 3, ext)
    aug = EDA(n_aug=4, alpha_sr=0.1, alpha_ri=0.1, alpha_rs=0.1, p_rd=0.1, seed=3)
    manifest = augment_ray(str(tmp_path / "in"), aug, tmp_path / "out", batch_size=128)
    expected = augment_dataset(sst2, aug, batch_size=1000)
    got = _read(tmp_path / "out")
    assert len(got) == len(expected) == 5 * len(sst2)
    assert _rows(got) == _rows(expected)
    on_disk = json.loads((tmp_path / "out" / MANIFEST).read_text())
    assert on_disk == manifest and manifest["rows_in"] == len(sst2) and manifest["rows_out"] == len(expected)
    assert sum(manifest["rows_by_operation"].values()) == 4 * len(sst2) and manifest["originals"] == len(sst2)
    assert manifest["input"] == [str(p) for p in files]


def test_a_dataset_in_and_a_model_backed_augmenter_as_actors(sst2, tmp_path):
    small = sst2.select(range(200))
    aug = Filtered(EDA(n_aug=2, seed=1), filters=(SimilarityFilter(min_sim=0.7, max_sim=0.99),), oversample=2)
    manifest = augment_ray(small, aug, tmp_path / "out", batch_size=50, workers=2)
    expected = augment_dataset(small, aug, batch_size=50)
    got = _read(tmp_path / "out")
    # model scores depend on a batch's padding: the same counts and labels (here, the same rows too)
    assert len(got) == len(expected) and sorted(got["label"]) == sorted(expected["label"])
    stats = manifest["textaug_filter_stats"]
    assert stats["candidates"] == 200 * 4 and stats["kept"] == len(got) - 200
    assert "aug_filter_stats" not in got.column_names


def test_a_worker_killed_mid_job_is_retried_and_every_row_appears_once(sst2, tmp_path):
    import psutil

    small = sst2.select(range(600))
    aug = Filtered(EDA(n_aug=1, seed=2), filters=(SimilarityFilter(min_sim=-1.0, max_sim=1.0),), oversample=1)
    killed = []

    def kill_an_actor():
        deadline = time.time() + 60
        while time.time() < deadline and not killed:
            for proc in psutil.process_iter(["cmdline"]):
                line = " ".join(proc.info["cmdline"] or [])
                if "MapWorker" in line or "_Step" in line:
                    time.sleep(1.0)  # let it load its model and start on the batches
                    try:
                        proc.kill()
                        killed.append(proc.pid)
                    except psutil.NoSuchProcess:
                        continue
                    return
            time.sleep(0.1)

    killer = threading.Thread(target=kill_an_actor)
    killer.start()
    augment_ray(small, aug, tmp_path / "out", batch_size=20, workers=1)
    killer.join()
    assert killed, "no actor process was found to kill"
    got = _read(tmp_path / "out")
    counts = {}
    for source, op in zip(got[AUG_SOURCE], got[AUG_OP]):
        counts[(source, op)] = counts.get((source, op), 0) + 1
    assert sorted({s for s, _ in counts}) == list(range(600))
    assert all(n == 1 for n in counts.values())  # every original and every output exactly once


def test_errors_are_one_line_and_nothing_half_written(sst2, tmp_path):
    aug = EDA(n_aug=1)
    with pytest.raises(ValueError, match="no such file"):
        augment_ray(tmp_path / "missing.parquet", aug, tmp_path / "out")
    files = _shards(sst2.select(range(20)), tmp_path / "in", 1, "parquet")
    (tmp_path / "out").mkdir()
    with pytest.raises(ValueError, match="exists; give --overwrite"):
        augment_ray(files, aug, tmp_path / "out")
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "a.csv").write_text("text,label\na,1\n")
    (tmp_path / "mixed" / "b.jsonl").write_text('{"text": "b", "label": 0}\n')
    with pytest.raises(ValueError, match="mixes formats"):
        augment_ray(tmp_path / "mixed", aug, tmp_path / "out2")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.parquet").write_bytes(files[0].read_bytes())
    (bad / "b.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(ValueError) as err:
        augment_ray(bad, aug, tmp_path / "out3")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "out3").exists() and not list(tmp_path.glob(".out3.tmp-*"))
    with pytest.raises(ValueError, match="text column 'body' not found"):
        augment_ray(files, EDA(column="body"), tmp_path / "out4")
    # --overwrite replaces the old folder only once the new one is complete
    augment_ray(files, aug, tmp_path / "out", overwrite=True)
    assert len(_read(tmp_path / "out")) == 40
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(ValueError, match="no rows"):
        augment_ray(tmp_path / "empty.jsonl", aug, tmp_path / "out5")


def test_an_llm_step_with_its_own_column_runs_on_ray_with_the_same_rows(sst2, tmp_path, chat_server):
    """LLMGenerate: a bound example pool, an extra column (aug_shown), a side output, actors."""
    from textaug import LLMGenerate

    small = sst2.select(range(40))
    base_url, _, _ = chat_server()
    aug = LLMGenerate(backend="openai", base_url=base_url, model="m", n_aug=2, cache="none")
    manifest = augment_ray(small, aug, tmp_path / "out", workers=2, batch_size=8)
    expected = augment_dataset(small, aug, batch_size=40)
    got = _read(tmp_path / "out")
    assert _rows(got) == _rows(expected)
    assert manifest["textaug_llm_stats"]["requests"] == 80 and manifest["textaug_llm_stats"]["kept"] == 80


def test_a_failing_step_is_one_line_and_writes_nothing(sst2, tmp_path):
    from textaug import LLMGenerate

    aug = LLMGenerate(backend="openai", base_url="http://127.0.0.1:9/v1", model="m", n_aug=1, request_retries=0)
    # no server at port 9: the job fails in its workers, as one line naming the server
    with pytest.raises(ValueError, match="chat server at http://127.0.0.1:9/v1") as err:
        augment_ray(sst2.select(range(10)), aug, tmp_path / "out", workers=1)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.tmp-*"))


def test_one_big_file_is_cut_into_blocks_for_every_worker(sst2, tmp_path):
    files = _shards(sst2, tmp_path / "in", 1, "parquet")
    manifest = augment_ray(files, EDA(n_aug=1, seed=4), tmp_path / "out", batch_size=100, workers=2)
    assert manifest["blocks"] == 8  # four per worker, each of whole batches' worth of rows
    assert sorted(_read(tmp_path / "out")[AUG_SOURCE]) == sorted(list(range(1500)) * 2)


def test_concatenated_shards_keep_their_global_index(sst2, tmp_path):
    parts = [sst2.select(range(0, 7)), sst2.select(range(7, 30))]
    _shards(concatenate_datasets(parts), tmp_path / "in", 2, "jsonl")
    augment_ray(tmp_path / "in" / "*.jsonl", EDA(n_aug=1), tmp_path / "out")
    got = _read(tmp_path / "out")
    assert sorted(set(got[AUG_SOURCE])) == list(range(30))


def _upload(ds: Dataset, filesystem, name: str, key: str, n: int) -> None:
    import pyarrow.parquet as pq

    size = -(-len(ds) // n)
    for i in range(n):
        part = ds.select(range(i * size, min(len(ds), (i + 1) * size)))
        pq.write_table(part.data.table, f"{name}/{key}/part-{i}.parquet", filesystem=filesystem)


def _read_s3(filesystem, name: str, key: str) -> tuple[dict, Dataset]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with filesystem.open_input_stream(f"{name}/{key}/{MANIFEST}") as handle:
        manifest = json.loads(handle.read())
    tables = [pq.read_table(f"{name}/{key}/{shard}", filesystem=filesystem) for shard in manifest["shards"]]
    return manifest, Dataset(pa.concat_tables(tables))


def _keys(filesystem, name: str, key: str) -> list[str]:
    from pyarrow import fs

    infos = filesystem.get_file_info(fs.FileSelector(f"{name}/{key}", recursive=True, allow_not_found=True))
    return sorted(i.path[len(name) + len(key) + 2:] for i in infos if i.type == fs.FileType.File)


def test_object_storage_in_and_out_with_the_same_rows_and_the_manifest_last(sst2, s3):
    filesystem, uri, name = s3()
    small = sst2.select(range(300))
    _upload(small, filesystem, name, "in", 3)
    aug = EDA(n_aug=2, seed=5)
    manifest = augment_ray(uri("in"), aug, uri("out"), batch_size=64, workers=2)  # a folder of shards
    on_store, got = _read_s3(filesystem, name, "out")
    assert on_store == manifest and manifest["rows_out"] == len(got) == 900
    assert _rows(got) == _rows(augment_dataset(small, aug, batch_size=300))
    assert manifest["input"] == [f"s3://{name}/in/part-{i}.parquet" for i in range(3)]  # no keys in it
    assert _keys(filesystem, name, "out") == sorted([MANIFEST] + manifest["shards"])
    assert all(s.startswith("data-") for s in manifest["shards"])
    # a glob, one level deep, reads the same files
    assert augment_ray(uri("in/*.parquet"), aug, uri("out-glob"))["rows_out"] == 900
    # the folder exists: refused; replaced with overwrite, the old run's shards gone after the commit
    with pytest.raises(ValueError, match="exists; give --overwrite"):
        augment_ray(uri("in"), aug, uri("out"))
    again = augment_ray(uri("in"), EDA(n_aug=1, seed=6), uri("out"), overwrite=True)
    assert _keys(filesystem, name, "out") == sorted([MANIFEST] + again["shards"])
    assert not set(again["shards"]) & set(manifest["shards"]) and len(_read_s3(filesystem, name, "out")[1]) == 600


def test_object_storage_errors_are_one_line_and_a_failed_run_publishes_nothing(sst2, s3):
    from textaug import LLMGenerate

    filesystem, uri, name = s3()
    _upload(sst2.select(range(20)), filesystem, name, "in", 1)
    with pytest.raises(ValueError, match=r"in/missing.parquet: no such file"):
        augment_ray(uri("in/missing.parquet"), EDA(), uri("out"))
    with pytest.raises(ValueError, match="no file matches"):
        augment_ray(uri("in/*.csv"), EDA(), uri("out"))
    with pytest.raises(ValueError, match="^nosuch://x/in: cannot open its file system"):
        augment_ray("nosuch://x/in", EDA(), uri("out"))
    with pytest.raises(ValueError, match="mixes file systems"):
        augment_ray([uri("in/part-0.parquet"), "/tmp/x.parquet"], EDA(), uri("out"))
    # the job fails in its workers after reading: no manifest, no shards left behind
    dead = LLMGenerate(backend="openai", base_url="http://127.0.0.1:9/v1", model="m", n_aug=1, request_retries=0)
    with pytest.raises(ValueError, match="chat server at http://127.0.0.1:9/v1") as err:
        augment_ray(uri("in"), dead, uri("out"), workers=1)
    assert "\n" not in str(err.value) and "secret" not in str(err.value)
    assert _keys(filesystem, name, "out") == []
    # objects but no manifest: an unfinished run's, refused unless overwrite
    with filesystem.open_output_stream(f"{name}/half/data-x/part.parquet") as out:
        out.write(b"not parquet")
    with pytest.raises(ValueError, match="holds files but no manifest.json"):
        augment_ray(uri("in"), EDA(), uri("half"))
    done = augment_ray(uri("in"), EDA(n_aug=1), uri("half"), overwrite=True)
    assert _keys(filesystem, name, "half") == sorted([MANIFEST] + done["shards"])
