"""Shared fixtures. The live tests need a running Pipewright (PW_URL, PW_TOKEN with the submit
role) whose workers serve the exec processors of tests/modules as ``py_add_numbers`` and
``py_word_count``; it/src/test/java/dev/pipewright/it/PythonClientIT.java starts such a cluster
and runs these tests. Without PW_URL the live tests fail (never skip) saying so."""

import os
import uuid

import pytest

from pipewright import Pipeline


@pytest.fixture(scope="session")
def api() -> Pipeline:
    if not os.environ.get("PW_URL"):
        pytest.fail("PW_URL is not set: these tests run against a live Pipewright "
                    "(./mvnw -pl it verify -Dit.test=PythonClientIT starts one and runs them)")
    client = Pipeline()  # PW_TOKEN and PW_URL from the environment, as a user's notebook would
    try:
        client.health()
    except Exception as e:  # noqa: BLE001 - any failure here means no usable server
        pytest.fail(f"no Pipewright at {client.url}: {e}")
    return client


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]
