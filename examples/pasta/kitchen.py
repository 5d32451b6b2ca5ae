#!/usr/bin/env python3
"""The steps of seed 001's pasta al pomodoro e basilico, one exec processor per step.

`python3 pasta/kitchen.py <step>` runs one step: it reads its inputs (JSON dishes), takes the
step's time (`config.seconds`, so a cached step is visibly skipped) and writes one JSON output
that says what was done to which ingredients. `salt` is one step used twice in the recipe, under
two node names (salt_water and salt_tomatoes): it salts whatever it is given.
"""
import sys
import time

from pipewright import processor


def boil_water(task, pantry):
    return {"dish": "water", "litres": pantry["water_litres"], "state": "boiling"}


def brown_onions(task, pantry):
    return {"dish": "onions", "count": pantry["onions"], "state": "browned in olive oil"}


def cut_tomatoes(task, pantry):
    onions = task.read_json("onions")
    return {"dish": "tomatoes", "count": pantry["tomatoes"], "state": "cut", "next_to": onions["dish"]}


def pour_tomatoes(task, _pantry):
    tomatoes = task.read_json("tomatoes")
    onions = task.read_json("onions")
    return {"dish": "sauce", "made_of": [onions, tomatoes], "state": "simmering"}


def salt(task, _pantry):
    what = task.read_json(task.only_input())
    grams = task.conf("grams", 10, kind=int)
    return dict(what, salted=f"{grams} g")


def pour_pasta(task, pantry):
    water = task.read_json("salted_water")
    return {"dish": "pasta", "grams": task.conf("grams", 320, kind=int), "cooked_in": water, "state": "al dente"}


def pick_basil(task, _pantry):
    return {"dish": "basil", "leaves": task.conf("leaves", 8, kind=int), "state": "picked"}


def pan_fry(task, _pantry):
    inputs, _ = task.fetch_datanodes_information()
    parts = [task.read_json(name) for name in inputs]
    return {"dish": "pasta al pomodoro e basilico", "servings": task.param("servings", 2, kind=int),
            "ingredients": parts, "state": "served"}


STEPS = {f.__name__: f for f in (boil_water, brown_onions, cut_tomatoes, pour_tomatoes, salt, pour_pasta,
                                  pick_basil, pan_fry)}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in STEPS:
        processor.fail(f"usage: kitchen.py <step>, one of {', '.join(STEPS)}")
    step = STEPS[sys.argv[1]]
    task = processor.task()
    inputs, _ = task.fetch_datanodes_information()
    pantry = task.read_json("pantry") if "pantry" in inputs else None
    seconds = task.conf("seconds", 0.5, kind=float)
    processor.log(f"{step.__name__}: {seconds} s at the stove")
    time.sleep(seconds)
    task.write_json(task.only_output(), step(task, pantry))


if __name__ == "__main__":
    main()
