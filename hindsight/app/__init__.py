"""The composition root (settings -> recorder + outputs) and the desktop side of Hindsight."""
