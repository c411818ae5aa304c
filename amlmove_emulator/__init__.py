"""A local Azure for rehearsal and tests: ARM and the Entra ID token endpoint over HTTPS on 127.0.0.1.

Real clients (azure-identity, azure-mgmt-*, MLClient, the az CLI) talk to it unmodified. The product never imports
this package; tests, the demo and users' pipeline rehearsals start it with `python -m amlmove_emulator serve`.
"""
