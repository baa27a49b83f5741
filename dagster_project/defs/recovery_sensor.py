"""A sensor that recovers runs whose process died, so that one crash never blocks the nightly for good.

Dagster's default run launcher does not notice a run worker that died: its
run stays STARTED and keeps its slot of the ``trustqa_warehouse`` pool, and
every later run waits for that slot. Every minute this sensor marks failed the
unfinished runs whose process is gone and frees the slots of runs that have
ended (:func:`dagster_project.runs.recovery.recover_dead_runs`); it requests
no runs. ``trustqa materialize`` does the same before it starts.
"""

import dagster as dg

from dagster_project.runs.recovery import recover_dead_runs


@dg.sensor(
    name="trustqa_dead_run_sensor",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks failed the runs whose process died and frees their pool slots (requests no runs).",
)
def dead_run_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    recovery = recover_dead_runs(context.instance)
    for line in recovery.lines():
        context.log.warning(line)
    done = len(recovery.failed) + len(recovery.freed)
    return dg.SkipReason("; ".join(recovery.lines()) if done else "no run with a dead process")
