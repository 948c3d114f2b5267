"""The seq2seq and CTranslate2 back-translation back-ends, on a tiny Marian pair built in the test:
a sentencepiece model trained on 400 SST-2 sentences and 1+1-layer, 32-wide models with random
weights. Their translations are gibberish; counts, batching, splitting, devices, retries,
reproducibility and CTranslate2 parity are what is checked."""

from __future__ import annotations

import json

import pytest

from textaug import AUG_OP, BackTranslate, augment_dataset
from textaug.augment import runtime, translators
from textaug.augment.translators import Decoding, Seq2Seq, _budget_batches, split_sentences

TEXTS = ["the movie was great .", "a dull , lifeless film", "it is what it is", "", None,
         "one of the best films of the year , and the actors are wonderful ."]


def _build_pair(root, seed: int):
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    from conftest import _eda_file
    from textaug.data import read_labelled_tsv

    corpus = root / "corpus.txt"
    if not corpus.exists():
        corpus.write_text("\n".join(read_labelled_tsv(_eda_file("sst2", "train"))["text"][:400]), encoding="utf-8")
        # Marian's layout: </s> 0, <unk> 1, ..., <pad> last (CTranslate2's converter expects it there)
        spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(root / "spm"), vocab_size=600,
                                       model_type="unigram", character_coverage=1.0, bos_id=-1, eos_id=0, unk_id=1,
                                       pad_id=-1, eos_piece="</s>", unk_piece="<unk>", minloglevel=2)
        sp = spm.SentencePieceProcessor(model_file=str(root / "spm.model"))
        vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
        vocab["<pad>"] = len(vocab)
        (root / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    vocab = json.loads((root / "vocab.json").read_text(encoding="utf-8"))
    tokenizer = MarianTokenizer(source_spm=str(root / "spm.model"), target_spm=str(root / "spm.model"),
                                vocab=str(root / "vocab.json"))
    config = MarianConfig(vocab_size=len(vocab), d_model=32, encoder_layers=1, decoder_layers=1,
                          encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
                          max_position_embeddings=64, pad_token_id=vocab["<pad>"], eos_token_id=0,
                          decoder_start_token_id=vocab["<pad>"], forced_eos_token_id=None, init_std=0.5)
    torch.manual_seed(seed)
    folder = root / f"model-{seed}"
    MarianMTModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("marian")
    return _build_pair(root, 0), _build_pair(root, 1)


def _aug(pair, **kw) -> BackTranslate:
    base = {"backend": "seq2seq", "pivots": ("de",), "models": (pair,), "device": "cpu", "max_new_tokens": 12}
    return BackTranslate(**{**base, **kw})


def _ds(texts=TEXTS):
    from datasets import Dataset

    return Dataset.from_dict({"text": texts, "label": list(range(len(texts)))})


def test_exact_counts_and_ops(pair):
    out = augment_dataset(_ds(), _aug(pair, n_aug=3))
    assert len(out) == 4 * (1 + 3) + 2  # four live rows, two pass-through rows once each
    ops = [op for op in out[AUG_OP] if op != "original"]
    assert ops == ["backtranslate:seq2seq:de"] * 12
    made = [t for t, op in zip(out["text"], out[AUG_OP]) if op != "original"]
    assert all(isinstance(t, str) for t in made)


def test_sampling_is_reproducible_for_a_fixed_batch_size_and_beam_search_for_any(pair):
    import random

    import torch

    aug = _aug(pair, n_aug=2)
    assert "fixed batch size" in aug.reproducible
    state = (random.getstate(), torch.random.get_rng_state())
    a = augment_dataset(_ds(), aug, batch_size=3, load_from_cache_file=False)["text"]
    assert state[1].equal(torch.random.get_rng_state()) and random.getstate() == state[0]  # global RNG untouched
    assert augment_dataset(_ds(), aug, batch_size=3, load_from_cache_file=False)["text"] == a
    other = augment_dataset(_ds(), _aug(pair, n_aug=2, seed=1), batch_size=3, load_from_cache_file=False)["text"]
    assert other != a
    beam = _aug(pair, n_aug=1, sampling=False, num_beams=2)
    assert "any batch size" in beam.reproducible
    assert augment_dataset(_ds(), beam, batch_size=1, load_from_cache_file=False)["text"] == \
        augment_dataset(_ds(), beam, batch_size=10, load_from_cache_file=False)["text"]


def test_sub_batches_stay_under_the_token_budget(pair, monkeypatch):
    calls: list[tuple[int, int]] = []
    tokenizer, model = Seq2Seq({("en", "de"): pair[0]}, "cpu", Decoding(), 64)._load(pair[0])
    generate = model.generate

    def recording(**kw):
        calls.append(tuple(kw["input_ids"].shape))
        return generate(**kw)

    monkeypatch.setattr(model, "generate", recording)
    texts = [" ".join(["word"] * n) for n in (2, 3, 20, 4, 18, 5)]
    out = Seq2Seq({("en", "de"): pair[0]}, "cpu", Decoding(max_new_tokens=4), 64).translate(texts, "en", "de", n=2)
    assert len(out) == 6 and all(len(row) == 2 for row in out)
    assert len(calls) > 1 and all(rows * width * 2 <= 64 or rows == 1 for rows, width in calls)
    assert _budget_batches([5, 1, 3, 9], 20, 1) == [[1, 2, 0], [3]]  # sorted by length, cut at the budget


def test_long_inputs_are_split_into_sentences_never_truncated(pair, monkeypatch):
    widths: list[int] = []
    tokenizer, model = Seq2Seq({("en", "de"): pair[0]}, "cpu", Decoding(), 4096)._load(pair[0])
    generate = model.generate
    monkeypatch.setattr(model, "generate", lambda **kw: widths.append(kw["input_ids"].shape[1]) or generate(**kw))
    sentence = "the actors are wonderful and the story is good ."
    long_text = " ".join([sentence] * 12)  # about 150 tokens: over the 64 positions of the model
    assert len(tokenizer(long_text)["input_ids"]) > 64
    assert split_sentences(long_text) == [sentence] * 12
    out = Seq2Seq({("en", "de"): pair[0]}, "cpu", Decoding(max_new_tokens=3), 4096).translate([long_text, "short ."],
                                                                                             "en", "de")
    assert max(widths) <= 64 and len(out) == 2
    assert len(out[0][0].split()) >= 12  # twelve sentences translated, joined back


def test_device_argument(pair):
    assert runtime.resolve_device("cpu") == "cpu"
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="torch sees no CUDA device"):
            runtime.resolve_device("cuda", rank=1)
        assert runtime.resolve_device("auto") in ("cpu", "mps")
    with pytest.raises(ValueError, match="device must be cpu, cuda, cuda:N, mps or auto"):
        _aug(pair, device="gpu0")
    # with_rank: the rank reaches the translator (and picks the GPU where there are several)
    out = _ds().map(_aug(pair, n_aug=1), batched=True, with_indices=True, with_rank=True, batch_size=2)
    assert len(out) == 4 * 2 + 2


