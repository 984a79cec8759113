"""The live channel of a running recorder: action events for overlays, on loopback only.

:mod:`.fanout` hands the translator's events to any number of subscribers without
ever blocking the translator; :mod:`.server` serves them to the OBS browser source
and the live overlay window over HTTP (Server-Sent Events) with a per-user token;
:mod:`.layout` says which key caps light for which action. Nothing here imports Qt.
Modules are imported by name (``hindsight.recorder.live.server``) so that
``actions.capture`` can use the fan-out without pulling in the HTTP server.
"""

__all__: list[str] = []
