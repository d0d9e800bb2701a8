"""The fault-injection suite's harness and report (``make faults``; tests in tests/faults/)."""
