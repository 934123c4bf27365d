"""The platform spec: models, YAML I/O, loading, schema export."""
