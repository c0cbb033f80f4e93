"""Batches: many packages imported or built under one task, one summary per package, and one
retry rule (every item that did not end done: see olivine.domain.scheduling.to_retry)."""
