"""The LLM paraphrase augmenter: reply parsing, the packaged SmolLM2 through the transformers
back-end, and the openai back-end against real servers on loopback (a scripted one that can fail
on cue, and ``transformers serve`` with the packaged model)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from datasets import ClassLabel, Dataset, Features, Value

from textaug import augment_dataset
from textaug.augment.base import AUG_SOURCE, ORIGINAL
from textaug.augment.dataset import filter_stats, side_output_stats
from textaug.augment.filters import Filtered, SimilarityFilter
from textaug.augment.llm import LLM_STATS_KEY, SHOWN, LLMGenerate, LLMParaphrase
from textaug.augment.llm_cache import ChatCache
from textaug.augment.llm_chat import ChatServerError
from textaug.augment.llm_text import parse_reply, reject_reason, template_words
from textaug.augment.recipes import augmenter_tags, build_augmenter

SECRET = "sk-test-NEVER-PRINT-7f3a9"


# -- parsing ------------------------------------------------------------------------------------------
def test_single_replies_lose_their_chatter_and_keep_their_text():
    assert parse_reply("Here is a paraphrase:\nThe film is a joy.", "single") == ["The film is a joy."]
    assert parse_reply('Paraphrase: "The film is a joy."', "single") == ["The film is a joy."]
    assert parse_reply("The film is a joy.\n\nThis keeps the meaning of the original.", "single") == ["The film is a joy."]
    assert parse_reply("  The   film\nis a joy. ", "single") == ["The film is a joy."]
    # a leading phrase with a colon that is part of the text, not a label, stays
    assert parse_reply("My verdict: a joy.", "single") == ["My verdict: a joy."]
    # a multi-paragraph input keeps its paragraphs
    assert parse_reply("One part.\n\nTwo part.", "single", source="a\n\nb") == ["One part.\n\nTwo part."]


def test_list_replies_parse_strictly():
    assert parse_reply("Sure! Here they are:\n1. A joy.\n2) A delight.\n- A treat.", "list") == ["A joy.", "A delight.", "A treat."]
    assert parse_reply('Here: ["A joy.", "A delight."] hope that helps', "list") == ["A joy.", "A delight."]
    assert parse_reply("I think the film is a joy and a delight.", "list") is None
    assert parse_reply('["A joy.", 3]', "list") is None  # not an array of strings, and no numbered list


def test_refused_candidates_are_named_by_reason():
    instruction = template_words("Paraphrase this text, keeping its meaning: {text}")
    source = ["The film is a joy."]
    assert reject_reason("   ", source, [], instruction) == "empty"
    assert reject_reason("I'm sorry, but I can't help with that.", source, [], instruction) == "refusal"
    assert reject_reason("As an AI language model, I ...", source, [], instruction) == "refusal"
    assert reject_reason("Paraphrase this text, keeping its meaning", source, [], instruction) == "prompt"
    assert reject_reason("the film is a JOY", source, [], instruction) == "identical"
    assert reject_reason("A delight of a film!", source, ["a delight of a film"], instruction) == "duplicate"
    assert reject_reason("A delight of a film.", source, [], instruction) is None


def test_bad_settings_are_refused_at_construction():
    with pytest.raises(ValueError, match="must contain"):
        LLMParaphrase(prompt="Paraphrase this.")
    with pytest.raises(ValueError, match="unknown placeholders"):
        LLMParaphrase(prompt="{text} {mood}")
    with pytest.raises(ValueError, match="no task description"):
        LLMParaphrase(prompt="{task}: {text}")
    with pytest.raises(ValueError, match="unknown LLM backend"):
        LLMParaphrase(backend="llamacpp")
    with pytest.raises(ValueError, match="temperature"):
        LLMParaphrase(temperature=0)
    with pytest.raises(ValueError, match="no such model folder"):
        LLMParaphrase(model="./no/such/folder")


def test_the_recipe_spec_and_tags():
    aug = build_augmenter("llm-paraphrase:temperature=0.7,max_retries=1", n_aug=3, check=False)
    assert isinstance(aug, LLMParaphrase) and (aug.n_aug, aug.temperature, aug.max_retries) == (3, 0.7, 1)
    assert "llm-paraphrase" in augmenter_tags(aug)
    with pytest.raises(ValueError, match="unknown field 'temp'"):
        build_augmenter("llm-paraphrase:temp=0.7", check=False)


# -- the packaged SmolLM2, transformers back-end -------------------------------------------------------------
TEXTS = ["the film is a charming, funny ride.", None, "a dull, lifeless script that goes nowhere.", "", "great acting"]


@pytest.fixture(scope="module")
def reviews():
    features = Features({"text": Value("string"), "label": ClassLabel(names=["negative", "positive"])})
    return Dataset.from_dict({"text": TEXTS, "label": [1, 0, 0, 1, 1]}, features=features)


def _outputs(out):
    return [(r["text"], r["label"], r[AUG_SOURCE]) for r in out if r["aug_op"] != ORIGINAL]


def test_smollm2_paraphrases_with_exact_counts_labels_and_pass_through(reviews):
    aug = LLMParaphrase(n_aug=2, device="cpu", max_new_tokens=48)
    out = augment_dataset(reviews, aug, batch_size=8)
    stats = side_output_stats(out, LLM_STATS_KEY)
    made = _outputs(out)
    live = [i for i, t in enumerate(TEXTS) if t]
    # every live row: its outputs, with its label; pass-through rows once, unchanged
    for i, text in enumerate(TEXTS):
        rows = [r for r in out if r[AUG_SOURCE] == i]
        assert rows[0]["text"] == text and rows[0]["aug_op"] == ORIGINAL
        if i not in live:
            assert len(rows) == 1
        assert all(r["label"] == reviews[i]["label"] for r in rows)
    assert stats["kept"] == len(made) == 2 * len(live) - sum(
        2 - len([m for m in made if m[2] == i]) for i in live)
    assert stats["rows_short"] == sum(len([m for m in made if m[2] == i]) < 2 for i in live)
    # what was asked for is accounted for: every candidate kept, refused (by reason) or surplus
    assert stats["replies"] == stats["kept"] + sum(stats["refused"].values()) + stats["surplus"]
    assert stats["requests"] >= len(live) and stats["completion_tokens"] > 0 and stats["prompt_tokens"] > 0
    for text, _, source in made:
        assert text.strip() and text.lower().rstrip(".") != TEXTS[source].lower().rstrip(".")


def test_smollm2_same_seed_same_rows_other_seed_other_rows(reviews):
    def run(seed):
        return _outputs(augment_dataset(reviews, LLMParaphrase(n_aug=2, seed=seed, device="cpu", max_new_tokens=32),
                                        batch_size=8))

    first = run(0)
    assert run(0) == first
    assert run(1) != first


# -- the openai back-end against a scripted server ----------------------------------------------------------
def _requests(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def _openai(base_url, tmp_path, **kw):
    return LLMParaphrase(backend="openai", base_url=base_url, model="test-model", api_key_env="TEXTAUG_TEST_KEY",
                         cache=str(tmp_path / "replies.sqlite"), **kw)


def test_openai_backend_counts_tokens_and_the_cache_makes_a_rerun_free(chat_server, tmp_path, monkeypatch, reviews):
    monkeypatch.setenv("TEXTAUG_TEST_KEY", SECRET)
    base_url, log, _ = chat_server()
    aug = _openai(base_url, tmp_path, n_aug=2, price_per_1k_tokens=0.5)
    out = augment_dataset(reviews, aug, batch_size=2)
    stats = side_output_stats(out, LLM_STATS_KEY)
    sent = _requests(log)
    assert len(sent) == 6 == stats["requests"] and stats["cached"] == 0 and stats["kept"] == 6
    assert (stats["prompt_tokens"], stats["completion_tokens"]) == (60, 30)
    assert stats["cost"] == pytest.approx(90 / 1000 * 0.5)
    assert all(r["authorization"] == f"Bearer {SECRET}" for r in sent)  # the key is used ...
    assert {r["body"]["model"] for r in sent} == {"test-model"}
    assert {r["body"]["temperature"] for r in sent} == {0.8}
    # ... and a rerun asks nothing: the same rows, from the cache
    again = augment_dataset(reviews, aug, batch_size=5, load_from_cache_file=False)
    assert len(_requests(log)) == 6
    assert _outputs(again) == _outputs(out)
    cached = side_output_stats(again, LLM_STATS_KEY)
    assert (cached["requests"], cached["cached"], cached["prompt_tokens"]) == (0, 6, 0)
    # the key is nowhere in what the run leaves behind
    assert SECRET not in json.dumps(aug.config()) + out.info.description + repr(aug)


def test_the_label_name_reaches_the_prompt(chat_server, tmp_path, reviews):
    base_url, log, _ = chat_server()
    aug = _openai(base_url, tmp_path, n_aug=1, prompt="Paraphrase this {label} review, keeping its meaning: {text}")
    augment_dataset(reviews, aug)
    prompts = sorted(r["body"]["messages"][-1]["content"] for r in _requests(log))
    assert prompts[0].startswith("Paraphrase this negative review") and "positive review" in prompts[-1]


def test_a_429_then_success_is_retried_and_nothing_is_lost(chat_server, tmp_path, reviews):
    base_url, log, _ = chat_server("--fail-first", "2")
    out = augment_dataset(reviews, _openai(base_url, tmp_path, n_aug=1, concurrency=1, request_retries=3))
    stats = side_output_stats(out, LLM_STATS_KEY)
    assert stats["kept"] == 3 and len(_requests(log)) == 3 + 2


def test_a_429_is_retried_after_the_wait_the_server_asks_for(chat_server, tmp_path, reviews):
    base_url, log, _ = chat_server("--fail-first", "1", "--retry-after", "2")
    out = augment_dataset(reviews.select(range(1)), _openai(base_url, tmp_path, n_aug=1, concurrency=1))
    first, second = _requests(log)
    assert side_output_stats(out, LLM_STATS_KEY)["kept"] == 1
    assert second["t"] - first["t"] >= 1.9  # Retry-After: 2 honoured (the client's own backoff is ~0.5 s)


def test_a_failing_server_is_one_line_naming_it_never_the_key(chat_server, tmp_path, monkeypatch, reviews, caplog):
    monkeypatch.setenv("TEXTAUG_TEST_KEY", SECRET)
    base_url, log, _ = chat_server("--fail-first", "1000", "--status", "500")
    with pytest.raises(ChatServerError) as err:
        augment_dataset(reviews, _openai(base_url, tmp_path, n_aug=1, request_retries=1, concurrency=1))
    message = str(err.value)
    assert "\n" not in message and base_url in message and "HTTP 500" in message
    assert SECRET not in message and SECRET not in caplog.text
    assert len(_requests(log)) == 2 * 1  # the first request and its one retry, then the run stopped


def test_a_server_killed_mid_run_keeps_what_finished_and_writes_nothing(chat_server, tmp_path, monkeypatch, capsys):
    base_url, log, proc = chat_server("--slow", "0.25")
    rows = 24
    source = tmp_path / "in.csv"
    source.write_text("text,label\n" + "".join(f"review number {i} is fine,1\n" for i in range(rows)))
    target = tmp_path / "out.csv"
    threading.Timer(1.5, proc.kill).start()
    from textaug.cli import main

    spec = f"llm-paraphrase:backend=openai,base_url={base_url},model=m,cache={tmp_path / 'c.sqlite'},request_retries=1,concurrency=2"
    code = main(["augment", str(source), "-o", str(target), "--recipe", spec, "--n-aug", "1", "--batch-size", "8"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "chat server" in err and base_url in err
    assert not target.exists()
    kept = len(ChatCache(tmp_path / "c.sqlite"))
    assert 0 < kept < rows
    answered = [r for r in _requests(log)]
    assert kept <= len(answered)


class _RefusePositives:
    """A label-aware filter of the test's own: every candidate of label 1 refused."""

    name = "no-positives"
    needs_labels = True

    def __call__(self, sources, candidates, labels):
        ok = np.array([label != 1 for label in labels])
        return ok, ok.astype(float)


