"""Clusters: the protocol and two implementations.

``base`` (the Cluster protocol, KindRef), ``answers`` and ``fence`` (what a supervised client
reports to and obeys), ``kinds`` (the kinds known without discovery, REST paths), ``selectors``
(label selectors), ``inventory_codec`` (the inventory as stored), ``kube/`` (a Kubernetes API
server over the official client), ``localdir/`` (a directory of YAML files), ``connect`` (the
implementation a spec's cluster entry names).
"""
