"""The service's Prometheus metrics, in a registry of its own (two apps in one process do not mix)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# The endpoints, by path; anything else is counted as "other", so that a scan of random paths
# cannot make the metrics grow without bound.
ENDPOINTS = frozenset({"/v1/validate", "/v1/render", "/v1/claims", "/v1/skeleton", "/v1/kinds", "/healthz",
                       "/readyz", "/metrics", "/openapi.json", "/"})
_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0)


def endpoint_of(path: str) -> str:
    """The metrics label of a request path: the endpoint, "page" for the page's files, else "other"."""
    if path in ENDPOINTS:
        return path
    return "page" if path.startswith("/static/") else "other"


class _Lanes(Collector):
    """Reads the lanes' counters when scraped (they live in the lanes, not here)."""

    def __init__(self, restarts: Callable[[], int], ready: Callable[[], int]):
        self._restarts, self._ready = restarts, ready

    def collect(self) -> Iterator[Metric]:
        restarts = CounterMetricFamily("kotodoc_libreoffice_restarts", "LibreOffice lane (re)starts after the first")
        restarts.add_metric([], self._restarts())
        yield restarts
        ready = GaugeMetricFamily("kotodoc_libreoffice_lanes_ready", "LibreOffice lanes warm and free or working")
        ready.add_metric([], self._ready())
        yield ready


class Metrics:
    """Requests by endpoint and status, their durations, documents made, failures, LibreOffice restarts."""

    def __init__(self, restarts: Callable[[], int], ready: Callable[[], int]):
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("kotodoc_requests", "HTTP requests by endpoint and status",
                                ["endpoint", "status"], registry=self.registry)
        self.duration = Histogram("kotodoc_request_duration_seconds", "HTTP request durations by endpoint",
                                  ["endpoint"], buckets=_BUCKETS, registry=self.registry)
        self.documents = Counter("kotodoc_documents", "Documents made, by format", ["format"],
                                 registry=self.registry)
        self.failures = Counter("kotodoc_failures", "Requests that failed on the service's side (5xx), by endpoint",
                                ["endpoint"], registry=self.registry)
        self.registry.register(_Lanes(restarts, ready))

    def observe(self, path: str, status: int, seconds: float) -> None:
        """Count one request."""
        endpoint = endpoint_of(path)
        self.requests.labels(endpoint, str(status)).inc()
        self.duration.labels(endpoint).observe(seconds)
        if status >= 500 and endpoint != "/readyz":  # not ready yet is a state, not a failure
            self.failures.labels(endpoint).inc()

    def text(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)
