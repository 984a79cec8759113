"""`hindsight demo`: a virtual display, a moving scene, a demo game and the whole pipeline on it."""
