"""``train()``: the stages of a training run, in order, each a call to a module with one job.

    check options and folders -> prepare_data (roles; validation carved before augmentation)
    -> augment the training rows -> build_model (the kind's registry entry) -> encode
    -> fit (the Accelerate loop) -> evaluate the test data once -> save_model_folder -> report

Everything that can be checked runs before the first training step.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import atomic_folder
from ..augment.dataset import augment_dataset, augmentation_stats, describe_unchanged
from ..augment.recipes import augmenter_tags, build_augmenter
from ..card import build_model_card, framework_versions
from ..config import Select, TrainConfig
from ..metrics import format_metrics
from ..models import get_kind
from ..predict import TextClassifier
from .batches import EncodedRows, make_loader
from .budget import unvalidated_config
from .checkpoints import read_resume_state
from .consistency import Consistency
from .contrastive import Contrastive, fit_logistic_head
from .data import encode_rows, load_unlabeled, prepare_data
from .defaults import with_defaults
from .evaluation import evaluate
from .features import HeadOnFeatures, compute_features, with_features
from .fit import fit
from .folder import (
    CHECKPOINTS_DIR,
    TRAINING_CURVES_FILE,
    check_output_dir,
    save_model_folder,
    save_training_curves,
)
from .objectives import supervised_objective
from .record import RunRecord, Scores, Selection, TrainingFacts

if TYPE_CHECKING:
    from datasets import Dataset

    from ..predict import TextClassifier
    from .data import PreparedData
    from .fit import Callback, FitResult
    from .objectives import Objective

__all__ = ["train", "TrainResult"]


@dataclass
class TrainResult:
    #: the model folder, or None for a run kept in memory (``save=False``)
    output_dir: Path | None
    #: what was scored (``test``: the result), selected on (``validation``) and trained (``training``)
    record: RunRecord
    classifier: "TextClassifier"
    fit: "FitResult"
    data: "PreparedData"
    #: the rows trained on (augmented, with ``aug_op`` / ``aug_source`` when a recipe was applied)
    train_rows: "Dataset"

    @property
    def metrics(self) -> dict[str, Any]:
        """The record as the model folder's metrics.json holds it (string keys)."""
        return self.record.to_dict()

    @property
    def history(self) -> list[dict[str, Any]]:
        return self.fit.history

    @property
    def stopped_early(self) -> bool:
        return self.fit.stopped_early


