"""Release helpers run by .github/workflows/release.yml; not part of the container image (.dockerignore)."""
