"""Kubeconfig files for test servers, and official-client objects built from them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kubernetes.client import ApiClient
    from kubernetes.dynamic import DynamicClient

    from kubeserver.server import KubeServer


def write(path: Path, servers: Mapping[str, KubeServer], current: str | None = None) -> Path:
    """Write one kubeconfig with a cluster/user/context per server (JSON is valid YAML)."""
    names = list(servers)
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": s.url}} for n, s in servers.items()],
        "users": [{"name": n, "user": {"token": getattr(s, "token", None) or f"test-token-{n}"}}
                  for n, s in servers.items()],
        "contexts": [
            {"name": n, "context": {"cluster": n, "user": n, "namespace": "default"}}
            for n in names
        ],
        "current-context": current or names[0],
        "preferences": {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2))
    return path


def api_client(path: Path, context: str | None = None) -> ApiClient:
    """An official-client ApiClient configured from a kubeconfig file."""
    from kubernetes import config

    client: ApiClient = config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=str(path), context=context)
    return client


def dynamic_client(path: Path, context: str | None = None, cache_dir: Path | None = None) -> DynamicClient:
    """A DynamicClient whose discovery cache lives next to the kubeconfig (not in /tmp)."""
    from kubernetes.dynamic import DynamicClient

    client = api_client(path, context)
    cache = (cache_dir or path.parent) / f"discovery-{context or 'default'}.json"
    return DynamicClient(client, cache_file=str(cache))  # type: ignore[no-untyped-call]
