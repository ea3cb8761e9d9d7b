"""Commands run from the repository root: ``python -m scripts.demo``, ``scripts/screenshots.py``."""