def test_an_output_identical_to_its_input_is_resampled_and_counted(pair, monkeypatch, caplog):
    import logging

    seen_seeds: list[int] = []

    def fake(self, texts, source, target, n=1, seed=0):
        seen_seeds.append(seed)
        # the first round trips echo their input; later seeds (the re-samples) give distinct samples
        return [[t if seed < 10_000 else f"{t} #{seed}-{k}" for k in range(n)] for t in texts]

    monkeypatch.setattr(Seq2Seq, "translate", fake)
    monkeypatch.setattr(BackTranslate, "_seed", lambda self, first, pivot, attempt: 10_000 * attempt)
    with caplog.at_level(logging.INFO, logger="textaug.augment.backtranslate"):
        made = _aug(pair, n_aug=2, max_retries=1).augment_batch(["good film", "bad film"], [0, 1])
    assert [t for t, _ in made[0]] == ["good film #10000-0 #10001-0", "good film #10000-1 #10001-0"]
    assert sorted(set(seen_seeds)) == [0, 1, 10_000, 10_001]  # first draw, then one re-sample
    assert "kept identical" not in caplog.text
    # with no retries allowed, the identical outputs are kept and counted
    caplog.clear()
    monkeypatch.setattr(BackTranslate, "_seed", lambda self, first, pivot, attempt: 0)
    with caplog.at_level(logging.INFO, logger="textaug.augment.backtranslate"):
        kept = _aug(pair, n_aug=1, max_retries=0).augment_batch(["good film"], [0])
    assert kept == [[("good film", "backtranslate:seq2seq:de")]]
    assert "1 output(s) of 1 rows kept identical" in caplog.text


