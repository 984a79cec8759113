"""The help reader counts only list entries: a word in the usage or description is not one."""

from __future__ import annotations

import argparse

from tests.help_text import help_entries


def parser_help(with_entries: bool) -> str:
    parser = argparse.ArgumentParser(
        prog="hs", description="Records clips; --fps and record are words here."
    )
    if with_entries:
        parser.add_argument("--fps", help="frames per second")
        parser.add_subparsers(metavar="COMMAND").add_parser("record", help="run a recorder")
    else:
        parser.add_argument("--fps")  # no help: usage line only
    return parser.format_help()


def test_entries_with_their_help() -> None:
    entries = help_entries(parser_help(with_entries=True))
    assert entries["--fps"] == "frames per second" and entries["record"] == "run a recorder"


def test_usage_and_description_are_not_entries() -> None:
    text = parser_help(with_entries=False)
    assert "record" in text and "--fps" in text  # what a plain substring check would accept
    entries = help_entries(text)
    assert "record" not in entries and entries.get("--fps") == ""
