"""Model-backed augmentation throughput: back-translation one sentence per call (how nlpaug and
TextAttack run it) against textaug's batched seq2seq and CTranslate2 back-ends, and Apertium.

Workload: SST-2 training sentences; a Marian pair of the real opus-mt size (6+6 layers, d_model
512, 8 heads, FFN 2048, a 58,101-entry vocabulary) built from its config with random weights (no
translation weights install offline); a sentencepiece model trained here on SST-2; sampling at
temperature 0.9; every output exactly --tokens tokens (min = max), so every contender decodes the
same number of tokens. A round trip is two translations (forward, backward). The one-call-per-
sentence contender runs on the first --per-sentence sentences only (it is slow); every figure is
round trips per second, so they compare.

    python bench/model_augment_throughput.py [--n 2000] [--per-sentence 100] [--tokens 24]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "eda" / "sst2"
VOCAB = 58_101


def build_pair(root: Path, texts: list[str]) -> tuple[str, str]:
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    (root / "corpus.txt").write_text("\n".join(texts), encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(root / "corpus.txt"), model_prefix=str(root / "spm"), vocab_size=8000,
                                   model_type="unigram", bos_id=-1, eos_id=0, unk_id=1, pad_id=-1,
                                   eos_piece="</s>", unk_piece="<unk>", minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=str(root / "spm.model"))
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    for i in range(len(vocab), VOCAB - 1):  # the real size: unused entries, <pad> last as in opus-mt
        vocab[f"<unused{i}>"] = i
    vocab["<pad>"] = VOCAB - 1
    (root / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    tokenizer = MarianTokenizer(source_spm=str(root / "spm.model"), target_spm=str(root / "spm.model"),
                                vocab=str(root / "vocab.json"))
    config = MarianConfig(vocab_size=VOCAB, d_model=512, encoder_layers=6, decoder_layers=6, encoder_attention_heads=8,
                          decoder_attention_heads=8, encoder_ffn_dim=2048, decoder_ffn_dim=2048,
                          max_position_embeddings=512, pad_token_id=VOCAB - 1, eos_token_id=0,
                          decoder_start_token_id=VOCAB - 1, forced_eos_token_id=None)
    folders = []
    for seed, name in ((0, "en-xx"), (1, "xx-en")):
        torch.manual_seed(seed)
        MarianMTModel(config).save_pretrained(root / name)
        tokenizer.save_pretrained(root / name)
        folders.append(str(root / name))
    return folders[0], folders[1]


def round_trips(translator, texts: list[str]) -> float:
    """Seconds for one round trip of every text, in one call per direction."""
    started = time.perf_counter()
    there = translator.translate(texts, "en", "xx", 1, 0)
    translator.translate([row[0] for row in there], "xx", "en", 1, 1)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--per-sentence", type=int, default=100)
    parser.add_argument("--tokens", type=int, default=24)
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    args = parser.parse_args()
    if not (Path(args.data) / "train.tsv").is_file():
        sys.exit(f"SST-2 files not found in {args.data}; pass --data DIR (train.tsv)")

    import torch

    from textaug import BackTranslate
    from textaug.augment.translators import CTranslate2, Decoding, Seq2Seq, apertium_modes
    from textaug.data import read_labelled_tsv

    texts = read_labelled_tsv(Path(args.data) / "train.tsv")["text"]
    sample = texts[: args.n]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        forward, backward = build_pair(Path(tmp), texts)
        pairs = {("en", "xx"): forward, ("xx", "en"): backward}
        decoding = Decoding(sampling=True, max_new_tokens=args.tokens, min_new_tokens=args.tokens)
        seq2seq = Seq2Seq(pairs, "cpu", decoding, 4096)
        ct2 = CTranslate2(pairs, "cpu", decoding, 4096)
        for translator in (seq2seq, ct2):  # load (and convert) outside the timings
            round_trips(translator, sample[:2])

        few = sample[: args.per_sentence]
        started = time.perf_counter()
        for text in few:  # one generate call per sentence and direction
            round_trips(seq2seq, [text])
        per_sentence = len(few) / (time.perf_counter() - started)
        rows.append((f"one generate per sentence ({len(few)} sentences)", len(few), len(few) / per_sentence))
        rows.append((f"textaug seq2seq, batched ({len(sample)} sentences)", len(sample), round_trips(seq2seq, sample)))
        rows.append((f"textaug ctranslate2 int8 ({len(sample)} sentences)", len(sample), round_trips(ct2, sample)))

    if {"eng-spa", "spa-eng"} <= apertium_modes():
        aug = BackTranslate(pivots=("spa",))
        started = time.perf_counter()
        aug.round_trip(sample, "spa")
        rows.append((f"textaug apertium eng-spa-eng ({len(sample)} sentences)", len(sample), time.perf_counter() - started))

    print(f"\nback-translation round trips, Marian 6+6 layers d_model 512 vocab {VOCAB:,} (random weights), "
          f"{args.tokens} tokens out each way, sampling, CPU ({torch.get_num_threads()} threads)")
    print(f"{'contender':<52}{'sentences':>10}{'seconds':>10}{'sentences/s':>13}")
    for label, count, seconds in rows:
        print(f"{label:<52}{count:>10,}{seconds:>10.1f}{count / seconds:>13.1f}")
    base = rows[0][1] / rows[0][2]
    batched, ct = rows[1][1] / rows[1][2], rows[2][1] / rows[2][2]
    print(f"\nbacktranslate batched/per-sentence: {batched / base:.1f}x, ctranslate2/per-sentence: {ct / base:.1f}x "
          "(targets 5x and 15x)")


if __name__ == "__main__":
    main()