def test_filters_compose_and_say_what_each_dropped_per_label(chat_server, tmp_path, reviews):
    base_url, _, _ = chat_server()
    inner = _openai(base_url, tmp_path, n_aug=1)
    positives = sum(1 for text, label in zip(reviews["text"], reviews["label"]) if text and label == 1)
    similarity = SimilarityFilter(min_sim=0.999, max_sim=1.0)
    out = augment_dataset(reviews, Filtered(inner, filters=(similarity, _RefusePositives())))
    stats = filter_stats(out)
    assert stats["candidates"] == 6 and stats["dropped"] == 6 - stats["kept"]
    assert sum(stats["dropped_by_label"].values()) == stats["dropped"] > 0
    assert set(stats["dropped_by_label"]) <= {"0", "1"}
    refused = stats["refused_by_filter"]
    assert refused["no-positives"] == {"1": 2 * positives}  # oversample 2: every positive's candidates
    assert 0 < sum(refused["similarity"].values()) <= 6
    assert stats["dropped_by_label"]["1"] == 2 * positives
    assert stats["augmenter"]["requests"] == 6  # the LLM's own counts come along


# -- the openai back-end against transformers serve with the packaged model -----------------------------------
def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served_smollm2():
    import urllib.request

    from textaug.resources import smollm2_path

    folder = smollm2_path()
    port = _port()
    serve = Path(sys.executable).with_name("transformers")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([str(serve), "serve", "--host", "127.0.0.1", "--port", str(port), str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("transformers serve exited before it answered")
                time.sleep(0.25)
        else:
            pytest.fail("transformers serve did not answer within 60 s")
        yield f"http://127.0.0.1:{port}/v1", str(folder)
    finally:
        proc.kill()
        proc.wait()


def test_openai_backend_against_transformers_serve(served_smollm2, tmp_path, reviews):
    base_url, model = served_smollm2
    aug = LLMParaphrase(backend="openai", base_url=base_url, model=model, n_aug=1, max_new_tokens=32,
                        cache=str(tmp_path / "c.sqlite"), concurrency=2)
    out = augment_dataset(reviews.select([0, 2]), aug)
    stats = side_output_stats(out, LLM_STATS_KEY)
    assert stats["requests"] >= 2 and stats["completion_tokens"] > 0
    assert stats["kept"] + stats["rows_short"] >= 2 and len(_outputs(out)) == stats["kept"]


# -- LLMGenerate ----------------------------------------------------------------------------------------------
def _generate(base_url, tmp_path, **kw):
    return LLMGenerate(backend="openai", base_url=base_url, model="test-model", cache=str(tmp_path / "g.sqlite"), **kw)


@pytest.fixture(scope="module")
def labelled():
    texts = ["a charming ride", "a dull script", "great acting", "far too long", "a warm delight", None, "lovely score",
             "   ", "a tedious mess"]
    labels = [1, 0, 1, 0, 1, 0, 1, 1, 0]
    features = Features({"text": Value("string"), "label": ClassLabel(names=["negative", "positive"])})
    return Dataset.from_dict({"text": texts, "label": labels}, features=features)


def test_generated_rows_come_from_examples_of_their_own_label_and_say_which(chat_server, tmp_path, labelled):
    base_url, log, _ = chat_server()
    out = augment_dataset(labelled, _generate(base_url, tmp_path, n_aug=2, k_shot=3), batch_size=4)
    made = [r for r in out if r["aug_op"] == "llm_generate"]
    live = [i for i, t in enumerate(labelled["text"]) if t and t.strip()]
    assert len(made) == 2 * len(live) and {r[AUG_SOURCE] for r in made} == set(live)
    for r in made:
        shown = r[SHOWN]
        assert shown[0] == r[AUG_SOURCE] and len(shown) == len(set(shown)) == 3  # the row first, k_shot in all
        assert all(labelled[j]["label"] == r["label"] for j in shown)  # examples of its own label only
        assert set(shown) <= set(live)  # never a pass-through row
    assert all(r[SHOWN] is None for r in out if r["aug_op"] == ORIGINAL)
    # the prompt shows the label's name and exactly the rows listed
    prompts = [r["body"]["messages"][-1]["content"] for r in _requests(log)]
    assert all("labelled positive" in p or "labelled negative" in p for p in prompts)
    for r in made[:3]:
        assert any(all(f"- {labelled[j]['text']}" in p for j in r[SHOWN]) for p in prompts)


def test_generation_with_class_budgets_and_under_a_filter(chat_server, tmp_path):
    base_url, _, _ = chat_server()
    ds = Dataset.from_dict({"text": ["good one", "fine film", "nice work", "lovely", "bad one"], "label": [1, 1, 1, 1, 0]})
    out = augment_dataset(ds, _generate(base_url, tmp_path, n_aug=1), balance=True)
    by_label = Counter(out["label"])
    assert by_label[0] == by_label[1] == 8  # the rare class got 7 new rows, from its one example
    assert all(r[SHOWN] == [4] for r in out if r["label"] == 0 and r["aug_op"] != ORIGINAL)
    filtered = augment_dataset(ds, Filtered(_generate(base_url, tmp_path, n_aug=1), filters=(SimilarityFilter(min_sim=-1.0, max_sim=1.0),)))
    assert SHOWN in filtered.column_names and all(r[SHOWN] for r in filtered if r["aug_op"] != ORIGINAL)


def test_generation_refuses_what_it_cannot_do_in_one_line(labelled, tmp_path):
    aug = LLMGenerate(backend="openai", base_url="http://127.0.0.1:9/v1", model="m")
    with pytest.raises(ValueError, match="draws examples from the whole dataset"):
        labelled.map(aug, batched=True, with_indices=True)
    with pytest.raises(ValueError, match="no label column 'label'"):
        augment_dataset(labelled.remove_columns("label"), aug)
    with pytest.raises(ValueError, match="cannot be composed"):
        build_augmenter("llm-generate+eda", check=False)
    with pytest.raises(ValueError, match="must contain \\{examples\\}"):
        LLMGenerate(prompt="Write a {label} text.")
    assert "pool" not in aug.config()  # the data is not the recipe


def test_generation_csv_output_is_refused_before_any_request(chat_server, tmp_path, capsys):
    from textaug.cli import main

    base_url, log, _ = chat_server()
    source = tmp_path / "in.csv"
    source.write_text("text,label\ngood,1\nbad,0\n")
    code = main(["augment", str(source), "-o", str(tmp_path / "out.csv"), "--recipe", "llm-generate",
                 "--backend", "openai", "--base-url", base_url, "--model", "m"])
    assert code == 2 and "write .jsonl or .parquet" in capsys.readouterr().err
    assert _requests(log) == []


def test_smollm2_generates_rows_of_the_label(labelled):
    aug = LLMGenerate(n_aug=1, k_shot=2, device="cpu", max_new_tokens=32)
    out = augment_dataset(labelled, aug, batch_size=16)
    stats = side_output_stats(out, LLM_STATS_KEY)
    made = [r for r in out if r["aug_op"] == "llm_generate"]
    assert len(made) == stats["kept"] and stats["replies"] == stats["kept"] + sum(stats["refused"].values())
    assert all(r["label"] == labelled[r[AUG_SOURCE]]["label"] and r["text"].strip() for r in made)


def test_openai_output_is_the_same_for_any_batch_size_and_process_count(chat_server, tmp_path, reviews):
    base_url, _, _ = chat_server()
    aug = LLMParaphrase(backend="openai", base_url=base_url, model="m", n_aug=2, cache="none")
    one = _outputs(augment_dataset(reviews, aug, batch_size=5))
    assert _outputs(augment_dataset(reviews, aug, batch_size=1, num_proc=2, load_from_cache_file=False)) == one


def test_tune_and_train_take_the_llm_recipes():
    from textaug.config import TrainConfig
    from textaug.tuning import parse_candidate

    assert parse_candidate("llm-paraphrase:n_aug=2").options == {"augment": "llm-paraphrase:n_aug=2"}
    assert parse_candidate("contrastive=true,augment=llm-paraphrase:n_aug=2").options["augment"] == "llm-paraphrase:n_aug=2"
    assert TrainConfig(augment="llm-generate:k_shot=2").augment == "llm-generate:k_shot=2"
    with pytest.raises(ValueError, match="unknown field 'kshot'"):
        TrainConfig(augment="llm-generate:kshot=2")


def test_train_augments_with_an_llm_and_the_card_names_it(chat_server, tmp_path, tiny_bert, sst2_small):
    from helpers import tiny_config

    from textaug.training.pipeline import train

    base_url, log, _ = chat_server()
    spec = f"llm-paraphrase:backend=openai,base_url={base_url},model=m,cache=none"
    train_ds, test_ds = sst2_small
    result = train(tiny_config(tiny_bert, tmp_path, epochs=1, augment=spec, n_aug=2, validation_fraction=0.5),
                   train_dataset=train_ds, test_dataset=test_ds)
    assert result.metrics["training"]["examples"] == 3 * 24 and len(_requests(log)) == 48  # training rows only
    card = (Path(result.output_dir) / "README.md").read_text()
    assert "llm-paraphrase" in card
