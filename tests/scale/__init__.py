"""Several billing workers on one database, and faults injected at each step of a charge."""
