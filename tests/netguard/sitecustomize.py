"""Loaded by every Python subprocess the tests start (this folder is first on PYTHONPATH): refuse any connection that
would leave the loopback interface, before a packet is sent, and record the attempt in $AMLMOVE_NETGUARD_LOG."""

from tests_netguard import install

install()
