"""Clusters: a protocol and two implementations (kube over the official client, localdir)."""
