"""The training configuration: one validated dataclass, from which the CLI options are generated."""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any

from .augment.recipes import build_augmenter, recipe_names

__all__ = ["Strategy", "Select", "MixLayer", "TSA", "ContrastiveLoss", "TrainConfig", "MODEL_KINDS", "ALIASES", "kind_name", "CONTRASTIVE_LR", "METRICS", "field_kind", "option_from_text", "option_from_value", "NONE_TEXT"]

#: Metrics a run can select its best checkpoint and stop early on.
METRICS = ("accuracy", "macro_f1", "loss")

#: Evaluations without improvement before stopping, when the config leaves ``patience`` unset.
DEFAULT_PATIENCE = 3


class Strategy(str, Enum):
    """How much of the pretrained model is trained."""

    FINETUNE = "finetune"  # every weight, from the first step
    FEATURE_EXTRACTION = "feature-extraction"  # pretrained part frozen; only the new head learns
    GRADUAL = "gradual"  # ULMFiT: head first, then `unfreeze_per_epoch` more top groups each epoch


class Select(str, Enum):
    """Which weights become the model."""

    BEST = "best"  # the evaluation with the best validation metric (needs validation data)
    LAST = "last"  # the final weights after the whole budget (the fixed-budget protocol of papers)


class MixLayer(str, Enum):
    """Where mixup interpolates."""

    INPUT = "input"  # the word embeddings (the two texts' attention masks united)
    POOLED = "pooled"  # the pooled representation the classification layer sees


class TSA(str, Enum):
    """Training-signal annealing schedules of consistency training (UDA): how fast the threshold
    above which a labeled example is left out rises from 1/K to 1."""

    LINEAR = "linear"
    EXP = "exp"  # late: most of the supervised signal held back until the end
    LOG = "log"  # early
    NONE = "none"


class ContrastiveLoss(str, Enum):
    """The pair loss of the contrastive stage (see :mod:`textaug.training.contrastive`)."""

    COSINE = "cosine"  # SetFit's: (cos(u, v) - target)^2 over positive and negative pairs
    SUPCON = "supcon"  # supervised contrastive (Khosla et al. 2020) over the batch, positives only drawn
    PAIRWISE = "pairwise"  # SetFit's cosine target over every pair of the batch, positives and negatives weighed equally


#: The model kinds (:mod:`textaug.models` holds a module of each name).
MODEL_KINDS = ("transformer", "bilstm", "cnn")

#: Short model names the CLI and TrainConfig accept -> kind. Anything else names a transformer
#: checkpoint (a hub id or a local folder).
ALIASES = {
    "minilm": "transformer",
    "mpnet": "transformer",  # all-mpnet-base-v2, opt in (make mpnet)
    "lstm-glove": "bilstm",
    "cnn-glove": "cnn",
}


def kind_name(model: str) -> str:
    """The kind a model name selects: an alias's kind, else ``transformer``."""
    return ALIASES.get(str(model), "transformer")


#: The learning rate of the contrastive stage when ``lr`` is unset. 8e-5, four times SetFit's body
#: learning rate: with 20 partners per row it scored best of six settings on rows held out of the
#: training files (RESULTS §2a), at half the passes of SetFit's pair budget; fixed before the
#: test seeds that report it were run.
CONTRASTIVE_LR = 8e-5


def _help(text: str, **extra: Any) -> dict[str, Any]:
    return {"help": text, **extra}


