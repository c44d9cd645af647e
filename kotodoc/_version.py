"""The installed version of kotodoc, from the package metadata (one place, importable from any stage)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kotodoc")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
