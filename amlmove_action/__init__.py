"""amlmove: plan, approve and apply the move of an Azure Machine Learning workspace to another subscription."""

# The one version source: pyproject.toml reads it (`dynamic = ["version"]`), plan.json/report.json record it,
# `python entrypoint.py --version` prints it, CHANGELOG.md has a section for it and the release workflow refuses a
# tag that differs (tools/release_action.py check-tag).
__version__ = "0.1.0"