@dataclass(kw_only=True)
class TrainConfig:
    """Everything a training run depends on; saved beside the model as ``training_config.json``."""

    train: str | None = field(default=None, metadata=_help(
        "training data: a csv/tsv/jsonl/parquet file, a hub dataset id, or builtin:rotten_tomatoes "
        "(or pass a Dataset in Python)"))
    validation: str | None = field(default=None, metadata=_help(
        "validation data (same forms), the only data used to select the checkpoint and stop early; "
        "default: a stratified `validation_fraction` of the training rows, held out before augmentation"))
    test: str | None = field(default=None, metadata=_help(
        "test data (same forms): evaluated once, on the final model, and reported; never used in training"))
    eval: str | None = field(default=None, metadata=_help("deprecated alias of --test"))
    train_split: str = field(default="train", metadata=_help("split of a hub dataset used for training"))
    validation_split: str = field(default="validation", metadata=_help("split of a hub dataset used for validation"))
    test_split: str = field(default="test", metadata=_help("split of a hub dataset used for testing"))
    header: bool = field(default=True, metadata=_help("csv/tsv files have a header row (--no-header: columns are label, text)"))
    text_column: str = field(default="text", metadata=_help("column holding the texts"))
    label_column: str = field(default="label", metadata=_help("column holding the labels"))
    labels_are_classes: bool = field(default=False, metadata=_help(
        "train on labels that look like a regression target (fractional numbers, or distinct labels for more "
        "than half of the rows) as classes; refused without it"))
    dataset_name: str | None = field(default=None, metadata=_help(
        "dataset name for the model card; listed in its `datasets` when it looks like a hub id "
        "(default: the training data's hub id, or its file name)"))
    train_samples: int | None = field(default=None, metadata=_help(
        "train on a stratified, seeded sample of this many rows (before augmentation)"))
    validation_fraction: float = field(default=0.1, metadata=_help(
        "share of the training rows held out for validation when no validation data is given"))

    model: str = field(default="minilm", metadata=_help(
        "minilm (packaged all-MiniLM-L6-v2), mpnet (all-mpnet-base-v2, opt in: make mpnet), "
        "lstm-glove (BiLSTM), cnn-glove (the EDA paper's CNN), "
        "or a transformers hub id / local folder"))
    vectors: str | None = field(default=None, metadata=_help(
        "lstm-glove/cnn-glove: glove-6b-50d (default), spacy-md (300-d), or a GloVe/word2vec text file"))
    vocab_budget: int = field(default=20000, metadata=_help(
        "lstm-glove/cnn-glove: most frequent words of the vectors kept besides the training words"))
    lstm_hidden: int = field(default=128, metadata=_help("lstm-glove: hidden units per direction"))
    cnn_filters: int = field(default=128, metadata=_help("cnn-glove: convolution filters"))
    cnn_width: int = field(default=5, metadata=_help("cnn-glove: convolution width in words"))
    cnn_dense: int = field(default=20, metadata=_help("cnn-glove: units of the dense layer after pooling"))
    dropout: float = field(default=0.3, metadata=_help("lstm-glove/cnn-glove: dropout on vectors and pooled features"))

    augment: str | None = field(default=None, metadata=_help(
        "augmentation applied to the training rows only: a recipe or spec NAME[:field=value,...], e.g. "
        f"eda:alpha=0.05,n_aug=16; A+B in turn, A|B one of; recipes: {', '.join(recipe_names())}"))
    alpha: float | None = field(default=None, metadata=_help("the recipe's rate (default: the recipe's own)"))
    n_aug: int = field(default=4, metadata=_help("augmented rows per training row"))
    num_proc: int | None = field(default=None, metadata=_help("processes for augmentation"))

    mixup: float | None = field(default=None, metadata=_help(
        "mixup (Zhang et al. 2018): interpolate pairs of training examples and their one-hot labels with "
        "lambda ~ Beta(ALPHA, ALPHA); 0.2-0.4 is usual (default: off)"))
    mixup_layer: MixLayer = field(default=MixLayer.INPUT, metadata=_help(
        "where mixup interpolates: input (word embeddings) or pooled (the representation the classifier sees)"))
    feature_noise: float = field(default=0.0, metadata=_help(
        "feature-space augmentation: standard deviation of Gaussian noise added to the pooled features "
        "while training (0 = off)"))
    feature_interpolate: float = field(default=0.0, metadata=_help(
        "feature-space augmentation: probability that a row's pooled features move a random share of the way "
        "to another same-class row's of the batch (0 = off)"))
    cache_features: bool = field(default=False, metadata=_help(
        "with --strategy feature-extraction and a transformer: compute the frozen encoder's features once "
        "(without dropout) and train the head on them, many epochs in seconds"))
    consistency: float = field(default=0.0, metadata=_help(
        "consistency training (UDA): weight LAMBDA of the KL divergence between the predictions on an example "
        "and on an augmented copy, added to the supervised loss (0 = off)"))
    consistency_augment: str = field(default="eda", metadata=_help(
        "consistency training: the recipe (spec) that makes the augmented copies, on the fly, new each epoch"))
    uda_threshold: float = field(default=0.45, metadata=_help(
        "consistency training: only examples whose prediction on the original is at least this confident count"))
    uda_temperature: float = field(default=0.85, metadata=_help(
        "consistency training: the prediction on the original is sharpened by this softmax temperature "
        "(1 = not sharpened)"))
    tsa: TSA = field(default=TSA.LINEAR, metadata=_help(
        "consistency training: training-signal annealing of the supervised loss: linear, exp, log or none"))
    unlabeled: str | None = field(default=None, metadata=_help(
        "consistency training: texts without labels (a file, a hub dataset id, builtin:...; its `text_column`), "
        "used only in the consistency term (default: the labeled batch's own copies)"))
    unlabeled_split: str = field(default="train", metadata=_help("split of a hub dataset used as unlabeled data"))
    unlabeled_samples: int | None = field(default=None, metadata=_help(
        "consistency training: use a seeded sample of this many unlabeled texts"))
    unlabeled_ratio: int = field(default=3, metadata=_help(
        "consistency training: unlabeled examples per labeled example in each step"))

    contrastive: bool = field(default=False, metadata=_help(
        "transformers: the contrastive stage (SetFit's method) instead of cross-entropy: the mean-pooled encoder "
        "trained on pairs of training rows (same label close, different labels apart; a row's own augmented "
        "copies as extra positives), then a logistic-regression head on the frozen embeddings; a fixed pair "
        "budget, the last weights kept"))
    # 20 at CONTRASTIVE_LR: half SetFit's pair budget (num_iterations=20 draws 40 pairs per row),
    # chosen over 40 at SetFit's lr and over the pairwise loss on rows held out of the training
    # files (RESULTS §2a), never on test data
    contrastive_pairs: int = field(default=20, metadata=_help(
        "contrastive: partners drawn per training row, one per pass (the stage's budget; --max-steps overrides)"))
    contrastive_loss: ContrastiveLoss = field(default=ContrastiveLoss.COSINE, metadata=_help(
        "contrastive: cosine (SetFit's pair loss on each drawn pair), pairwise (the same target on every pair "
        "of the batch, positives and negatives weighed equally) or supcon (supervised contrastive over the batch)"))
    contrastive_temperature: float = field(default=0.07, metadata=_help("contrastive with supcon: the temperature"))

    strategy: Strategy = field(default=Strategy.FINETUNE, metadata=_help("finetune, feature-extraction or gradual"))
    unfreeze_per_epoch: int = field(default=2, metadata=_help("gradual: pretrained layer groups unfrozen per epoch"))
    layer_lr_decay: float = field(default=1.0, metadata=_help(
        "learning rate multiplier per layer down from the top (1 = none; 0.8-0.95 is usual)"))

    epochs: int | None = field(default=None, metadata=_help(
        "passes over the (augmented) training data (default: 3 transformers, 20 lstm-glove/cnn-glove)"))
    max_steps: int | None = field(default=None, metadata=_help(
        "optimizer steps to train; overrides epochs (a budget that compares fairly across data sizes)"))
    lr: float | None = field(default=None, metadata=_help(
        "peak learning rate (default: 5e-5 transformers, 2e-3 lstm-glove, 1e-3 cnn-glove)"))
    batch_size: int = field(default=16, metadata=_help("training examples per step per process"))
    eval_batch_size: int = field(default=64, metadata=_help("examples per evaluation batch"))
    max_length: int = field(default=128, metadata=_help("tokens kept per text (at least 8)"))
    weight_decay: float = field(default=0.01, metadata=_help("AdamW weight decay (not on biases and norms)"))
    warmup_ratio: float = field(default=0.1, metadata=_help("share of steps with linear learning-rate warm-up"))
    max_grad_norm: float = field(default=1.0, metadata=_help("gradient clipping norm (0 = none)"))
    grad_accum: int = field(default=1, metadata=_help("gradient accumulation steps"))
    mixed_precision: str = field(default="no", metadata=_help("no, fp16 or bf16", choices=("no", "fp16", "bf16")))
    group_by_length: bool = field(default=True, metadata=_help(
        "batch texts of similar length together, so dynamic padding pads little"))

    eval_steps: int | None = field(default=None, metadata=_help(
        "evaluate on the validation data every N optimizer steps (default: each epoch)"))
    select: Select = field(default=Select.BEST, metadata=_help(
        "best: keep the weights of the best validation evaluation; last: the final weights (no validation needed)"))
    metric: str = field(default="accuracy", metadata=_help(
        f"validation metric for the best checkpoint and early stopping: {', '.join(METRICS)}", choices=METRICS))
    patience: int | None = field(default=None, metadata=_help(
        f"stop after N validation evaluations without improvement; 0 = never (default: {DEFAULT_PATIENCE} "
        "with --select best, never with --select last)"))
    checkpoint_steps: int = field(default=100, metadata=_help("save a resumable checkpoint every N optimizer steps"))
    keep_checkpoints: bool = field(default=False, metadata=_help("keep output_dir/checkpoints after a finished run"))
    resume: bool = field(default=False, metadata=_help("continue from output_dir/checkpoints/last"))

    seed: int = field(default=0, metadata=_help("seed for augmentation, initialisation, batching and dropout"))
    output_dir: str = field(default="textaug-model", metadata=_help("where the model folder is written"))

    def __post_init__(self) -> None:
        if self.eval is not None:
            if self.test is not None and self.test != self.eval:
                raise ValueError("eval is a deprecated alias of test; give only test")
            warnings.warn("`eval`/--eval is deprecated: it is an alias of `test`/--test (evaluated once, reported); "
                          "checkpoints are selected on `validation`", FutureWarning, stacklevel=3)
            self.test, self.eval = self.eval, None
        for name, enum in (("strategy", Strategy), ("select", Select), ("mixup_layer", MixLayer), ("tsa", TSA),
                           ("contrastive_loss", ContrastiveLoss)):
            try:
                setattr(self, name, enum(getattr(self, name)))
            except ValueError:
                raise ValueError(f"unknown {name} {getattr(self, name)!r}; choose one of {[e.value for e in enum]}") from None
        if isinstance(self.augment, str) and self.augment.strip().lower() == NONE_TEXT:
            self.augment = None  # tune's name for no augmentation, so its candidates read back as given
        if self.augment is not None:
            # every name, field and value of the spec checked now (external tools at training time)
            build_augmenter(self.augment, alpha=self.alpha, n_aug=self.n_aug, seed=self.seed, check=False)
        if self.max_length < 8:
            raise ValueError(f"max_length must be at least 8, got {self.max_length}")
        minimums = {"epochs": 1, "max_steps": 1, "batch_size": 1, "eval_batch_size": 1, "grad_accum": 1, "n_aug": 1,
                    "checkpoint_steps": 1, "unfreeze_per_epoch": 1, "lstm_hidden": 1, "vocab_budget": 0,
                    "cnn_filters": 1, "cnn_width": 1, "cnn_dense": 1, "patience": 0, "contrastive_pairs": 1}
        for name, minimum in minimums.items():
            if getattr(self, name) is not None and getattr(self, name) < minimum:
                raise ValueError(f"{name} must be at least {minimum}, got {getattr(self, name)}")
        if self.lr is not None and not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if not 0 < self.layer_lr_decay <= 1:
            raise ValueError(f"layer_lr_decay must be in (0, 1], got {self.layer_lr_decay}")
        for name in ("warmup_ratio", "dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if not 0 < self.validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in (0, 1), got {self.validation_fraction}")
        if self.weight_decay < 0 or self.max_grad_norm < 0:
            raise ValueError("weight_decay and max_grad_norm must not be negative")
        if self.mixed_precision not in ("no", "fp16", "bf16"):
            raise ValueError(f"mixed_precision must be no, fp16 or bf16, got {self.mixed_precision!r}")
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {self.metric!r}")
        if self.train_samples is not None and self.train_samples < 2:
            raise ValueError(f"train_samples must be at least 2, got {self.train_samples}")
        if self.eval_steps is not None and self.eval_steps < 1:
            raise ValueError(f"eval_steps must be at least 1, got {self.eval_steps}")
        if self.select is Select.LAST and self.patience:
            raise ValueError("patience stops early on validation; with select=last the whole budget is trained")
        self._check_training_objective()
        self._check_consistency()
        self._check_contrastive()
        if self.vectors is not None and self.kind == "transformer":
            raise ValueError(f"vectors apply to the static-vector models (lstm-glove, cnn-glove), not {self.model!r}")

    def _check_training_objective(self) -> None:
        """The training-time augmentation options, alone and together."""
        if self.mixup is not None and not self.mixup > 0:
            raise ValueError(f"mixup (Beta's alpha) must be positive, got {self.mixup}")
        if self.feature_noise < 0:
            raise ValueError(f"feature_noise must not be negative, got {self.feature_noise}")
        if not 0 <= self.feature_interpolate <= 1:
            raise ValueError(f"feature_interpolate is a probability in [0, 1], got {self.feature_interpolate}")
        if self.mixup is not None and (self.feature_noise or self.feature_interpolate):
            raise ValueError("choose mixup or feature-space augmentation (feature_noise, feature_interpolate), not both")
        if self.cache_features:
            if self.strategy is not Strategy.FEATURE_EXTRACTION:
                raise ValueError("cache_features needs strategy feature-extraction (a frozen encoder), "
                                 f"not {self.strategy.value!r}")
            if self.kind != "transformer":
                raise ValueError(f"cache_features needs a pretrained transformer encoder; {self.model!r} trains its "
                                 "recurrent/convolutional layers from scratch, so there are no fixed features to cache")
            if self.mixup is not None and self.mixup_layer is MixLayer.INPUT:
                raise ValueError("with cache_features the word embeddings are not run in training: "
                                 "use mixup_layer pooled")

    def _check_contrastive(self) -> None:
        if not self.contrastive_temperature > 0:
            raise ValueError(f"contrastive_temperature must be positive, got {self.contrastive_temperature}")
        if not self.contrastive:
            return
        if self.kind != "transformer":
            raise ValueError(f"the contrastive stage trains a transformer's sentence embedding; {self.model!r} is "
                             "not a transformer (use minilm or a hub id / folder)")
        others = [name for name, on in (("mixup", self.mixup is not None), ("feature_noise", self.feature_noise),
                                        ("feature_interpolate", self.feature_interpolate),
                                        ("consistency", self.consistency), ("cache_features", self.cache_features))
                  if on]
        if others:
            raise ValueError(f"the contrastive stage is its own objective: leave {', '.join(others)} off")
        if self.strategy is not Strategy.FINETUNE:
            raise ValueError(f"the contrastive stage trains the encoder: strategy {self.strategy.value!r} "
                             "does not apply (leave it at finetune)")
        if self.epochs is not None:
            raise ValueError("the contrastive stage's budget is contrastive_pairs (partners per row, one per "
                             "pass) or max_steps, not epochs")
        if self.patience:
            raise ValueError("the contrastive stage trains a fixed pair budget and keeps the last weights: "
                             "patience does not apply")
        # no validation metric exists before the head is fitted, so nothing can select a checkpoint
        self.select = Select.LAST

    def _check_consistency(self) -> None:
        if self.consistency < 0:
            raise ValueError(f"consistency (the weight of its term) must not be negative, got {self.consistency}")
        if not self.consistency:
            if self.unlabeled is not None:
                raise ValueError("unlabeled data is used only by consistency training: set consistency (e.g. 1.0)")
            return
        if self.mixup is not None or self.feature_noise or self.feature_interpolate:
            raise ValueError("consistency training uses cross-entropy for its supervised part: "
                             "leave mixup and feature-space augmentation off")
        if self.cache_features:
            raise ValueError("consistency training runs the encoder on new augmented copies each step: "
                             "cache_features does not apply")
        build_augmenter(self.consistency_augment, n_aug=1, seed=self.seed, keep_original=False, check=False)
        if not 0 <= self.uda_threshold < 1:
            raise ValueError(f"uda_threshold must be in [0, 1), got {self.uda_threshold}")
        if not self.uda_temperature > 0:
            raise ValueError(f"uda_temperature must be positive, got {self.uda_temperature}")
        for name in ("unlabeled_ratio", "unlabeled_samples"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")

    @property
    def kind(self) -> str:
        """The model kind this config trains (see :mod:`textaug.models`)."""
        return kind_name(self.model)

    @property
    def early_stopping_patience(self) -> int | None:
        """Evaluations without improvement before stopping; None never stops."""
        if self.select is Select.LAST or self.patience == 0:
            return None
        return DEFAULT_PATIENCE if self.patience is None else self.patience

    def to_dict(self) -> dict[str, Any]:
        data = {k: v.value if isinstance(v, Enum) else v for k, v in asdict(self).items()}
        data.pop("eval")  # always folded into `test`
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown training options: {unknown}")
        return cls(**data)


def field_kind(f) -> str:
    """How a TrainConfig field is written as text: "bool", "int", "float" or "str" (an Enum field
    is its value's text). The CLI's options and tune's candidate strings both read fields by it."""
    return "str" if isinstance(f.default, Enum) else str(f.type).replace(" | None", "")


#: The text that sets an optional field to None (``--augment none``, ``lr: none``): tune calls the
#: no-augmentation candidate by the same word.
NONE_TEXT = "none"


def _declared(name: str):
    declared = {f.name: f for f in fields(TrainConfig)}
    if name not in declared:
        raise ValueError(f"unknown training option {name!r}; options are TrainConfig fields")
    return declared[name]


def _optional(f) -> bool:
    return "None" in str(f.type)


def option_from_text(name: str, text: str) -> Any:
    """A TrainConfig field's value from its text, by :func:`field_kind` (``true``/``false``/``1``/``0``
    for a bool, ``none`` for an optional field's None); a clear error for an unknown field or a
    value of the wrong kind."""
    f = _declared(name)
    kind = field_kind(f)
    if _optional(f) and text.strip().lower() == NONE_TEXT:
        return None
    if kind == "str":
        return text
    if kind == "bool":
        if text.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"{name}={text!r} is not true or false")
        return text.lower() in ("true", "1")
    try:
        return {"int": int, "float": float}[kind](text)
    except (KeyError, ValueError):
        raise ValueError(f"{name}={text!r} is not {_KIND_WORDS.get(kind, kind)}") from None


_KIND_WORDS = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a text"}


def option_from_value(name: str, value: Any) -> Any:
    """A TrainConfig field's value from a configuration file (JSON or YAML), typed exactly as its
    command-line flag: text goes through :func:`option_from_text` (so YAML's ``1e-3``, a string
    to YAML 1.1, is the float 0.001), and a value of another type is an error naming the field and
    the type it needs (``batch_size: 1.5``, ``epochs: three``)."""
    f = _declared(name)
    kind = field_kind(f)
    if isinstance(value, str):
        return option_from_text(name, value)
    if value is None:
        if _optional(f):
            return None
        raise ValueError(f"{name} needs {_KIND_WORDS[kind]}, not null")
    fits = {"bool": lambda v: isinstance(v, bool),
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "str": lambda v: False}[kind]
    if not fits(value):
        raise ValueError(f"{name}={value!r} is not {_KIND_WORDS[kind]}")
    return float(value) if kind == "float" else value
