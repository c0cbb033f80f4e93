"""Evaluation of upstream content in the build sandbox: runner.py (worker), main.py (sandbox)."""
