"""Reading argparse help as a user does: each option or command with the text that explains it.

A check like ``"--fps" in help`` also passes on the usage line or the description;
these helpers look only at the entries of the option and command lists.
"""

from __future__ import annotations

import re

# An entry line: indented, the invocation ("--fps FPS", "-v, --verbose", "record"), then
# two or more spaces and its help, or nothing (the help starts on the next line).
_ENTRY = re.compile(r"^ {2,6}(?P<inv>-?[\w-][^ ]*(?:,? [^ ]+)*?)(?: {2,}(?P<help>\S.*))?$")
_CONTINUED = re.compile(r"^ {8,}(?P<help>\S.*)$")


def help_entries(text: str) -> dict[str, str]:
    """Each option (every spelling) and command of an argparse help, with its help text.

    Only lines of the option and command lists count: the usage line and the
    description do not.
    """
    entries: dict[str, str] = {}
    names: list[str] = []
    in_list = False
    for line in text.splitlines():
        if re.match(r"^\S.*:$", line):  # "options:", "positional arguments:"
            in_list, names = True, []
            continue
        if not in_list or not line.strip():
            names = [] if not line.strip() else names
            continue
        cont = _CONTINUED.match(line)
        if cont and names:
            for name in names:
                entries[name] = f"{entries[name]} {cont.group('help')}".strip()
            continue
        m = _ENTRY.match(line)
        if not m:
            names = []
            continue
        inv = m.group("inv")
        names = [part.split()[0] for part in inv.split(", ")]
        for name in names:
            entries[name] = (m.group("help") or "").strip()
    return entries
