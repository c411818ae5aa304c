"""Loaded by every Python subprocess the tests start (this folder is first on PYTHONPATH), the az CLI's and the
emulator's included: refuse any connection or name lookup that would leave 127.0.0.1, before a packet is sent, and
record the attempt in $AMLMOVE_NETGUARD_LOG."""

from tests_netguard import install

install()
