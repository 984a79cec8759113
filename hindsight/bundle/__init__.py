"""The clip format every part reads and writes (DESIGN section 5).

Imports no av, Qt, sqlite3 or boto3: a data team's tools, the uploader and the
recorder all read a clip through this package. File names live in
:mod:`~hindsight.bundle.layout`, the manifest in :mod:`~hindsight.bundle.manifest`,
the track's columns in :mod:`~hindsight.bundle.schema`, reading and verifying a
folder in :mod:`~hindsight.bundle.reader`.
"""

from __future__ import annotations

from hindsight.bundle.clip import BundleContributor, ClipSpan, Contribution, SavedClip
from hindsight.bundle.layout import (
    ACTION_MAP_FILE,
    ACTIONS_FILE,
    AUDIO_TRACK_TITLES,
    BUNDLE_FILES,
    CLIPS_PURPOSE,
    CONSENT_PURPOSES,
    DATASET_PURPOSE,
    EVENTS_FILE,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST_FILE,
    MIC_TRACK,
    MIX_TRACK,
    SYSTEM_TRACK,
    VIDEO_FILE,
)
from hindsight.bundle.manifest import (
    ActionMapPin,
    AudioFacts,
    AudioSourceFacts,
    AudioTrackFacts,
    BundleError,
    CaptureFacts,
    ClockFacts,
    Consent,
    FileFacts,
    GameInfo,
    Manifest,
    PrivacyFacts,
    RecorderInfo,
    Redaction,
    SessionFacts,
    TrackFacts,
    VideoFacts,
)
from hindsight.bundle.reader import Bundle, file_sha256, open_bundle, read_manifest

__all__ = [
    "ACTION_MAP_FILE",
    "ACTIONS_FILE",
    "AUDIO_TRACK_TITLES",
    "MIC_TRACK",
    "MIX_TRACK",
    "SYSTEM_TRACK",
    "BUNDLE_FILES",
    "CLIPS_PURPOSE",
    "CONSENT_PURPOSES",
    "DATASET_PURPOSE",
    "EVENTS_FILE",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "VIDEO_FILE",
    "ActionMapPin",
    "AudioFacts",
    "AudioSourceFacts",
    "AudioTrackFacts",
    "Bundle",
    "BundleContributor",
    "BundleError",
    "CaptureFacts",
    "ClipSpan",
    "ClockFacts",
    "Consent",
    "Contribution",
    "FileFacts",
    "GameInfo",
    "Manifest",
    "PrivacyFacts",
    "RecorderInfo",
    "Redaction",
    "SavedClip",
    "SessionFacts",
    "TrackFacts",
    "VideoFacts",
    "file_sha256",
    "open_bundle",
    "read_manifest",
]
