"""The ``hindsight`` command line: argparse only, one module per command group, no policy."""
