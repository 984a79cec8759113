"""`hindsight demo`: a virtual display, a moving scene, a demo game and the whole pipeline on it."""

DEMO_SECONDS = 6  # length of the demo clip
DEMO_SIZE = "1280x720"  # the virtual display started where there is no screen
DEMO_FPS = 30  # lower than a recorder's default so the demo runs on a small machine
