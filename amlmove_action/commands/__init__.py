"""One module per command (plan, apply): plain functions of the settings and the platform, returning an exit code."""
