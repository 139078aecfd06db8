"""Checks the running recorder's /v1/openapi.json against the OpenAPI
specification's own schema (openapi-spec-validator), so a client generator
or a gateway can trust it. Usage: validate_openapi.py BASE_URL CA_PEM."""

import sys

import requests
from openapi_spec_validator import validate

base, ca = sys.argv[1], sys.argv[2]
spec = requests.get(f"{base}/v1/openapi.json", verify=ca, timeout=10).json()
validate(spec)
paths = sorted(spec["paths"])
print(f"OpenAPI {spec['openapi']}: valid, {len(paths)} paths: {', '.join(paths)}")
