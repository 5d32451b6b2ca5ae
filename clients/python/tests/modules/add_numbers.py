#!/usr/bin/env python3
"""The seed-002 walkthrough's processor: parameters x and y -> JSON {x, y, sum} on its one output.

With parameter ``pause`` (seconds) it prints three progress lines that far apart, so a client can
watch them arrive while the job runs.
"""
import time

from pipewright import processor


def run(task: processor.Task) -> None:
    x = task.param("x", kind=int)
    y = task.param("y", kind=int)
    pause = task.param("pause", 0, kind=float)
    for i in range(3 if pause else 1):
        processor.log(f"step {i + 1}: adding {x} and {y}")
        if pause:
            time.sleep(pause)
    task.write_json(task.only_output(), {"x": x, "y": y, "sum": x + y})


if __name__ == "__main__":
    processor.main(run)
