"""The dataset tests' shared fixtures: the recorded corpus and its copy in a bucket."""

from tests.dataset.corpus import corpus, s3_corpus

__all__ = ["corpus", "s3_corpus"]
