"""Consent per purpose: the texts a user agrees to, and what the library recorded.

Two purposes: ``clips`` (upload clips at all) and ``dataset`` (mark uploaded clips as
training data). Each text carries a version on its first line; a grant records
that version, so a changed text can ask again. Nothing is uploaded without a
current ``clips`` grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from hindsight.bundle import CONSENT_PURPOSES
from hindsight.uploader.errors import UploadConfigError

__all__ = ["PURPOSES", "ConsentText", "ConsentState", "consent_text"]

PURPOSES = CONSENT_PURPOSES  # the clip format names them: they key the manifest's versions


@dataclass(frozen=True)
class ConsentText:
    purpose: str
    version: str
    body: str


@dataclass(frozen=True)
class ConsentState:
    """The newest recorded decision for a purpose (``granted`` False when never asked)."""

    purpose: str
    granted: bool
    version: str | None = None
    t_ms: int | None = None

    @property
    def current(self) -> bool:
        """Granted, for the text as it is now (a changed text needs a new grant)."""
        return self.granted and self.version == consent_text(self.purpose).version


def consent_text(purpose: str) -> ConsentText:
    if purpose not in PURPOSES:
        raise UploadConfigError(
            f"consent purpose {purpose!r}: expected one of {', '.join(PURPOSES)}"
        )
    raw = (
        resources.files("hindsight.uploader")
        .joinpath("consent")
        .joinpath(f"{purpose}.md")
        .read_text("utf-8")
    )
    first, _, body = raw.partition("\n")
    if not first.startswith("version: "):
        raise UploadConfigError(f"consent text for {purpose} has no version line")
    return ConsentText(
        purpose=purpose, version=first.removeprefix("version: ").strip(), body=body.strip()
    )
