"""Test isolation: every cache under a temporary folder, the hub offline, progress bars off.

The environment is set here, at import time, before any test module imports huggingface_hub or
datasets: both read their offline switches and cache paths once, when first imported.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

_CACHE_ROOT = tempfile.mkdtemp(prefix="textaug-tests-")
atexit.register(shutil.rmtree, _CACHE_ROOT, ignore_errors=True)
os.environ.update({
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "TEXTAUG_CACHE": os.path.join(_CACHE_ROOT, "textaug"),
    "HF_HOME": os.path.join(_CACHE_ROOT, "hf"),
    "HF_DATASETS_CACHE": os.path.join(_CACHE_ROOT, "hf", "datasets"),
    "XDG_CACHE_HOME": os.path.join(_CACHE_ROOT, "xdg"),
})
os.environ.pop("HF_TOKEN", None)  # a developer's token must never reach a test
# Ray authenticates with a token by default, and a client joining a cluster by address sends it
# only in token mode, which Ray reads once, when imported (the cluster test joins `ray start`)
os.environ["RAY_AUTH_MODE"] = "token"

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _session_caches():
    """One cache per session: the WordNet lexicon is built once (seconds), then shared."""
    import datasets

    datasets.disable_progress_bars()
    return _CACHE_ROOT


@pytest.fixture(autouse=True)
def _no_writes_to_cwd(tmp_path, monkeypatch):
    """Tests run inside their own tmp_path: nothing lands in the working tree."""
    monkeypatch.chdir(tmp_path)


SHARED_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "eda")


def _eda_file(task: str, split: str) -> str:
    """A file of the EDA paper's tasks from ../shared/data. Missing: a skip on a developer's
    machine, a failure in CI (where it is always beside the clone), never a silent pass."""
    path = os.path.abspath(os.path.join(SHARED_DATA, task, f"{split}.tsv"))
    if not os.path.isfile(path):
        message = f"{path} not found: ../shared/data/eda must be beside the checkout"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def sst2_train_path():
    return _eda_file("sst2", "train")


@pytest.fixture(scope="session")
def sst2_small():
    """(train, eval): 48 and 32 SST-2 rows, stratified and seeded (the files are label-sorted)."""
    from textaug.data import read_labelled_tsv, stratified_sample

    train = stratified_sample(read_labelled_tsv(_eda_file("sst2", "train")), 48, seed=0)
    test = stratified_sample(read_labelled_tsv(_eda_file("sst2", "test")), 32, seed=0)
    return train, test


@pytest.fixture(scope="session")
def sst2_files(sst2_small, tmp_path_factory):
    """The same rows as headerless label<TAB>text files, for the command line."""
    folder = tmp_path_factory.mktemp("sst2")
    paths = []
    for name, ds in zip(("train", "eval"), sst2_small):
        path = folder / f"{name}.tsv"
        path.write_text("".join(f"{r['label']}\t{r['text']}\n" for r in ds), encoding="utf-8")
        paths.append(str(path))
    return tuple(paths)


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory):
    """A 2-layer, 32-wide BERT built from a config (random weights) with the MiniLM tokenizer,
    saved as a local checkpoint: the mechanics of the trainer in seconds."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from textaug.resources import minilm_path

    folder = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path()))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# tiny\n", encoding="utf-8")
    return str(folder)


@pytest.fixture
def chat_server(tmp_path):
    """Start tests/chat_server.py (a real OpenAI-compatible server on loopback) with the given
    options; yields a function that returns (base_url, its request log, the process); every
    server is stopped after the test."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    script = Path(__file__).with_name("chat_server.py")
    procs = []

    def start(*options: str):
        port_file = tmp_path / f"s{len(procs)}.port"
        log = tmp_path / f"s{len(procs)}.log"
        proc = subprocess.Popen([sys.executable, str(script), str(port_file), "--log", str(log), *options])
        procs.append(proc)
        for _ in range(200):
            if port_file.exists():
                break
            time.sleep(0.05)
        return f"http://127.0.0.1:{int(port_file.read_text())}/v1", log, proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def s3():
    """A local S3 stand-in (moto's server) on loopback, started and stopped here. Yields a function
    giving the s3:// URI of a key in a fresh bucket, its endpoint and keys in the URI (pyarrow's
    URI options), so that Ray's workers, which do not see this process's environment, reach it too."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    query = f"?endpoint_override={host}:{port}&scheme=http&region=us-east-1&allow_bucket_creation=true"
    buckets = iter(range(1000))

    def bucket():
        from pyarrow import fs

        name = f"textaug-{next(buckets)}"
        filesystem, _ = fs.FileSystem.from_uri(f"s3://testing:secret@{name}{query}")
        filesystem.create_dir(name)
        return filesystem, lambda key: f"s3://testing:secret@{name}/{key}{query}", name

    yield bucket
    server.stop()
