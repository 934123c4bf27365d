"""A directory of YAML files as a Cluster: ``cluster`` (LocalDirCluster), ``apply`` (server-side
apply for one field manager, pure)."""
