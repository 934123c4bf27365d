"""A real kube-apiserver + etcd (built from upstream sources by scripts/build-kube.sh) under the tests.

See README.md in this folder. `RealKube` starts etcd and kube-apiserver on loopback; `FaultProxy`
sits in front of it to record requests and inject faults, so tests written against
`kubeserver.KubeServer` run unchanged against the real server.
"""
