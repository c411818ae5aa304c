"""Deprecated alias of the `amlmove_emulator` package, kept for one release so that `python -m amlmove_action.emulator
serve ...` in users' rehearsal pipelines keeps working. Not in the container image (.dockerignore) nor in the wheel
(pyproject.toml); the product never imports it."""
