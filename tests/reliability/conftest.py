"""Shared fixtures of the reliability suites.

Mode: PGQRS_RELIABILITY_MODE=short (default, for CI) or long, or pytest
--reliability-mode=long. Each suite starts its own throwaway cluster.
"""
import os

import pytest


def pytest_addoption(parser):
    parser.addoption("--reliability-mode", choices=["short", "long"], default=None,
                     help="short (CI, default) or long (manual run); same as PGQRS_RELIABILITY_MODE")


def pytest_configure(config):
    mode = config.getoption("--reliability-mode")
    if mode:
        os.environ["PGQRS_RELIABILITY_MODE"] = mode
    os.environ.setdefault("PGQRS_RELIABILITY_MODE", "short")


def pytest_report_header(config):
    return f"pgqrs reliability mode: {os.environ.get('PGQRS_RELIABILITY_MODE')}"
