"""Embedding substitution throughput: textaug's EmbeddingSubstitute against nlpaug's WordEmbsAug
(action="substitute"), on the same vectors and sentences, in one process and one run.

Workload: the first 2,000 SST-2 training sentences; GloVe 6B 50-d restricted to its 50,000 most
frequent words for both (nlpaug reads them from a GloVe text file made from the same package);
10% of the words replaced by one of their 10 nearest neighbours; one output per sentence. nlpaug
runs through its list API. textaug starts cold (its neighbour table is built inside the timing)
and is also timed warm (the table cached, as every later batch of a run finds it).

    python bench/embedding_throughput.py [--n 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "eda" / "sst2"
WORDS = 50_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    args = parser.parse_args()

    import nlpaug.augmenter.word as naw
    from datasets import Dataset

    from _peers import glove_text_file
    from textaug import EmbeddingSubstitute, augment_dataset
    from textaug.augment import runtime
    from textaug.data import read_labelled_tsv

    texts = read_labelled_tsv(Path(args.data) / "train.tsv")["text"][: args.n]
    ds = Dataset.from_dict({"text": texts})
    ours = EmbeddingSubstitute(alpha=0.1, top_k=10, min_similarity=0.0, vocab_limit=WORDS, n_aug=1, keep_original=False)
    rows = []
    started = time.perf_counter()
    augment_dataset(ds, ours, load_from_cache_file=False)
    rows.append(("textaug EmbeddingSubstitute, cold (table built)", time.perf_counter() - started))
    started = time.perf_counter()
    augment_dataset(ds, ours, load_from_cache_file=False)
    rows.append(("textaug EmbeddingSubstitute, warm", time.perf_counter() - started))
    runtime._RESOURCES.clear()

    path = glove_text_file(WORDS)
    started = time.perf_counter()
    peer = naw.WordEmbsAug(model_type="glove", model_path=str(path), action="substitute", aug_p=0.1, top_k=10)
    load = time.perf_counter() - started
    started = time.perf_counter()
    peer.augment(list(texts))
    rows.append((f"nlpaug WordEmbsAug substitute (+{load:.1f} s loading)", time.perf_counter() - started))

    print(f"\nembedding substitution, {len(texts):,} SST-2 sentences, GloVe 6B 50-d top {WORDS:,} words, "
          "10% of words, top-10 neighbours, 1 output each, one process")
    print(f"{'contender':<52}{'seconds':>10}{'sentences/s':>13}")
    for label, seconds in rows:
        print(f"{label:<52}{seconds:>10.2f}{len(texts) / seconds:>13,.0f}")
    print(f"\nEmbeddingSubstitute/nlpaug: {rows[2][1] / rows[0][1]:.1f}x cold, {rows[2][1] / rows[1][1]:.1f}x warm "
          "(target 10x)")


if __name__ == "__main__":
    main()
