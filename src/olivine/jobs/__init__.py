"""The job layer: what every long-running job kind shares (see docs/architecture.md).

- `status.TaskStatus`: the one status enum of tasks (spelling `canceled`).
- `submit.Start` / `submit.record_job`: a kind's submit() writes its task tree, its domain rows
  and the start of its workflow (`job_starts`, with the caller's Idempotency-Key) in one
  transaction; `starter.launch` then starts the workflow, and `starter.reconcile` starts any
  committed job whose start was lost (an API killed between the commit and the start).
"""
