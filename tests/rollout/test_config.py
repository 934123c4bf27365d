"""The Prometheus address is operator configuration: a daemon flag or variable, checked as a URL."""

from __future__ import annotations

import pytest

from reconciler.daemon.config import ConfigError, build_config


def test_the_prometheus_url_comes_from_the_flag_over_the_variable() -> None:
    assert build_config({}, {}).prometheus_url is None
    env = {"PLATFORMCTL_PROMETHEUS_URL": "http://prometheus.monitoring:9090"}
    assert build_config({}, env).prometheus_url == "http://prometheus.monitoring:9090"
    assert build_config({"prometheus_url": "https://thanos:10902"}, env).prometheus_url == "https://thanos:10902"


def test_a_prometheus_url_that_is_not_http_is_refused_naming_the_setting() -> None:
    with pytest.raises(ConfigError, match="PLATFORMCTL_PROMETHEUS_URL.*not an http"):
        build_config({}, {"PLATFORMCTL_PROMETHEUS_URL": "file:///etc/passwd"})
