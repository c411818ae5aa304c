"""amlmove entry point: the container action runs this with no arguments (inputs arrive as INPUT_* variables);
people run `python entrypoint.py plan|apply --source-workspace-id … --destination-resource-group-id …`."""

import os
import sys

from amlmove_action.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], dict(os.environ)))
