"""remove_all_but_newest (dagster_project/folders.py): the newest by modification time stay."""

from __future__ import annotations

import os

from dagster_project.folders import remove_all_but_newest


def test_the_oldest_are_removed_and_returned_newest_first(tmp_path) -> None:
    folders = []
    for age, name in enumerate(["new", "middle", "old", "oldest"]):
        folder = tmp_path / name
        (folder / "inside").mkdir(parents=True)
        os.utime(folder, (1_000_000 - age * 60, 1_000_000 - age * 60))
        folders.append(folder)
    removed = remove_all_but_newest(folders, keep=2)
    assert removed == [tmp_path / "old", tmp_path / "oldest"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["middle", "new"]


def test_keeping_more_than_there_are_removes_nothing(tmp_path) -> None:
    (tmp_path / "only").mkdir()
    assert remove_all_but_newest([tmp_path / "only"], keep=5) == []
    assert (tmp_path / "only").is_dir()
