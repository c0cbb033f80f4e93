"""Outbound fetches: one policy for every URL (policy.py), downloads (http.py), git (git.py)."""
