"""The actions config the approval scenarios run with, pointed at the sandbox's deploy API."""

from __future__ import annotations

from bot.config_file import LoadedConfig, parse_config

TEMPLATE = """
version: 1
actions:
  - name: status
    agent: deploy
    description: Show a service's status
    risk: read
    params:
      service: {{type: enum, choices: [api, web]}}
    formats: ["status of {{service}}"]
    executor:
      http:
        method: GET
        url: "{base}/deploy-api/services/{{service}}/status"
        idempotent: true
        success: {{status: [200], json_field: {{path: status, equals: ok}}}}
  - name: deploy
    agent: deploy
    description: Deploy a service
    risk: write
    params:
      service: {{type: enum, choices: [api, web]}}
      env: {{type: enum, choices: [staging, prod]}}
    formats: ["deploy {{service}} to {{env}}", "deploy {{service}}"]
    approval:
      approvers: {{users: [U0BOB], groups: [sre]}}
      expires_after: 30m
      escalation_channel: C0RANDOM
    executor:
      http:
        method: POST
        url: "{base}/deploy-api/deploys"
        headers: {{Authorization: "Bearer ${{DEPLOY_API_TOKEN}}"}}
        body: {{service: "{{service}}", env: "{{env}}"}}
        timeout: {timeout}
        idempotent: {idempotent}
        success: {{status: [201]}}
  - name: rollback
    agent: deploy
    description: Roll a service back
    risk: dangerous
    params:
      service: {{type: enum, choices: [api, web]}}
    formats: ["rollback {{service}}"]
    approval:
      approvers: {{users: [U0BOB, U0CAROL]}}
      quorum: 2
    executor:
      http:
        method: POST
        url: "{base}/deploy-api/rollbacks"
        body: {{service: "{{service}}", env: prod}}
        success: {{status: [201]}}
"""


def approvals_config(base_url: str, *, idempotent: bool = True, timeout: str = "5s") -> str:
    """The YAML text, with the deploy API at ``base_url``."""
    return TEMPLATE.format(
        base=base_url.rstrip("/"), idempotent="true" if idempotent else "false", timeout=timeout
    )


def load(base_url: str, **options: object) -> LoadedConfig:
    """The parsed config."""
    return parse_config(approvals_config(base_url, **options))  # type: ignore[arg-type]
