"""The dataset tests' shared fixtures: the recorded corpus, its copy in a bucket, and the
corpus beside one damaged copy of each fault."""

import shutil
from pathlib import Path

import pytest

from tests.dataset.corpus import FAULTS, Corpus, corpus, s3_corpus

__all__ = ["corpus", "s3_corpus", "mixed"]


@pytest.fixture(scope="module")
def mixed(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    """The good clips and one damaged copy of each fault, side by side."""
    root = tmp_path_factory.mktemp("mixed")
    for clip in corpus.clips:
        shutil.copytree(clip, root / "good" / clip.name)
    for fault in FAULTS:
        corpus.damaged(fault, into=root / fault)
    return root
