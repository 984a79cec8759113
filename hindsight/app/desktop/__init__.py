"""The desktop app: a tray icon around a recorder process, its feedback, and its windows.

``hindsight`` with no arguments runs :func:`~hindsight.app.desktop.app.run_desktop_app`.
Modules: ``supervisor`` (keep and watch the recorder process, no Qt), ``tray`` and
``icons`` (the tray icon and menu), ``notifier`` (desktop notifications), ``feedback``
(the "clip saved" chime), ``instance`` (one app per user), ``windows`` (the windows
built elsewhere, opened by name), ``first_run`` (whether consent was ever asked) and
``app`` (the composition).
"""
