# The amlmove container action: the hash-locked runtime requirements and the action code, nothing else.
# Base: the official python:3.11-slim image index, pinned by digest (Python 3.11.15 on Debian trixie, as published
# 2026-08-05 in docker-library/repo-info repos/python/remote/3.11-slim.md). Dependabot (docker) proposes new digests.
FROM python:3.11-slim@sha256:90744cff8f32887f075c47d747a173ff333e9e98801667af93c357fa9f5e28ff

# Install exactly the lock: every wheel hash-checked, no resolver, no transitive surprises.
COPY requirements/runtime.txt /tmp/runtime.txt
RUN python -m pip install --no-cache-dir --disable-pip-version-check --require-hashes --no-deps -r /tmp/runtime.txt \
    && rm /tmp/runtime.txt

COPY entrypoint.py /app/entrypoint.py
COPY amlmove_action/ /app/amlmove_action/
# Ship the action's bytecode: PYTHONDONTWRITEBYTECODE stops every run from writing it, so without this each run would
# compile the action from source again (~0.05 s of CPU on a plan's path, benchmarks/README.md).
RUN python -m compileall -q /app/amlmove_action

ENV PYTHONPATH=/app PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1

# No WORKDIR and no USER: the runner mounts the workspace at /github/workspace, makes it the working directory and
# needs the default user (root) to write there. Exec form, so no shell ever sees an input.
ENTRYPOINT ["python", "/app/entrypoint.py"]
