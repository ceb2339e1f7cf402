"""`make chaos`: faults injected one at a time under Meta-like traffic, then loss and duplicates counted (issue #8)."""
