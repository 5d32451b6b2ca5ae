"""Pipewright from Python: :class:`Pipeline`, a client of the HTTP API shaped after seed 002's
(``from pipewright import Pipeline`` or ``from pipewright.pipelines import Pipeline``), and
:mod:`pipewright.processor`, the helper for code that runs as a processor. Standard library only."""

from .client import Page, Pipeline, Pipelines
from .errors import PipewrightError, Problem, WaitTimeout, wrongParamException

__all__ = ["Pipeline", "Pipelines", "Page", "PipewrightError", "Problem", "WaitTimeout", "wrongParamException"]
__version__ = "0.1.0"
