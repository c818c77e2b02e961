"""Controllers for real DNS servers on loopback, shared by integration tests and benchmarks."""
