"""Promotion between environments as a minimal Git change (pure).

``order`` checks that a promotion follows the platform's stages; ``moves`` decides which
pinned versions move and writes the commit message and branch name; ``overlay`` presents the
edited files to the loader so the result is validated before anything is committed. The Git
writes and the health check live in ``reconciler.commands.promote``.
"""
