"""The HTTP API (FastAPI): auth, routes per resource, the Temporal gateway."""