def _launched_without_accelerator() -> bool:
    """True for a multi-process launch (torchrun, ``accelerate launch --num_processes N``) on a
    machine with no GPU. accelerate then needs ``cpu=True`` to join the processes with gloo;
    without it each process would silently train alone and all of them would write the same folder.
    """
    import os

    import torch

    world = max(int(os.environ.get(v, 1) or 1) for v in ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE"))
    if world <= 1:
        return False
    has_device = getattr(torch, "accelerator", None)
    return not (has_device.is_available() if has_device is not None else torch.cuda.is_available())


def _augment(config: TrainConfig, train: "Dataset", accelerator):
    """(augmenter or None, the rows to train on). Only training rows are ever augmented."""
    if not config.augment:
        return None, train
    augmenter = build_augmenter(config.augment, alpha=config.alpha, n_aug=config.n_aug, seed=config.seed,
                                column="text", keep_original=True)
    with accelerator.main_process_first():
        return augmenter, augment_dataset(train, augmenter, num_proc=config.num_proc, desc="augmenting")


def _asks_for_an_objective(config: TrainConfig) -> bool:
    return bool(config.mixup is not None or config.feature_noise or config.feature_interpolate or config.consistency)


def _objective(config: TrainConfig, built, train_rows, augmenter, unlabeled, encoded_train) -> "Objective":
    """The objective the config asks for: the contrastive stage, consistency training around
    cross-entropy, or the supervised objective (cross-entropy, mixup, feature-space)."""
    if config.contrastive:
        return Contrastive(rows=encoded_train, pad_id=built.encoder.pad_id, loss=config.contrastive_loss,
                           temperature=config.contrastive_temperature, pairs_per_row=config.contrastive_pairs)
    if not config.consistency:
        return supervised_objective(config)
    return Consistency(
        augmenter=augmenter, encoder=built.encoder, train_texts=list(train_rows["text"]), seed=config.seed,
        weight=config.consistency, threshold=config.uda_threshold, temperature=config.uda_temperature,
        tsa=config.tsa, unlabeled_ratio=config.unlabeled_ratio,
        unlabeled_texts=None if unlabeled is None else unlabeled.texts,
        unlabeled_described=None if unlabeled is None else unlabeled.described, recipe=config.consistency_augment)


def _cache_features(config: TrainConfig, kind, built, train_rows, validation_rows, accelerator, say):
    """(the head over cached features, the training and validation rows with their features):
    the frozen encoder runs once per row here instead of once per row per epoch in fit."""
    import time

    encode, head = kind.feature_head(built.model)
    began = time.perf_counter()
    built.model.to(accelerator.device)
    cached = [None if rows is None else with_features(rows, compute_features(
        encode, built.model, rows, built.encoder.pad_id, config.eval_batch_size, accelerator.device).cpu())
        for rows in (train_rows, validation_rows)]
    say(f"encoder features cached for {len(train_rows):,} training"
        f"{'' if validation_rows is None else f' and {len(validation_rows):,} validation'} rows "
        f"in {time.perf_counter() - began:.1f} s")
    return HeadOnFeatures(built.model, head), cached[0], cached[1]


def _contrastive_head(config: TrainConfig, built, encoded_train, encoded_val, result, accelerator, names, say):
    """Stage 2 of the contrastive stage: the head fitted on the frozen embeddings, then the
    validation data (when given) evaluated once on the final model: with no head before this
    point, nothing was selected on it."""
    import time

    began = time.perf_counter()
    head = fit_logistic_head(built.model, encoded_train, pad_id=built.encoder.pad_id,
                             batch_size=config.eval_batch_size, accelerator=accelerator, seed=config.seed)
    say(f"contrastive stage: {result.global_step:,} pair steps, then a logistic-regression head on the "
        f"embeddings of {head['rows']:,} training rows ({time.perf_counter() - began:.1f} s); the last weights kept")
    if encoded_val is not None:
        loader, _ = make_loader(encoded_val, config.eval_batch_size, built.encoder.pad_id, config.seed, shuffle=False)
        result.validation = evaluate(accelerator, built.model, accelerator.prepare(loader), names)
        if result.history and result.history[-1]["step"] == result.global_step:
            result.history[-1].update({k: result.validation[k] for k in ("accuracy", "macro_f1", "loss")})
    return head


@contextlib.contextmanager
def _datasets_bars(show: bool) -> Iterator[None]:
    """datasets' map/filter progress bars off for a quiet run, restored after it."""
    from datasets.utils import logging as ds_logging

    was_on = ds_logging.is_progress_bar_enabled()
    if not show and was_on:
        ds_logging.disable_progress_bar()
    try:
        yield
    finally:
        if not show and was_on:
            ds_logging.enable_progress_bar()


def train(config: TrainConfig, *, train_dataset: Any = None, validation_dataset: Any = None, test_dataset: Any = None,
          eval_dataset: Any = None, unlabeled_dataset: Any = None, callbacks: Sequence["Callback"] = (),
          objective: "Objective | None" = None, quiet: bool = False, save: bool = True,
          tuned: dict[str, Any] | None = None) -> TrainResult:
    """Train, select, test once and save a classifier as ``config`` says.

    ``train_dataset`` / ``validation_dataset`` / ``test_dataset`` (a ``Dataset`` or ``DatasetDict``)
    replace ``config.train`` / ``config.validation`` / ``config.test``; ``eval_dataset`` is a
    deprecated alias of ``test_dataset``. ``unlabeled_dataset`` (a Dataset, DatasetDict or list of
    texts) replaces ``config.unlabeled`` for consistency training. ``callbacks`` receive
    :class:`~textaug.training.fit.Event`s and may stop training by returning True. ``objective``
    defaults to the one the config asks for (cross-entropy, mixup, feature-space, consistency).

    ``quiet=True`` prints nothing (no tables, no progress bars). ``save=False`` keeps the model in
    memory (``result.classifier``) and writes nothing at all: no model folder, no checkpoints (the
    best weights are held in memory), so ``output_dir`` is ignored and the run cannot be resumed.
    ``tuned`` is ``textaug tune``'s report when the configuration came from its file: it is recorded
    in training_config.json and the model card says the augmentation was chosen by tune.
    """
    if not save and (config.resume or config.keep_checkpoints):
        raise ValueError("a run kept in memory (save=False) writes no checkpoints: it cannot resume or keep them")
    with _datasets_bars(not quiet):
        return _train(config, train_dataset, validation_dataset, test_dataset, eval_dataset, unlabeled_dataset,
                      callbacks, objective, quiet, save, tuned)


def _train(config: TrainConfig, train_dataset: Any, validation_dataset: Any, test_dataset: Any, eval_dataset: Any,
           unlabeled_dataset: Any, callbacks: Sequence["Callback"], objective: "Objective | None", quiet: bool,
           save: bool, tuned: dict[str, Any] | None) -> TrainResult:
    from accelerate import Accelerator
    from accelerate.utils import set_seed

    if eval_dataset is not None:
        if test_dataset is not None:
            raise ValueError("eval_dataset is a deprecated alias of test_dataset; give only test_dataset")
        warnings.warn("eval_dataset is deprecated: it is an alias of test_dataset", FutureWarning, stacklevel=2)
        test_dataset = eval_dataset
    if objective is not None and _asks_for_an_objective(config):
        raise ValueError("an objective was passed and the config asks for one too (mixup, feature-space or "
                         "consistency options): give one or the other")

    # 1. Checks that need no data: the output folder, the model source or vectors, a resumable state.
    output_dir = check_output_dir(config.output_dir) if save else None
    kind = get_kind(config.kind)
    kind.check(config)
    checkpoint_dir = output_dir / CHECKPOINTS_DIR if output_dir is not None else None

    # 2. Data in its three roles, checked; then the training rows alone are augmented.
    data = prepare_data(config, train_dataset, validation_dataset, test_dataset)
    budget_note = None
    if data.validation is None and config.select is Select.BEST:  # too few rows to carve validation from
        config, budget_note = unvalidated_config(config, len(data.train), len(data.labels),
                                                 objective_given=objective is not None)
    config = with_defaults(config)  # the lr and epochs that run, written into training_config.json
    # read after the data: a run too small to validate resumes under the configuration it trained with
    resume_state = read_resume_state(config, checkpoint_dir) if checkpoint_dir is not None else None
    unlabeled = load_unlabeled(config, unlabeled_dataset) if config.consistency else None
    if unlabeled_dataset is not None and not config.consistency:
        raise ValueError("unlabeled data is used only by consistency training: set consistency (e.g. 1.0)")
    consistency_augmenter = None
    if config.consistency:
        # external tools (Apertium) checked now, not at the first step
        consistency_augmenter = build_augmenter(config.consistency_augment, n_aug=1, seed=config.seed,
                                                keep_original=False)
    accelerator = Accelerator(mixed_precision=config.mixed_precision, gradient_accumulation_steps=config.grad_accum,
                              cpu=_launched_without_accelerator())
    set_seed(config.seed)
    say = (lambda *args: None) if quiet else accelerator.print
    if budget_note is not None:
        say(budget_note)
    augmenter, train_rows = _augment(config, data.train, accelerator)
    if augmenter is not None and describe_unchanged(train_rows):
        say(describe_unchanged(train_rows))

    # 3. The model, and every role encoded by it.
    built = kind.build(config, data.label_names, train_rows["text"])
    encoded_train = EncodedRows.from_dataset(encode_rows(train_rows, built.encoder, "tokenizing training rows"))
    encoded_val = (EncodedRows.from_dataset(encode_rows(data.validation, built.encoder, "tokenizing validation rows"))
                   if data.validation is not None else None)

    objective = objective or _objective(config, built, train_rows, consistency_augmenter, unlabeled, encoded_train)
    if config.contrastive:
        # stage 1 trains the encoder alone: the head is fitted after it, so it takes no gradient
        # (and DDP sees no parameter without one)
        for p in built.model.classifier.parameters():
            p.requires_grad_(False)
    fit_model, fit_train, fit_val = built.model, encoded_train, encoded_val
    if config.cache_features:
        fit_model, fit_train, fit_val = _cache_features(config, kind, built, encoded_train, encoded_val, accelerator, say)

    # 4. Fit: the loop, validation-based selection.
    if resume_state is not None:
        say(f"resuming from {checkpoint_dir / 'last'}: epoch {resume_state['epoch'] + 1}, "
            f"step {resume_state['global_step']}")
    elif config.resume:
        say(f"no checkpoint in {checkpoint_dir / 'last'}; starting from the beginning")
    result = fit(fit_model, fit_train, config=config, accelerator=accelerator, objective=objective,
                 groups=built.groups, head=built.head, pad_id=built.encoder.pad_id, names=data.label_names,
                 validation_rows=None if config.contrastive else fit_val, checkpoint_dir=checkpoint_dir,
                 resume_state=resume_state, callbacks=callbacks, progress=not quiet)
    model = accelerator.unwrap_model(built.model)
    head = None
    if config.contrastive:
        head = _contrastive_head(config, built, encoded_train, encoded_val, result, accelerator, data.label_names, say)

    # 5. The test data, once, on the kept weights: built only now, so it cannot touch training.
    test_scores = None
    if data.test is not None:
        encoded_test = EncodedRows.from_dataset(encode_rows(data.test, built.encoder, "tokenizing test rows"))
        loader, _ = make_loader(encoded_test, config.eval_batch_size, built.encoder.pad_id, config.seed, shuffle=False)
        test_scores = Scores.from_metrics(data.described["test"], evaluate(accelerator, built.model,
                                                                           accelerator.prepare(loader), data.label_names))

    # 6. The record, and the model folder written by the main process.
    record = RunRecord(
        test=test_scores,
        validation=None if result.validation is None else Selection(
            Scores.from_metrics(data.described["validation"], result.validation), config.select.value, config.metric,
            result.selected_step, result.history),
        training=TrainingFacts(
            data=data.described["train"], examples=len(train_rows), original_examples=len(data.train),
            steps=result.global_step, examples_seen=result.examples_seen, stopped_early=result.stopped_early,
            stopped_by_callback=result.stopped_by_callback, processes=accelerator.num_processes,
            seconds=result.seconds, loop_seconds=result.loop_seconds,
            examples_per_second=result.examples_per_second,
            loss_history=result.history if result.validation is None else None))
    if output_dir is not None:
        training = {
            "config": config.to_dict(),
            "labels": data.labels,
            "kind": kind.name,
            "objective": {**objective.config(), **({"fitted_head": head} if head is not None else {})},
            "augmentation": None if augmenter is None else {"recipe": config.augment, "tags": augmenter_tags(augmenter),
                                                             **augmenter.config(),
                                                             "rows_by_operation": augmentation_stats(train_rows)},
            "model": built.provenance,
            "data": {"described": data.described, "hub_ids": data.hub_ids},
            "versions": framework_versions(),
            **({"tuned": tuned} if tuned is not None else {}),
            **({"unvalidated": budget_note} if budget_note is not None else {}),
        }
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            # Written into a staging folder and moved in at the end: Ctrl-C while saving leaves the
            # folder as it was (an earlier model stays whole), never a new config with old weights.
            with atomic_folder(output_dir) as staging:
                training["curves"] = TRAINING_CURVES_FILE if save_training_curves(
                    staging / TRAINING_CURVES_FILE, result.history, config.metric,
                    result.selected_step if result.validation is not None else None) else None
                save_model_folder(staging, model, built.encoder, training, record.to_dict(),
                                  build_model_card(config, training, record))
            if not config.keep_checkpoints:
                import shutil

                shutil.rmtree(checkpoint_dir, ignore_errors=True)
        accelerator.wait_for_everyone()

    # 7. The report: which figures were selected on, which are the result.
    if result.validation is not None:
        say(format_metrics(result.validation, title=f"validation ({data.described['validation']}; "
                           f"{'selected' if config.select.value == 'best' else 'final'} weights, "
                           f"step {result.selected_step}) - used for selection, not a result:"))
    if test_scores is not None:
        say(format_metrics(test_scores.metrics(), title=f"TEST ({data.described['test']}; evaluated once, "
                           "never used in training) - the result:"))
    elif result.validation is not None:
        say("no test data given (--test): the validation figures above are optimistic")
    else:
        say("no test data given (--test) and no validation data: nothing was evaluated")
    say(f"trained on {len(train_rows):,} rows ({len(data.train):,} original) for {result.global_step:,} steps "
        f"in {result.seconds:.0f} s ({result.examples_per_second or 0:.1f} examples/s while training); "
        + (f"model written to {output_dir}" if output_dir is not None else "model kept in memory, nothing written"))
    classifier = TextClassifier(model.eval(), built.encoder, data.labels)
    accelerator.end_training()
    return TrainResult(output_dir, record, classifier, result, data, train_rows)