def test_ctranslate2_converts_once_and_matches_greedy_transformers(pair, tmp_path):
    texts = ["the movie was great .", "a dull , lifeless film", "it is what it is and the plot is thin"]
    kw = {"sampling": False, "num_beams": 1, "max_new_tokens": 10}
    hf = _aug(pair, **kw).translator().translate(texts, "en", "de")
    ct = _aug(pair, backend="ctranslate2", compute_type="float32", **kw).translator().translate(texts, "en", "de")
    assert ct == hf and len({row[0] for row in hf}) > 1  # outputs depend on the input, and agree
    converted = list(translators.ct2_cache_dir().glob("model-0-float32-*"))
    assert len(converted) == 1 and (converted[0] / "model.bin").is_file()
    # int8 (the CPU default) through the whole augmenter: exact counts
    out = augment_dataset(_ds(), _aug(pair, backend="ctranslate2", n_aug=2))
    assert len(out) == 4 * 3 + 2 and "backtranslate:ctranslate2:de" in out[AUG_OP]


def test_bad_options_are_named(pair):
    with pytest.raises(ValueError, match="one \\(forward, backward\\) pair per pivot"):
        BackTranslate(backend="seq2seq", pivots=("de", "fr"), models=(pair,))
    with pytest.raises(ValueError, match="models apply to the seq2seq and ctranslate2 backends"):
        BackTranslate(models=(pair,))
    assert BackTranslate(backend="seq2seq").models == (("Helsinki-NLP/opus-mt-en-de", "Helsinki-NLP/opus-mt-de-en"),)
    for field, value in (("top_p", 0), ("num_beams", 0), ("max_tokens", 0), ("temperature", 0)):
        with pytest.raises(ValueError, match=field):
            _aug(pair, **{field: value})
    with pytest.raises(ValueError, match="cannot load translation model"):
        _aug(pair, models=(("/nonexistent/model-a", "/nonexistent/model-b"),)).augment_batch(["x"], [0])


def test_the_command_line_backends(pair, tmp_path, capsys):
    from textaug.cli import main

    src = tmp_path / "in.csv"
    src.write_text("text,label\nthe movie was great .,1\na dull film,0\n", encoding="utf-8")
    for backend in ("seq2seq", "ctranslate2"):
        assert main(["augment", str(src), "-o", str(tmp_path / f"{backend}.jsonl"), "--recipe", "backtranslate",
                     "--backend", backend, "--model", f"{pair[0]}>{pair[1]}", "--pivot", "de", "--device", "cpu",
                     "--n-aug", "2"]) == 0
        assert "rows in: 2  rows out: 6" in capsys.readouterr().out
    assert main(["augment", str(src), "-o", str(tmp_path / "x.csv"), "--recipe", "eda", "--device", "cpu"]) == 2
    assert "device does not apply to eda" in capsys.readouterr().err
    assert main(["augment", str(src), "-o", str(tmp_path / "x.csv"), "--recipe", "backtranslate", "--backend",
                 "seq2seq", "--model", "only-one"]) == 2
    assert "FORWARD>BACKWARD" in capsys.readouterr().err


@pytest.fixture(scope="module")
def m2m(pair):
    """A tiny multilingual M2M100 (language tokens __en__, __de__, ...) on the same sentencepiece model."""
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer

    root = __import__("pathlib").Path(pair[0]).parent
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for piece in json.loads((root / "vocab.json").read_text(encoding="utf-8")):
        vocab.setdefault(piece, len(vocab))
    (root / "m2m-vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    tokenizer = M2M100Tokenizer(vocab_file=str(root / "m2m-vocab.json"), spm_file=str(root / "spm.model"))
    config = M2M100Config(vocab_size=1024, d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                          decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=64,
                          pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, init_std=0.5)
    torch.manual_seed(2)
    folder = root / "m2m"
    M2M100ForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder), tokenizer.get_lang_id("de")


def test_one_multilingual_model_with_language_codes(m2m, monkeypatch):
    folder, de = m2m
    aug = BackTranslate(backend="seq2seq", source="en", pivots=("de",), models=((folder, folder),), device="cpu",
                        max_new_tokens=6, n_aug=2)
    tokenizer, model = aug.translator()._load(folder)
    starts: list[int] = []
    generate = model.generate
    monkeypatch.setattr(model, "generate", lambda **kw: starts.append(kw["forced_bos_token_id"]) or generate(**kw))
    out = augment_dataset(_ds(), aug, load_from_cache_file=False)
    assert len(out) == 4 * 3 + 2 and set(starts) == {de, tokenizer.get_lang_id("en")}  # there, then back
    with pytest.raises(ValueError, match="not language codes of this multilingual model"):
        BackTranslate(backend="seq2seq", source="en", pivots=("xx",), models=((folder, folder),), device="cpu",
                      max_new_tokens=4).augment_batch(["a film"], [0])
