"""Tests of logs, metrics, HTTP endpoints and the in-cluster install."""
