"""Pushing a model folder to the Hugging Face Hub (or any server speaking its API).

The token comes from where huggingface_hub looks: ``token=``, ``HF_TOKEN``, or the saved login. It
is handed to ``HfApi`` and never printed or logged.
"""

from __future__ import annotations

import os

from .sources import require_model_folder
from .training.folder import CARD_FILE, CHECKPOINTS_DIR

__all__ = ["push_to_hub", "IGNORED_FOR_PUSH"]

#: Not uploaded: resumable checkpoints (optimizer state, RNG pickles) and editor debris.
IGNORED_FOR_PUSH = [f"{CHECKPOINTS_DIR}/*", f"{CHECKPOINTS_DIR}/**", ".*", "**/.*", "__pycache__/*"]


def push_to_hub(model_dir: str | os.PathLike, repo_id: str, *, private: bool = False, token: str | None = None,
                commit_message: str | None = None, revision: str | None = None) -> str:
    """Create ``repo_id`` if needed and upload the folder in one commit; returns the commit URL."""
    from huggingface_hub import HfApi

    folder = require_model_folder(model_dir)
    if not (folder / CARD_FILE).is_file():
        raise ValueError(f"{model_dir} has no {CARD_FILE} model card; write the folder with textaug train")
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise ValueError(f"repo id must look like USER/NAME, got {repo_id!r}")
    api = HfApi(token=token)
    repo = api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
    commit = api.upload_folder(
        folder_path=str(folder),
        repo_id=repo.repo_id,
        repo_type="model",
        revision=revision,
        ignore_patterns=IGNORED_FOR_PUSH,
        commit_message=commit_message or f"Upload {folder.name} with textaug",
    )
    return str(commit.commit_url if hasattr(commit, "commit_url") else commit)
