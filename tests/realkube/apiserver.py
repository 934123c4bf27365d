"""kube-apiserver on loopback (TLS, static tokens, RBAC) over a shared etcd, and an admin HTTP helper."""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.realkube.binaries import binary
from tests.realkube.etcd import Etcd
from tests.realkube.pki import write_pki
from tests.realkube.process import Child, free_port

ADMIN_TOKEN = "platformctl-test-admin"  # noqa: S105 - a loopback test server's token
"""Static token of the `admin` user in group system:masters."""


class ApiError(RuntimeError):
    """A non-2xx answer of the admin helper."""

    def __init__(self, code: int, body: dict[str, Any]) -> None:
        super().__init__(f"{code}: {body.get('message', body)}")
        self.code = code
        self.body = body


class ApiServer:
    """One kube-apiserver storing under its own etcd prefix (so one etcd serves several clusters)."""

    def __init__(self, name: str, etcd: Etcd, directory: Path, *, extra_tokens: dict[str, tuple[str, str]] | None = None,
                 extra_args: tuple[str, ...] = ()) -> None:
        self.name = name
        self.etcd = etcd
        self.prefix = f"/{name}/registry"
        self.directory = directory
        self.pki = write_pki(directory / "pki")
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        tokens = directory / "tokens.csv"
        lines = [f'{ADMIN_TOKEN},admin,admin,"system:masters"']
        lines += [f'{token},{user},{user},"{groups}"' for token, (user, groups) in (extra_tokens or {}).items()]
        tokens.write_text("\n".join(lines) + "\n")
        self.child = Child("kube-apiserver", [
            binary("kube-apiserver"),
            f"--etcd-servers={etcd.url}", f"--etcd-prefix={self.prefix}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", f"--secure-port={self.port}",
            f"--cert-dir={directory / 'certs'}",
            f"--tls-cert-file={self.pki.serving_cert}", f"--tls-private-key-file={self.pki.serving_key}",
            f"--token-auth-file={tokens}", "--authorization-mode=RBAC", "--anonymous-auth=false",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={self.pki.sa_public}",
            f"--service-account-signing-key-file={self.pki.sa_private}",
            "--service-cluster-ip-range=10.96.0.0/16", "--allow-privileged=true",
            "--endpoint-reconciler-type=none", "--profiling=false", "--v=1",
            *extra_args,
        ], directory / "kube-apiserver.log")
        self.ssl_context = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        self._wait_ready(90.0)

    # --- lifecycle ----------------------------------------------------------------
    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if not self.child.alive():
                raise RuntimeError(f"kube-apiserver exited at start:\n{self.child.tail()}")
            try:
                code, body = self.raw("GET", "/readyz")
                if code == 200:
                    return
                last = body.decode(errors="replace")[-500:]
            except OSError as err:
                last = str(err)
            time.sleep(0.2)
        raise RuntimeError(f"kube-apiserver not ready after {timeout} s ({last}):\n{self.child.tail()}")

    def stop(self) -> None:
        self.child.stop()

    # --- admin HTTP ---------------------------------------------------------------
    def raw(self, method: str, path: str, body: bytes | None = None, *, token: str = ADMIN_TOKEN,
            content_type: str = "application/json", headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """One request as the admin (or `token`); (status, body) whatever the status."""
        request = urllib.request.Request(f"{self.url}{path}", data=body, method=method, headers={
            "Authorization": f"Bearer {token}", "Content-Type": content_type, "Accept": "application/json",
            **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30, context=self.ssl_context) as answer:  # noqa: S310
                return int(answer.status), bytes(answer.read())
        except urllib.error.HTTPError as err:
            return int(err.code), bytes(err.read())

    def call(self, method: str, path: str, obj: Any = None, *, content_type: str = "application/json",
             ok: tuple[int, ...] = (200, 201, 202)) -> dict[str, Any]:
        """A JSON request as the admin; ApiError unless the status is in `ok`."""
        code, raw = self.raw(method, path, None if obj is None else json.dumps(obj).encode(),
                             content_type=content_type)
        body: dict[str, Any] = json.loads(raw) if raw.strip().startswith(b"{") else {"message": raw.decode()}
        if code not in ok:
            raise ApiError(code, body)
        return body

    def kubeconfig(self, path: Path, *, context: str | None = None, token: str = ADMIN_TOKEN,
                   server: str | None = None) -> Path:
        """A kubeconfig for this server (TLS verified against the test CA)."""
        name = context or self.name
        cluster: dict[str, Any] = {"server": server or self.url}
        if (server or self.url).startswith("https://"):
            cluster["certificate-authority"] = str(self.pki.ca_cert)
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": name, "preferences": {},
            "clusters": [{"name": name, "cluster": cluster}],
            "users": [{"name": name, "user": {"token": token}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": "default"}}],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(config, indent=2))
        return path
