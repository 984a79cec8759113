"""The names of a clip bundle's files and of its format, defined once.

A reader never spells ``"manifest.json"`` or ``"video.mp4"``: it imports these.
"""

from __future__ import annotations

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "VIDEO_FILE",
    "ACTIONS_FILE",
    "EVENTS_FILE",
    "ACTION_MAP_FILE",
    "BUNDLE_FILES",
    "MIX_TRACK",
    "SYSTEM_TRACK",
    "MIC_TRACK",
    "AUDIO_TRACK_TITLES",
    "CLIPS_PURPOSE",
    "DATASET_PURPOSE",
    "CONSENT_PURPOSES",
]

FORMAT_NAME = "hindsight.clip"
# Raised only when a reader of the previous version could no longer read the manifest.
FORMAT_VERSION = 1

MANIFEST_FILE = "manifest.json"
VIDEO_FILE = "video.mp4"
ACTIONS_FILE = "actions.parquet"  # one row per video frame: the training track
EVENTS_FILE = "events.parquet"  # action edges with times; local unless the user opts in
ACTION_MAP_FILE = "actionmap.toml"  # the exact map the track was translated with

# Every file a bundle of this version may hold besides the manifest, in upload order.
BUNDLE_FILES = (VIDEO_FILE, ACTIONS_FILE, EVENTS_FILE, ACTION_MAP_FILE)

# The audio tracks of video.mp4, in this order after the video: the mix is what players
# play by default; the system and microphone tracks are the sources as recorded (the
# microphone only when the user turned it on). The value is the title in the file.
MIX_TRACK = "mix"
SYSTEM_TRACK = "system"
MIC_TRACK = "mic"
AUDIO_TRACK_TITLES = {MIX_TRACK: "Mix", SYSTEM_TRACK: "System audio", MIC_TRACK: "Microphone"}

# What a contributor consents to, the keys of the manifest's recorded consent versions:
# sharing the clips, and contributing them as training data.
CLIPS_PURPOSE = "clips"
DATASET_PURPOSE = "dataset"
CONSENT_PURPOSES = (CLIPS_PURPOSE, DATASET_PURPOSE)
