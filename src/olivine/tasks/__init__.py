"""Task bookkeeping: a row per workflow/activity step, with status, result and a followable log."""

from olivine.tasks.service import TERMINAL, TaskLogWriter, TaskService

__all__ = ["TERMINAL", "TaskLogWriter", "TaskService"]
