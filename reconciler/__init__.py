"""platformctl: GitOps reconciler for Kubeflow-style ML platforms."""
