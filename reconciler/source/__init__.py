"""Readers of platform repositories: a local directory, Git revisions."""
