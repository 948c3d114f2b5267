"""Push to a Hub stand-in on a loopback port, then pull in a fresh process with an empty cache.

The stand-in (tests/hub_standin.py) implements the endpoints huggingface_hub calls for create,
validate-yaml, preupload, commit and download; it is not the real Hub.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from textaug.config import TrainConfig
from textaug.predict import load
from textaug.training.pipeline import train

from hub_standin import HubStandIn

TOKEN = "hf_standin_secret_0123456789"
TEXTS = ["a gorgeous , witty film", "dull , lifeless and far too long", "it is a movie", ""]


@pytest.fixture(scope="module")
def model_dir(tiny_bert, sst2_small, tmp_path_factory):
    out = tmp_path_factory.mktemp("push") / "sst2-tiny"
    config = TrainConfig(model=tiny_bert, output_dir=str(out), epochs=1, batch_size=8, augment="swap", n_aug=1,
                         keep_checkpoints=True)
    train(config, train_dataset=sst2_small[0], test_dataset=sst2_small[1])
    assert (out / "checkpoints").is_dir()  # kept here, so the test can see they are not uploaded
    return out


@pytest.fixture
def hub():
    with HubStandIn(TOKEN) as server:
        yield server


def _env(hub: HubStandIn, home: Path, token: bool) -> dict[str, str]:
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_HOME": str(home), "HF_HUB_OFFLINE": "0",
           "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
    env.pop("HF_TOKEN", None)
    if token:
        env["HF_TOKEN"] = TOKEN
    return env


def _textaug(args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "textaug.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


_PULL = """
import json, sys
import textaug
from transformers import AutoModelForSequenceClassification, AutoTokenizer
repo, texts = sys.argv[1], json.loads(sys.argv[2])
clf = textaug.load(repo)
model = AutoModelForSequenceClassification.from_pretrained(repo).eval()
tok = AutoTokenizer.from_pretrained(repo)
import torch
with torch.no_grad():
    plain = [model(**tok(t, return_tensors="pt")).logits[0].tolist() for t in texts]
print(json.dumps({"textaug": clf.logits(texts).tolist(), "transformers": plain, "labels": clf.predict(texts)}))
"""


def _pull(hub, home, repo, token=False) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _PULL, repo, json.dumps(TEXTS)], env=_env(hub, home, token),
                          capture_output=True, text=True, timeout=300)


def test_push_then_pull_in_a_fresh_process_gives_identical_predictions(model_dir, hub, tmp_path):
    pushed = _textaug(["push", str(model_dir), "--repo-id", "alice/sst2-tiny"], _env(hub, tmp_path / "home-push", True))
    assert pushed.returncode == 0, pushed.stderr
    assert "alice/sst2-tiny" in pushed.stdout
    assert TOKEN not in pushed.stdout + pushed.stderr  # the token is never printed
    repo = hub.repos["alice/sst2-tiny"]
    assert not repo.private
    assert {"README.md", "config.json", "model.safetensors", "metrics.json", "training_config.json",
            "tokenizer.json"} <= set(repo.files)
    assert not any(name.startswith("checkpoints/") for name in repo.files)
    assert ("POST", "/api/validate-yaml", True) in hub.requests  # the card was validated on upload
    assert repo.files["model.safetensors"] == (model_dir / "model.safetensors").read_bytes()

    pulled = _pull(hub, tmp_path / "home-empty", "alice/sst2-tiny")
    assert pulled.returncode == 0, pulled.stderr[-2000:]
    remote = json.loads(pulled.stdout.strip().splitlines()[-1])
    local = load(model_dir)
    np.testing.assert_array_equal(np.array(remote["textaug"], dtype=np.float32), local.logits(TEXTS))
    assert remote["labels"] == local.predict(TEXTS)
    # plain transformers, one text at a time (no padding), agrees to float precision
    plain = np.array(remote["transformers"][:3], dtype=np.float32)
    np.testing.assert_allclose(plain, local.logits(TEXTS)[:3], atol=1e-5)


def test_private_repo_needs_the_token_to_pull(model_dir, hub, tmp_path):
    pushed = _textaug(["push", str(model_dir), "--repo-id", "alice/secret", "--private"], _env(hub, tmp_path / "h1", True))
    assert pushed.returncode == 0, pushed.stderr
    assert hub.repos["alice/secret"].private
    anonymous = _pull(hub, tmp_path / "h2", "alice/secret", token=False)
    # refused for the missing token, not any crash: load's one-line error names the repo
    assert anonymous.returncode != 0
    assert "ValueError: alice/secret: no such model folder, and it could not be loaded as a hub repo id" in anonymous.stderr
    with_token = _pull(hub, tmp_path / "h3", "alice/secret", token=True)
    assert with_token.returncode == 0, with_token.stderr[-2000:]


def test_push_errors_are_clear(model_dir, hub, tmp_path):
    no_token = _textaug(["push", str(model_dir), "--repo-id", "alice/x"], _env(hub, tmp_path / "h", False))
    assert no_token.returncode == 1 and "alice/x" not in hub.repos
    assert no_token.stderr.strip() == ("textaug: error: the Hub refused the request (401 Unauthorized): no valid token; "
                                       "set HF_TOKEN or run `hf auth login` with a token that has write access")
    wrong = "hf_wrong_token_9876543210"
    bad_token = _textaug(["push", str(model_dir), "--repo-id", "alice/x"],
                         {**_env(hub, tmp_path / "h", False), "HF_TOKEN": wrong})
    assert bad_token.returncode == 1 and "401 Unauthorized" in bad_token.stderr
    assert len(bad_token.stderr.strip().splitlines()) == 1 and "Traceback" not in bad_token.stderr
    for run in (no_token, bad_token):  # no token, neither the right nor the wrong one, in any output
        assert TOKEN not in run.stdout + run.stderr and wrong not in run.stdout + run.stderr
    not_a_model = _textaug(["push", str(tmp_path), "--repo-id", "alice/x"], _env(hub, tmp_path / "h", True))
    assert not_a_model.returncode == 2 and "is not a model folder" in not_a_model.stderr
    bad_id = _textaug(["push", str(model_dir), "--repo-id", "no-slash"], _env(hub, tmp_path / "h", True))
    assert bad_id.returncode == 2 and "USER/NAME" in bad_id.stderr
