"""The desktop app: tray, windows, notifications; a client of the recorder process."""
