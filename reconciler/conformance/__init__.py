"""Conformance: validate rendered objects against upstream CRD schemas and webhook rules."""
