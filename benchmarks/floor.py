"""The floor: the least any Python client on this stack can do for the large plan's critical path — sign in with
azure-identity (OIDC discovery, token) and read the jobs list page by page with `requests` — and nothing else: no
other read, no check, no file. `make bench` runs it as a fresh process against the same emulator and latency as the
plan, so its wall / bound shows what the interpreter, azure-identity and the per-page client work cost before a tool
does anything of its own (benchmarks/README.md, "floor").

    python -m benchmarks.floor ARM_ENDPOINT AUTHORITY_HOST TENANT_ID CLIENT_ID WORKSPACE_ID   (AZURE_CLIENT_SECRET set)
"""

import os
import sys

from azure.identity import ClientSecretCredential


def main(argv: list[str]) -> int:
    arm, authority, tenant, client_id, workspace_id = argv
    credential = ClientSecretCredential(
        tenant, client_id, os.environ["AZURE_CLIENT_SECRET"], authority=authority, disable_instance_discovery=True
    )
    token = credential.get_token(f"{arm}/.default").token

    import requests  # already loaded by azure-identity (msal)

    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{arm}{workspace_id}/jobs?listViewType=ActiveOnly&api-version=2024-10-01"
    jobs = 0
    while url:
        response = session.get(url, headers=headers, timeout=60)
        response.raise_for_status()
        page = response.json()
        jobs += len(page.get("value") or [])
        url = page.get("nextLink")
    print(jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
