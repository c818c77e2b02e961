"""Test-side names for the operator harness (it lives in the package so the demo uses it too)."""

from external_dns.testing.operator import OperatorThread, operator_settings, wait_for

__all__ = ["OperatorThread", "operator_settings", "wait_for"]
