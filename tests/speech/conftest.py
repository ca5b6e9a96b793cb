"""The flow-test world (real services, fakes of the devices) for the prompter tests."""

from tests.flows.conftest import world  # noqa: F401
