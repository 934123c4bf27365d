"""What CLI commands do, kept out of cli.py so the CLI only parses and maps exit codes."""
