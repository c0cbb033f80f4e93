from olivine.workflows.publish import PublishRequest, merge, publisher_id


def test_requests_merge_into_one_batch() -> None:
    batch = merge(
        "el9",
        [
            PublishRequest([3, 1], reason="build 1", submitter_id=None),
            PublishRequest([2, 3], reason="build 2", submitter_id=7),
            PublishRequest([], full=False, reason="build 1"),
        ],
    )
    assert batch.artifact_ids == [1, 2, 3] and not batch.full
    assert batch.reasons == ["build 1", "build 2"] and batch.submitter_id == 7
    assert merge("el9", [PublishRequest([1]), PublishRequest(full=True)]).full
    assert publisher_id("el9") == "publish-el9"
