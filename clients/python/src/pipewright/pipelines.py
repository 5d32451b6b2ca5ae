"""Seed 002's import path: ``from pipewright.pipelines import Pipeline`` (polly's ``polly.pipelines``)."""

from .client import Page, Pipeline, Pipelines
from .errors import PipewrightError, wrongParamException

__all__ = ["Pipeline", "Pipelines", "Page", "PipewrightError", "wrongParamException"]
