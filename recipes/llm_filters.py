"""How often the packaged SmolLM2's paraphrases keep their label, as the filters measure it.

    python recipes/llm_filters.py --data-dir ../shared/data/eda                # SST-2 K=16, TREC K=8
    python recipes/llm_filters.py --data-dir ../shared/data/eda --task sst2 --k 16 --judge-rows 2000

Per task: a judge (MiniLM fine-tuned on ``--judge-rows`` training rows that are not among the
sources, a fixed budget, last weights; its test accuracy reported) and the sources (the few-shot
recipe's K-per-class draw of seed 0, so these are the very rows its LLM conditions paraphrased).
Each source gets ``oversample * n_aug`` paraphrases from ``llm-paraphrase:n_aug=4,
max_new_tokens=64`` through ``Filtered`` with the similarity filter the recipe's filtered condition
uses and a confidence filter on the judge (the source's label at probability >= 0.5, i.e. the
judge's choice for two classes, at least even odds for more). The filter stats give each filter's
refusals per label; the label-keep rate is 1 - the confidence filter's refusals / candidates,
beside the judge's own agreement with the gold labels of the sources (its ceiling). Nothing is
selected on the test file: it only scores the judge. Writes ``results.json`` and ``results.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fewshot import LLM, kshot, load_task  # noqa: E402  (recipes are scripts, side by side)

SIMILARITY = {"min_sim": 0.6, "max_sim": 0.98}  # the few-shot recipe's llm-sim condition
TAU = 0.5
DEFAULT_RUNS = (("sst2", 16), ("trec", 8))


def judge(pool, sources, test, rows: int, folder: Path) -> float:
    """MiniLM fine-tuned on ``rows`` stratified pool rows outside ``sources`` (the trainer's default
    10% of them held out, unused: the last weights of 2 epochs are kept); its test accuracy."""
    from textaug.config import TrainConfig
    from textaug.data import stratified_sample
    from textaug.training.pipeline import train

    taken = set(sources["text"])
    rest = pool.filter(lambda r: r["text"] not in taken)
    rest = rest.class_encode_column("label") if not hasattr(rest.features["label"], "names") else rest
    rows = stratified_sample(rest, rows, seed=0)
    config = TrainConfig(model="minilm", seed=0, epochs=2, select="last", batch_size=32, max_length=64,
                         output_dir=str(folder))
    result = train(config, train_dataset=rows, test_dataset=test, quiet=True)
    return result.record.test.accuracy


def measure(task: str, k: int, data_dir: Path, judge_rows: int, work: Path) -> dict:
    from textaug import Filtered, SimilarityFilter, augment_dataset
    from textaug.augment.dataset import filter_stats
    from textaug.augment.recipes import build_augmenter
    from textaug.confidence import ConfidenceFilter
    from textaug.predict import load

    pool, test = load_task(task, data_dir)
    sources = kshot(pool, k, seed=0)
    folder = work / f"judge-{task}"  # a model folder: kept out of the results
    began = time.perf_counter()
    accuracy = judge(pool, sources, test, judge_rows, folder)
    judged = time.perf_counter() - began
    clf = load(folder)
    agree = sum(str(p) == str(y) for p, y in zip(clf.predict(sources["text"]), sources["label"])) / len(sources)
    paraphrase = build_augmenter(LLM)
    filters = (SimilarityFilter(**SIMILARITY), ConfidenceFilter(model_dir=str(folder), tau=TAU))
    aug = Filtered(paraphrase, filters=filters, oversample=2)
    began = time.perf_counter()
    stats = filter_stats(augment_dataset(sources, aug, batch_size=16))
    seconds = time.perf_counter() - began
    per_label = Counter(str(y) for y in sources["label"])
    per_source = aug.oversample * paraphrase.n_aug
    candidates = {label: per_source * n for label, n in per_label.items()}
    refused = stats["refused_by_filter"]
    keep = {label: 1 - refused.get("confidence", {}).get(label, 0) / n for label, n in sorted(candidates.items())}
    return {"task": task, "k": k, "judge_rows": judge_rows, "judge_test_accuracy": accuracy,
            "judge_agrees_with_sources": agree, "judge_seconds": round(judged, 1), "llm_seconds": round(seconds, 1),
            "candidates_per_source": per_source, "candidates_by_label": candidates, "label_keep_rate": keep,
            "label_keep_rate_all": 1 - sum(refused.get("confidence", {}).values()) / sum(candidates.values()),
            "filter_stats": stats}


def report(results: list[dict]) -> str:
    per_source = ", ".join(sorted({str(r["candidates_per_source"]) for r in results}))
    intro = (f"SmolLM2-135M-Instruct paraphrases (`{LLM}`, {per_source} candidates per source) of the "
             f"few-shot recipe's seed-0 draw, judged by MiniLM fine-tuned on other training rows; similarity filter "
             f"{SIMILARITY['min_sim']}-{SIMILARITY['max_sim']}, confidence filter tau {TAU}.")
    head = ("| task | K | sources | candidates | judge test acc. | judge agrees with the sources' labels | "
            "label kept (confidence filter passes), all | per label | similarity refused | both filters passed |")
    lines = [intro, "", head, "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        s = r["filter_stats"]
        total = sum(r["candidates_by_label"].values())
        sim = sum(s["refused_by_filter"].get("similarity", {}).values())
        passed = total - s["dropped"]
        per = ", ".join(f"{label}: {rate:.0%}" for label, rate in r["label_keep_rate"].items())
        sources = total // r["candidates_per_source"]
        lines.append(f"| {r['task']} | {r['k']} | {sources} | {total} | {r['judge_test_accuracy']:.1%} | "
                     f"{r['judge_agrees_with_sources']:.0%} | {r['label_keep_rate_all']:.1%} | {per} | "
                     f"{sim / total:.1%} | {passed / total:.1%} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, required=True, help="../shared/data/eda (sst2/, trec/, subj/)")
    p.add_argument("--task", nargs="+", default=None, help="tasks (default: sst2 at K=16 and trec at K=8)")
    p.add_argument("--k", type=int, default=None, help="K per class for every --task")
    p.add_argument("--judge-rows", type=int, default=2000)
    p.add_argument("--output-dir", type=Path, default=HERE / "results" / "llm-filters")
    args = p.parse_args()
    if (args.task is None) != (args.k is None):
        raise SystemExit("give --task and --k together (or neither, for the default runs)")
    runs = DEFAULT_RUNS if args.task is None else [(t, args.k) for t in args.task]
    args.output_dir.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory() as work:
        for task, k in runs:
            results.append(measure(task, k, args.data_dir, args.judge_rows, Path(work)))
            print(json.dumps({key: v for key, v in results[-1].items() if key != "filter_stats"}), flush=True)
    (args.output_dir / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    text = report(results)
    (args.output_dir / "results.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
