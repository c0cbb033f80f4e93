"""Every workflow and activity name registered before the job layer stays registered: `olivine
up` resumes in-flight workflows across an upgrade, and Temporal finds them by these names."""

from pathlib import Path

from temporalio import activity, workflow

from olivine.config import Settings
from olivine.db.base import Database
from olivine.services import Services
from olivine.workflows.common import QUEUE, REPO_QUEUE, build_queue
from olivine.workflows.registry import activities, workflows

WORKFLOWS_BEFORE = {"ApplyProject", "Import", "ImportBatch", "Publisher", "Build", "BuildBatch"}
ACTIVITIES_BEFORE = {
    QUEUE: {
        "task_start",
        "task_finish",
        "task_log",
        "project_apply",
        "import_package",
        "import_batch_item",
        "build_arch_tasks",
        "build_finish",
        "build_mark",
        "build_batch_order",
        "build_batch_item",
    },
    REPO_QUEUE: {"repo_publish"},
    build_queue("x86_64"): {"build_srpm", "build_arch"},
}


def test_names_registered_before_stay_registered(tmp_path: Path) -> None:
    svc = Services(Settings(data_dir=tmp_path), Database(f"sqlite:///{tmp_path}/x.db"))
    names = set()
    for wf in workflows():
        defn = workflow._Definition.from_class(wf)
        assert defn is not None
        names.add(defn.name)
    assert names >= WORKFLOWS_BEFORE
    for queue, before in ACTIVITIES_BEFORE.items():
        served = set()
        for fn in activities(svc, queue):
            defn = activity._Definition.from_callable(fn)
            assert defn is not None
            served.add(defn.name)
        assert before <= served, before - served
